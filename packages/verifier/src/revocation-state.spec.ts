import { RevocationState } from './revocation-state';

describe(RevocationState.name, () => {
  const tenant = '6f1c2a44-8f0e-4c57-9a53-0b5d2c1e7a10';
  const token = (over: Partial<{ jti: string; iat: number; sub: string; tenant_id: string }> = {}) => ({ jti: 'j1', iat: 1000, sub: 'u1', tenant_id: tenant, ...over });
  const answer = (over: Partial<Parameters<RevocationState['apply']>[0]> = {}) => ({ cursor: 'c', jtis: [], not_before: [], revoked_kids: [], ...over });
  let sut: RevocationState;

  beforeEach(() => {
    sut = new RevocationState(30);
  });

  it('refuses a listed jti and nothing else', () => {
    sut.apply(answer({ jtis: [{ jti: 'j1', exp: 2000 }] }));
    expect(sut.revoked(token())).toBe('jti revoked');
    expect(sut.revoked(token({ jti: 'j2' }))).toBeNull();
  });

  it('refuses a subject’s tokens issued strictly before its not-before, in whole seconds', () => {
    sut.apply(answer({ not_before: [{ tenant_id: tenant, sub: 'u1', nbf: 1000 }] }));
    expect(sut.revoked(token({ iat: 999 }))).toMatch(/subject/);
    expect(sut.revoked(token({ iat: 1000 }))).toBeNull();
    expect(sut.revoked(token({ iat: 999, sub: 'u2' }))).toBeNull();
    expect(sut.revoked(token({ iat: 999, tenant_id: 'another' }))).toBeNull();
  });

  it('refuses every subject of a tenant for an entry with sub null', () => {
    sut.apply(answer({ not_before: [{ tenant_id: tenant, sub: null, nbf: 1000 }] }));
    expect(sut.revoked(token({ iat: 999, sub: 'anyone' }))).toMatch(/tenant/);
    expect(sut.revoked(token({ iat: 1000, sub: 'anyone' }))).toBeNull();
  });

  it('keeps the latest not-before when the feed repeats or reorders entries', () => {
    sut.apply(answer({ not_before: [{ tenant_id: tenant, sub: 'u1', nbf: 1200 }] }));
    sut.apply(answer({ not_before: [{ tenant_id: tenant, sub: 'u1', nbf: 1000 }] }));
    expect(sut.revoked(token({ iat: 1100 }))).not.toBeNull();
  });

  it('keeps revoked kids across answers', () => {
    sut.apply(answer({ revoked_kids: ['k1'] }));
    sut.apply(answer({ revoked_kids: [] }));
    expect(sut.kidRevoked('k1')).toBe(true);
    expect(sut.kidRevoked('k2')).toBe(false);
  });

  it('forgets a jti once its token is past exp and the leeway, a not-before an hour and a skew after it', () => {
    sut.apply(answer({ jtis: [{ jti: 'j1', exp: 2000 }], not_before: [{ tenant_id: tenant, sub: 'u1', nbf: 1000 }, { tenant_id: tenant, sub: null, nbf: 1000 }] }));
    sut.prune(2030);
    expect(sut.size).toBe(3);
    sut.prune(2031);
    expect(sut.revoked(token({ iat: 1 }))).not.toBe('jti revoked');
    sut.prune(1000 + 3660);
    expect(sut.size).toBe(2);
    sut.prune(1000 + 3661);
    expect(sut.size).toBe(0);
  });
});
