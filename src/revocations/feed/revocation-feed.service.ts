import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ClientAuthService, readClientCredentials } from '../../auth/client-auth.service';
import { readParams } from '../../auth/oauth-params';
import { REVOCATIONS_READ_SCOPE, SYSTEM_TENANT_SLUG } from '../../auth/scopes';
import { Clock } from '../../common/clock';
import { OAuthError } from '../../common/oauth-error';
import { HotQueries, type HotStatement } from '../../database/hot-queries';
import { parseApiKey } from '../../api-keys/api-key-format';
import { RevocationCache } from '../../verify/revocation-cache';
import { AccessTokenVerifier } from '../../verify/access-token-verifier';

/** Contract 2.7: what GET /revocations answers. Times are epoch seconds. */
export interface RevocationFeed {
  cursor: string;
  jtis: { jti: string; exp: number }[];
  not_before: { tenant_id: string; sub: string | null; nbf: number }[];
  revoked_kids: string[];
}

export interface FeedRequest {
  authorization?: string;
  ip: string | null;
  body: unknown;
  since?: string;
}

interface FeedRow {
  kind: 'jti' | 'nbf' | 'kid' | 'cursor';
  a: string;
  b: string | null;
  n: string | null;
}

// One statement, whatever changed: entries of transactions not yet finished at the previous
// poll (xid >= its cursor, on the xid indexes), the revoked kids (a handful of rows), and the
// new cursor, the oldest transaction still running now.
const FEED: HotStatement = {
  name: 'revocation_feed',
  text: `SELECT 'jti' AS kind, jti::text AS a, NULL::text AS b, floor(extract(epoch FROM expires_at))::int8 AS n
           FROM revoked_access_tokens WHERE xid >= $1 AND expires_at > $2 AND ($3::uuid IS NULL OR tenant_id = $3)
         UNION ALL
         SELECT 'nbf', tenant_id::text, sub, floor(extract(epoch FROM nbf))::int8
           FROM token_not_before WHERE xid >= $1 AND expires_at > $2 AND ($3::uuid IS NULL OR tenant_id = $3)
         UNION ALL
         SELECT 'kid', kid, NULL, NULL FROM signing_keys WHERE state = 'revoked'
         UNION ALL
         SELECT 'cursor', pg_snapshot_xmin(pg_current_snapshot())::text, NULL, NULL`,
};

/**
 * GET /revocations: for verifiers that check JWTs offline (the middlewares), everything they must
 * refuse although its signature is good. A caller of the system tenant (the platform's own
 * verifiers, which guard model servers that several tenants share) sees every tenant's entries;
 * a tenant's key or client sees its own tenant's only, since jtis and subject ids of other
 * tenants are theirs. Revoked kids concern everyone and go to everyone.
 */
@Injectable()
export class RevocationFeedService {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly verifier: AccessTokenVerifier,
    private readonly cache: RevocationCache,
    private readonly hot: HotQueries,
    private readonly clock: Clock,
  ) {}

  async read(req: FeedRequest): Promise<{ feed: RevocationFeed; etag: string }> {
    const tenantId = await this.authorize(req);
    const since = parseCursor(req.since);
    const scope = (await this.isSystem(tenantId)) ? null : tenantId;
    const rows = await this.hot.rows<FeedRow>(FEED, [since ?? '0', this.clock.now(), scope]);
    const feed: RevocationFeed = { cursor: '', jtis: [], not_before: [], revoked_kids: [] };
    let now = '';
    for (const row of rows) {
      if (row.kind === 'jti') feed.jtis.push({ jti: row.a, exp: Number(row.n) });
      else if (row.kind === 'nbf') feed.not_before.push({ tenant_id: row.a, sub: row.b, nbf: Number(row.n) });
      else if (row.kind === 'kid') feed.revoked_kids.push(row.a);
      else now = row.a;
    }
    feed.revoked_kids.sort();
    // Nothing new: the same cursor again, so an unchanged feed is the same document (and ETag).
    const unchanged = since !== null && feed.jtis.length === 0 && feed.not_before.length === 0;
    feed.cursor = encodeCursor(unchanged ? since : now);
    const etag = `"${createHash('sha256').update(JSON.stringify(feed)).digest('base64url').slice(0, 27)}"`;
    return { feed, etag };
  }

  /** An API key or client holding revocations:read, by Basic, body or Bearer; its tenant id. */
  private async authorize(req: FeedRequest): Promise<string> {
    const bearer = /^Bearer +(\S+) *$/i.exec(req.authorization ?? '');
    if (bearer) {
      const verdict = await this.verifier.judge(bearer[1], () => req.ip);
      if (!verdict.ok) throw new OAuthError('invalid_token', { detail: verdict.reason });
      if (!verdict.credential.scopes.includes(REVOCATIONS_READ_SCOPE)) throw new OAuthError('insufficient_scope', { detail: 'no revocations:read' });
      return verdict.credential.tenant.id;
    }
    const params = req.body === undefined || req.body === null ? {} : readParams(req.body);
    // An API key (the usual verifier credential) is judged from the revocation cache, as at
    // /verify, so a poll costs no query of its own besides the feed's statement.
    const { id, secret } = readClientCredentials({ authorization: req.authorization, clientId: params.client_id, clientSecret: params.client_secret });
    if (secret && parseApiKey(secret) === id) {
      const verdict = await this.verifier.judgeApiKey(secret, () => req.ip);
      if (!verdict.ok) throw new OAuthError('invalid_client', { detail: verdict.reason });
      if (!verdict.credential.scopes.includes(REVOCATIONS_READ_SCOPE)) throw new OAuthError('insufficient_scope', { detail: 'no revocations:read' });
      return verdict.credential.tenant.id;
    }
    const caller = await this.clientAuth.authenticate({ authorization: req.authorization, clientId: params.client_id, clientSecret: params.client_secret }, req.ip);
    if (!caller.confidential) throw new OAuthError('invalid_client', { detail: 'public client at /revocations' });
    if (!caller.scopes.includes(REVOCATIONS_READ_SCOPE)) throw new OAuthError('insufficient_scope', { detail: 'no revocations:read' });
    return caller.tenantId;
  }

  private async isSystem(tenantId: string): Promise<boolean> {
    const tenant = this.cache.tenant(tenantId) ?? (await this.cache.loadTenant(tenantId));
    return tenant?.slug === SYSTEM_TENANT_SLUG;
  }
}

function encodeCursor(xmin: string): string {
  return Buffer.from(`x${xmin}`).toString('base64url');
}

/** null when absent; a cursor this service did not make is invalid_request. */
function parseCursor(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  const decoded = /^[A-Za-z0-9_-]{1,40}$/.test(raw) ? Buffer.from(raw, 'base64url').toString() : '';
  const match = /^x(\d{1,19})$/.exec(decoded);
  if (!match) throw new OAuthError('invalid_request', { detail: 'malformed since', description: 'The since parameter is malformed.' });
  return match[1];
}
