import { randomUUID } from 'node:crypto';
import { AllowedIps } from '../clients/allowed-ips';
import { hashSecret } from '../clients/client-secret';
import type { ApiKeyView } from '../verify/revocation-cache';
import { ClientAuthService, readClientCredentials } from './client-auth.service';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe(readClientCredentials.name, () => {
  it('reads HTTP Basic with form-encoded id and secret (RFC 6749 §2.3.1)', () => {
    expect(readClientCredentials({ authorization: basic('my client', 'p@ss:word') })).toEqual({ id: 'my client', secret: 'p@ss:word' });
  });

  it('reads the body', () => {
    expect(readClientCredentials({ clientId: 'c', clientSecret: 's' })).toEqual({ id: 'c', secret: 's' });
    expect(readClientCredentials({ clientId: 'public' })).toEqual({ id: 'public', secret: null });
  });

  it('refuses two methods at once and a body client_id that differs from Basic', () => {
    expect(() => readClientCredentials({ authorization: basic('c', 's'), clientSecret: 's' })).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(() => readClientCredentials({ authorization: basic('c', 's'), clientId: 'other' })).toThrow(
      expect.objectContaining({ code: 'invalid_client' }),
    );
  });

  it.each(['Bearer x', 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`, `Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`])(
    'refuses %p as invalid_client',
    (authorization) => {
      expect(() => readClientCredentials({ authorization })).toThrow(expect.objectContaining({ code: 'invalid_client' }));
    },
  );

  it('needs some client identification', () => {
    expect(() => readClientCredentials({})).toThrow(expect.objectContaining({ code: 'invalid_client' }));
  });
});

describe(ClientAuthService.name, () => {
  const keyId = randomUUID();
  const key = `tsk_${'k'.repeat(40)}`;
  const now = Date.parse('2026-06-01T00:00:00Z');
  const view = (over: Partial<ApiKeyView> = {}): ApiKeyView => ({
    id: keyId,
    tenantId: 'tenant-1',
    secretHash: hashSecret(key),
    previousSecretHash: null,
    previousSecretExpiresAt: null,
    allowedIps: null,
    scopes: ['models:list'],
    expiresAt: null,
    revoked: false,
    ...over,
  });

  function setup(cached: ApiKeyView | null | undefined, row: ApiKeyView | null = cached ?? null) {
    const cache = { apiKey: jest.fn(() => cached), loadApiKey: jest.fn(async () => row) };
    const clients = { findByClientId: jest.fn(async () => null) };
    const apiKeys = { recordUse: jest.fn() };
    const clock = { now: () => new Date(now) };
    const sut = new ClientAuthService(clients as never, apiKeys as never, cache as never, clock as never);
    return { sut, cache, clients, apiKeys };
  }

  it('authenticates an API key from the revocation cache, asking the database nothing', async () => {
    const { sut, cache, clients, apiKeys } = setup(view());
    await expect(sut.authenticate({ authorization: basic(keyId, key) }, '10.0.0.1')).resolves.toMatchObject({ kind: 'api_key', clientId: keyId, tenantId: 'tenant-1', scopes: ['models:list'] });
    expect(cache.loadApiKey).not.toHaveBeenCalled();
    expect(clients.findByClientId).not.toHaveBeenCalled();
    expect(apiKeys.recordUse).toHaveBeenCalledWith(keyId);
  });

  it('loads a key the cache does not know yet', async () => {
    const { sut, cache } = setup(undefined, view());
    await expect(sut.authenticate({ clientId: keyId, clientSecret: key }, null)).resolves.toMatchObject({ kind: 'api_key' });
    expect(cache.loadApiKey).toHaveBeenCalledTimes(1);
  });

  it('checks a secret the cached view does not match against the row once: a rotation made elsewhere works at once', async () => {
    const rotated = `tsk_${'r'.repeat(40)}`;
    const { sut, cache } = setup(view(), view({ secretHash: hashSecret(rotated), previousSecretHash: hashSecret(key), previousSecretExpiresAt: now + 60_000 }));
    await expect(sut.authenticate({ clientId: keyId, clientSecret: rotated }, null)).resolves.toMatchObject({ kind: 'api_key' });
    expect(cache.loadApiKey).toHaveBeenCalledTimes(1);
  });

  it('refuses a wrong secret, a revoked or expired key and a refused address as invalid_client', async () => {
    const refused = async (cached: ApiKeyView, secret = key, ip: string | null = null) => {
      const { sut } = setup(cached);
      await expect(sut.authenticate({ clientId: keyId, clientSecret: secret }, ip)).rejects.toMatchObject({ code: 'invalid_client' });
    };
    await refused(view(), `tsk_${'x'.repeat(40)}`);
    await refused(view({ revoked: true }));
    await refused(view({ expiresAt: now }));
    await refused(view({ allowedIps: AllowedIps.of(['192.0.2.0/24']) }), key, '10.0.0.1');
  });

  it('treats an id that is no API key as a client_id', async () => {
    const { sut, clients } = setup(null);
    await expect(sut.authenticate({ clientId: keyId, clientSecret: key }, null)).rejects.toMatchObject({ code: 'invalid_client' });
    expect(clients.findByClientId).toHaveBeenCalledWith(keyId);
  });
});
