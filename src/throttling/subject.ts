import type { FastifyRequest } from 'fastify';
import { readClientCredentials } from '../auth/client-auth.service';
import { usernameKey } from '../users/username';

/**
 * Who a /token request tries to authenticate as: the username of a password login, else the
 * client id. Throttling on it slows guessing against one account from many addresses.
 */
export function subjectOf(req: FastifyRequest): string | null {
  const body = (req.body ?? {}) as Record<string, unknown>;
  let clientId: string | null = null;
  try {
    clientId = readClientCredentials({
      authorization: req.headers.authorization,
      clientId: typeof body.client_id === 'string' ? body.client_id : undefined,
    }).id;
  } catch {
    clientId = typeof body.client_id === 'string' ? body.client_id : null;
  }
  // The console's login form names a tenant by slug instead of a client (issue #15).
  if (typeof body.username === 'string' && body.username && clientId === null && typeof body.tenant === 'string') {
    return `user:console:${body.tenant.trim().toLowerCase()}:${usernameKey(body.username)}`;
  }
  if (typeof body.username === 'string' && body.username) return `user:${clientId ?? ''}:${usernameKey(body.username)}`;
  return clientId ? `client:${clientId}` : null;
}
