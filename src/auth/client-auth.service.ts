import { Injectable } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { ipAllowed } from '../clients/allowed-ips';
import { secretMatches } from '../clients/client-secret';
import { ClientsService } from '../clients/clients.service';
import { OAuthError } from '../common/oauth-error';

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
  ) {}

  /**
   * `ip` is the caller's address (Fastify's request.ip: X-Forwarded-For only with TRUST_PROXY),
   * judged against the credential's allowedIps. It is a required argument so that no endpoint
   * that authenticates a client can forget it; null (unknown) passes only a credential without
   * allowedIps.
   */
  async authenticate(input: ClientCredentialsInput, ip: string | null): Promise<AuthenticatedClient> {
    const { id, secret } = readClientCredentials(input);
    const client = await this.clients.findByClientId(id);
    if (client) {
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
    const apiKey = secret ? await this.apiKeys.authenticate(id, secret) : null;
    if (!apiKey) throw new OAuthError('invalid_client', { detail: `unknown client ${id}` });
    if (!ipAllowed(apiKey.allowedIps, ip)) throw addressRefused(id, ip);
    return {
      kind: 'api_key',
      pk: apiKey.id,
      clientId: apiKey.id,
      tenantId: apiKey.tenantId,
      confidential: true,
      grantTypes: ['client_credentials'],
      scopes: apiKey.scopes,
      audience: null,
    };
  }
}

/** The same invalid_client as a wrong secret: a caller outside the list learns nothing more. */
function addressRefused(id: string, ip: string | null): OAuthError {
  return new OAuthError('invalid_client', { detail: `client ${id} not allowed from ${ip ?? 'an unknown address'}` });
}
