import { sign } from 'jsonwebtoken';
import type { JwtStrategy } from '../auth/jwt.strategy';
import type { TokenRevocationService } from '../auth/token-revocation.service';
import type { TokenService } from '../auth/token.service';
import type { ClientsService } from '../clients/clients.service';
import type { KeysService } from '../keys/keys.service';
import type { TenantsService } from '../tenants/tenants.service';
import type { UsersService } from '../users/users.service';
import { ConsoleAuthService } from './console-auth.service';
import { ConsoleSessionStore } from './console-session.store';

const jwt = (exp: number, kid = 'k1') => sign({ sub: 'u1', tenant_id: 't1', tenant: 'system', client_id: 'admin-cli', scope: 'admin:platform', jti: `j${exp}`, iat: 1, exp }, 'x', { header: { alg: 'HS256', kid } });
const context = { ip: '127.0.0.1', userAgent: 'test' };

describe(ConsoleAuthService.name, () => {
  const principal = { sub: 'u1', tenantId: 't1', tenant: 'system', clientId: 'admin-cli', scopes: ['admin:platform'], jti: 'j' };
  let store: ConsoleSessionStore;
  let exchange: jest.Mock;
  let validate: jest.Mock;
  let liveKids: Set<string>;
  let sut: ConsoleAuthService;

  beforeEach(() => {
    store = new ConsoleSessionStore();
    liveKids = new Set(['k1', 'k2']);
    exchange = jest.fn(async () => {
      await new Promise((r) => setTimeout(r, 10));
      return { access_token: jwt(Math.floor(Date.now() / 1000) + 900, 'k2'), refresh_token: `r${exchange.mock.calls.length}`, token_type: 'Bearer', expires_in: 900, scope: '' };
    });
    validate = jest.fn(async () => principal);
    const keys = { ring: { verificationKey: (kid: string) => (liveKids.has(kid) ? {} : null) } } as unknown as KeysService;
    sut = new ConsoleAuthService(
      { exchange } as unknown as TokenService,
      { revoke: jest.fn() } as unknown as TokenRevocationService,
      { validate } as unknown as JwtStrategy,
      {} as TenantsService,
      {} as ClientsService,
      {} as UsersService,
      store,
      keys,
    );
  });

  it('refreshes an expiring session once for concurrent requests, so the rotation is never taken for reuse', async () => {
    const { cookie } = store.create({ clientId: 'admin-cli', accessToken: jwt(Math.floor(Date.now() / 1000) + 5), accessExp: Math.floor(Date.now() / 1000) + 5, refreshToken: 'r0' });
    const callers = await Promise.all([sut.resolve(cookie, context), sut.resolve(cookie, context), sut.resolve(cookie, context)]);
    expect(exchange).toHaveBeenCalledTimes(1);
    expect(exchange.mock.calls[0][0]).toEqual({ grant_type: 'refresh_token', client_id: 'admin-cli', refresh_token: 'r0' });
    expect(callers.map((c) => c?.actor.platform)).toEqual([true, true, true]);
    expect(callers[0]!.session.refreshToken).toBe('r1');
  });

  it('refreshes a token whose signing key was revoked, and ends the session when the refresh is refused', async () => {
    const { cookie } = store.create({ clientId: 'admin-cli', accessToken: jwt(Math.floor(Date.now() / 1000) + 900, 'gone'), accessExp: Math.floor(Date.now() / 1000) + 900, refreshToken: 'r0' });
    expect(await sut.resolve(cookie, context)).not.toBeNull();
    expect(exchange).toHaveBeenCalledTimes(1);
    liveKids.clear();
    const { OAuthError } = await import('../common/oauth-error');
    exchange.mockRejectedValueOnce(new OAuthError('invalid_grant'));
    expect(await sut.resolve(cookie, context)).toBeNull();
    expect(await sut.resolve(cookie, context)).toBeNull();
  });

  it('ends the session when the token no longer passes the admin API checks', async () => {
    const { cookie } = store.create({ clientId: 'admin-cli', accessToken: jwt(Math.floor(Date.now() / 1000) + 900), accessExp: Math.floor(Date.now() / 1000) + 900, refreshToken: 'r0' });
    validate.mockResolvedValueOnce(false);
    expect(await sut.resolve(cookie, context)).toBeNull();
    expect(store.find(cookie)).toBeNull();
  });
});
