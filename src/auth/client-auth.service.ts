import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { apiKeySecretMatches } from '../api-keys/api-key-secret';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { ipAllowed } from '../clients/allowed-ips';
import { secretMatches } from '../clients/client-secret';
import { ClientsService } from '../clients/clients.service';
import { Clock } from '../common/clock';
import { OAuthError } from '../common/oauth-error';
import { RevocationCache, type ApiKeyView } from '../verify/revocation-cache';

/** Who is calling the token endpoint: a registered client or an API key (contract 5.1). */
export interface AuthenticatedClient {
  readonly kind: 'client' | 'api_key';
  /** Primary key of the clients or api_keys row. */
  readonly pk: string;
  /** The client_id it authenticated as (for an API key, its id). */
  readonly clientId: string;
  readonly tenantId: string;
  readonly confidential: boolean;
  readonly grantTypes: readonly string[];
  readonly scopes: readonly string[];
  readonly audience: string | null;
}

export interface ClientCredentialsInput {
  authorization?: string;
  clientId?: string;
  clientSecret?: string;
}

/** RFC 6749 §2.3.1: HTTP Basic (form-urlencoded id and secret) or both in the body, not both ways. */
export function readClientCredentials(input: ClientCredentialsInput): { id: string; secret: string | null } {
  const basic = input.authorization?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (input.authorization && !basic) throw new OAuthError('invalid_client', { detail: 'unsupported authorization scheme' });
  if (basic) {
    if (input.clientSecret !== undefined) {
      throw new OAuthError('invalid_request', { detail: 'two client authentication methods', description: 'Use one client authentication method.' });
    }
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', { detail: 'malformed basic credentials' });
    let id: string;
    let secret: string;
    try {
      id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      throw new OAuthError('invalid_client', { detail: 'malformed basic credentials' });
    }
    if (id.includes('\u0000') || secret.includes('\u0000')) throw new OAuthError('invalid_client', { detail: 'NUL in basic credentials' });
    if (input.clientId !== undefined && input.clientId !== id) {
      throw new OAuthError('invalid_client', { detail: 'client_id differs from the authenticated client' });
    }
    return { id, secret };
  }
  if (!input.clientId) throw new OAuthError('invalid_client', { detail: 'no client authentication' });
  return { id: input.clientId, secret: input.clientSecret ?? null };
}

@Injectable()
export class ClientAuthService {
  constructor(
    private readonly clients: ClientsService,
    private readonly apiKeys: ApiKeysService,
    private readonly cache: RevocationCache,
    private readonly clock: Clock,
  ) {}

  /**
   * `ip` is the caller's address (Fastify's request.ip: X-Forwarded-For only with TRUST_PROXY),
   * judged against the credential's allowedIps. It is a required argument so that no endpoint
   * that authenticates a client can forget it; null (unknown) passes only a credential without
   * allowedIps.
   */
  async authenticate(input: ClientCredentialsInput, ip: string | null): Promise<AuthenticatedClient> {
    const { id, secret } = readClientCredentials(input);
    // API keys and generated client_ids are both random UUIDs; the revocation cache knows the
    // keys, so a key's request asks the database nothing, and a client's asks only once.
    const key = secret !== null && isUUID(id) ? await this.knownApiKey(id) : null;
    if (key) return this.asApiKey(key, secret!, ip);
    const client = await this.clients.findByClientId(id);
    if (!client) throw new OAuthError('invalid_client', { detail: `unknown client ${id}` });
    const confidential = client.type === 'confidential';
    // A public client proves nothing and must not send a secret; a confidential one must.
    if (confidential ? !secret || !secretMatches(secret, client.secretHash!) : secret !== null) {
      throw new OAuthError('invalid_client', { detail: `bad credentials for client ${id}` });
    }
    // Checked after the secret, so the log tells a good secret from the wrong place apart from a
    // wrong one; the caller gets the same answer either way.
    if (!ipAllowed(client.allowedIps, ip)) throw addressRefused(id, ip);
    return {
      kind: 'client',
      pk: client.id,
      clientId: client.clientId,
      tenantId: client.tenantId,
      confidential,
      grantTypes: client.grantTypes,
      scopes: client.scopes,
      audience: client.audience,
    };
  }

  private knownApiKey(id: string): ApiKeyView | null | Promise<ApiKeyView | null> {
    const view = this.cache.apiKey(id);
    return view === undefined ? this.cache.loadApiKey(id) : view;
  }

  /**
   * An API key as /verify judges it, from the revocation cache: a revocation or expiry made on
   * another instance counts within REVOCATION_CACHE_STALENESS. A secret the cached view does not
   * match is checked once more against the row, so a rotation made elsewhere works at once.
   */
  private async asApiKey(cached: ApiKeyView, secret: string, ip: string | null): Promise<AuthenticatedClient> {
    const now = this.clock.now().getTime();
    let view: ApiKeyView | null = cached;
    if (!apiKeySecretMatches(secret, view, now)) {
      view = await this.cache.loadApiKey(cached.id);
      if (!view || !apiKeySecretMatches(secret, view, now)) throw new OAuthError('invalid_client', { detail: `bad credentials for API key ${cached.id}` });
    }
    if (view.revoked || (view.expiresAt !== null && view.expiresAt <= now)) {
      throw new OAuthError('invalid_client', { detail: `API key ${view.id} revoked or expired` });
    }
    if (view.allowedIps && !view.allowedIps.allows(ip)) throw addressRefused(view.id, ip);
    this.apiKeys.recordUse(view.id);
    return {
      kind: 'api_key',
      pk: view.id,
      clientId: view.id,
      tenantId: view.tenantId,
      confidential: true,
      grantTypes: ['client_credentials'],
      scopes: view.scopes,
      audience: null,
    };
  }
}

/** The same invalid_client as a wrong secret: a caller outside the list learns nothing more. */
function addressRefused(id: string, ip: string | null): OAuthError {
  return new OAuthError('invalid_client', { detail: `client ${id} not allowed from ${ip ?? 'an unknown address'}` });
}
