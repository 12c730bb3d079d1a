import { cleanSettings, definedKeys, mergeSettings } from './tenant-settings';

describe('tenant settings (RFC 7396 merge)', () => {
  it('sets, keeps, resets with null and merges nested objects', () => {
    const current = { accessTokenTtl: 600, refreshReuseGrace: 10, quota: { perSubjectPerMinute: 60, perSubjectPerDay: 1000 } };
    expect(mergeSettings(current, { accessTokenTtl: null, refreshIdleTtl: 3600, quota: { perSubjectPerDay: null, perTenantPerMinute: 5 } })).toEqual({
      refreshReuseGrace: 10,
      refreshIdleTtl: 3600,
      quota: { perSubjectPerMinute: 60, perTenantPerMinute: 5 },
    });
    expect(mergeSettings(current, { quota: null })).toEqual({ accessTokenTtl: 600, refreshReuseGrace: 10 });
    expect(mergeSettings(current, { quota: { perSubjectPerMinute: null, perSubjectPerDay: null } })).toEqual({ accessTokenTtl: 600, refreshReuseGrace: 10 });
    expect(current.quota).toEqual({ perSubjectPerMinute: 60, perSubjectPerDay: 1000 });
  });

  it('treats undefined as absent, as DTO instances carry every declared field', () => {
    expect(definedKeys({ a: 1, b: undefined, c: null })).toEqual(['a', 'c']);
    expect(mergeSettings({ accessTokenTtl: 600 }, { accessTokenTtl: undefined })).toEqual({ accessTokenTtl: 600 });
    expect(cleanSettings({ accessTokenTtl: null, refreshTokenTtl: 86400, quota: { perSubjectPerDay: undefined } })).toEqual({ refreshTokenTtl: 86400 });
  });
});
