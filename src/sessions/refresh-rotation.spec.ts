import { refusalReason, withinGrace, type RotationRequest, type RotationRow } from './refresh-rotation';

const now = new Date('2026-01-01T00:00:00Z');
const row = (over: Partial<RotationRow> = {}): RotationRow => ({
  token_id: 't',
  family_id: 'f',
  used_at: new Date(now.getTime() - 5000),
  revoked_at: null,
  expires_at: new Date(now.getTime() + 60_000),
  family_client_id: 'c',
  family_revoked_at: null,
  family_expires_at: new Date(now.getTime() + 60_000),
  family_scope: 'a b',
  user_id: 'u',
  user_scopes: ['a', 'b'],
  user_disabled_at: null,
  tenant_id: 'tn',
  tenant_slug: 'acme',
  tenant_status: 'active',
  tenant_scopes: ['a', 'b'],
  tenant_settings: { refreshReuseGrace: 10 },
  claimed: false,
  ...over,
});
const req = (over: Partial<RotationRequest> = {}): RotationRequest => ({
  presented: 'x',
  clientPk: 'c',
  requested: null,
  accessJti: 'j',
  now,
  defaultAccessTtl: 900,
  defaultIdleTtl: 600,
  clientId: 'cid',
  ip: null,
  userAgent: null,
  ...over,
});

describe(withinGrace.name, () => {
  it('allows a retry of a token used within the grace', () => {
    expect(withinGrace(row(), req())).toBe(true);
  });

  it.each<[string, Partial<RotationRow>, Partial<RotationRequest>]>([
    ['no grace configured', { tenant_settings: {} }, {}],
    ['used too long ago', { used_at: new Date(now.getTime() - 11_000) }, {}],
    ['revoked', { revoked_at: now }, {}],
    ['family revoked', { family_revoked_at: now }, {}],
    ['another client', {}, { clientPk: 'other' }],
    ['user disabled', { user_disabled_at: now }, {}],
    ['tenant suspended', { tenant_status: 'suspended' }, {}],
    ['scope beyond the grant', {}, { requested: ['z'] }],
  ])('refuses when %s', (_name, r, q) => {
    expect(withinGrace(row(r), req(q))).toBe(false);
  });

  it('caps the grace at 60 seconds', () => {
    expect(withinGrace(row({ tenant_settings: { refreshReuseGrace: 600 }, used_at: new Date(now.getTime() - 61_000) }), req())).toBe(false);
  });
});

describe(refusalReason.name, () => {
  it('names the first failing condition, for the log', () => {
    expect(refusalReason(row({ used_at: null }), req({ clientPk: 'other' }), now)).toBe('refresh token of another client');
    expect(refusalReason(row({ used_at: null, expires_at: now }), req(), now)).toBe('refresh token idle-expired');
    expect(refusalReason(row({ used_at: null, tenant_status: 'suspended' }), req(), now)).toBe('tenant suspended');
  });
});
