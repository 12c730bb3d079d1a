import { generateKeyPairSync } from 'node:crypto';
import { publicJwkOf } from './key-material';
import { KeyRing, type PublishedKey } from './key-ring';

function key(kid: string, state: PublishedKey['state']): PublishedKey {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, alg: 'ES256', state, publicJwk: publicJwkOf(publicKey) };
}

describe(KeyRing.name, () => {
  const keys = [key('a', 'retired'), key('b', 'current'), key('c', 'next'), key('d', 'revoked')];

  it('publishes next, current and retired keys, never revoked ones', () => {
    const sut = new KeyRing(null, keys);
    const body = JSON.parse(sut.jwksBody);
    expect(body.keys.map((k: { kid: string }) => k.kid)).toEqual(['a', 'b', 'c']);
    expect(body.keys[0]).toEqual({ kty: 'EC', kid: 'a', use: 'sig', alg: 'ES256', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
    expect(sut.accepts('b')).toBe(true);
    expect(sut.accepts('d')).toBe(false);
    expect(sut.accepts('unknown')).toBe(false);
  });

  it('gives a strong ETag that changes with the set', () => {
    const a = new KeyRing(null, keys);
    const b = new KeyRing(null, keys.slice(1));
    expect(a.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(a.etag).toBe(new KeyRing(null, keys).etag);
    expect(a.etag).not.toBe(b.etag);
  });

  it('hands out verification keys only for accepted kids', () => {
    const sut = new KeyRing(null, keys);
    expect(sut.verificationKey('b')).toMatchObject({ alg: 'ES256' });
    expect(sut.verificationKey('b')!.key).toBe(sut.verificationKey('b')!.key);
    expect(sut.verificationKey('d')).toBeNull();
  });

  it('fingerprints kid and state regardless of order', () => {
    expect(KeyRing.fingerprint([{ kid: 'a', state: 'next' }, { kid: 'b', state: 'current' }])).toBe(
      KeyRing.fingerprint([{ kid: 'b', state: 'current' }, { kid: 'a', state: 'next' }]),
    );
  });
});
