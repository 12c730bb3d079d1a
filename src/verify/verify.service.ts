import { Inject, Injectable } from '@nestjs/common';
import { isDatabaseUnavailable } from '../common/database-errors';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AccessTokenVerifier, type Credential, type Verdict } from './access-token-verifier';
import { MODEL_SCOPE_PREFIX, modelAllowed } from '../../packages/verifier/src/model-scope';
import { RouteMatcher } from './route-policy';
import { QuotaService } from './quota.service';
import type { QuotaState } from './quota-windows';

// The model rule lives in the verifier package so the middlewares judge models exactly as /verify does.
export { MODEL_SCOPE_PREFIX, modelAllowed };

/** What /verify was asked, whichever proxy asked it (contract 2.6). */
export interface VerifyRequest {
  readonly authorization: string | undefined;
  readonly apiKey: string | undefined;
  /**
   * Fastify's request.ip: the peer, or with TRUST_PROXY the address X-Forwarded-For names by
   * Fastify's hop rule. A function, since only an API key with allowedIps needs it.
   */
  readonly ip: () => string | undefined;
  /** X-Real-IP as the proxy sent it; honoured, in place of ip, only with TRUST_PROXY. */
  readonly realIp: string | undefined;
  /** Candidates for the original method and URI: every one the proxy sent must agree. */
  readonly methods: readonly (string | undefined)[];
  readonly uris: readonly (string | undefined)[];
}

export type Decision =
  /** `quota`: the most constrained window's state, for a tenant with quotas. */
  | { readonly kind: 'allow'; readonly credential: Credential; readonly quota?: QuotaState }
  | { readonly kind: 'unauthenticated'; readonly error: 'invalid_token' | 'invalid_request' | null; readonly detail: string }
  | { readonly kind: 'forbidden'; readonly scopes: readonly string[]; readonly detail: string }
  /** A good credential used from an address its allowedIps leave out: no scope would help. */
  | { readonly kind: 'denied'; readonly detail: string }
  | { readonly kind: 'unavailable'; readonly detail: string }
  /** Allowed but over a quota of its tenant (contract 2.7), or refused for want of Redis under QUOTA_STORE_FAILURE=deny. */
  | { readonly kind: 'rate_limited'; readonly quota: QuotaState; readonly retryAfter: number; readonly detail: string };

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * GET /verify's decision: who the credential is (AccessTokenVerifier), whether the route
 * policy lets it through and, for a tenant with quotas, whether they do (QuotaService). No
 * database query for a credential the caches know.
 */
@Injectable()
export class VerifyService {
  private readonly matcher: RouteMatcher;
  private readonly trustProxy: boolean;
  /**
   * RFC 9068 §4, RFC 8725 §3.9: a JWT must be meant for the servers behind this proxy: the
   * policy's audience, else the default audience, as the verifier middlewares require. A token
   * issued to a client for another audience is refused, not waved through.
   */
  private readonly audience: string;

  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly quotas: QuotaService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.matcher = new RouteMatcher(config.routePolicy);
    this.trustProxy = config.trustProxy;
    this.audience = this.matcher.policy.audience ?? config.defaultAudience;
  }

  decide(req: VerifyRequest): Decision | Promise<Decision> {
    const token = credentialOf(req);
    if (typeof token !== 'string') return token;
    let verdict: Verdict | Promise<Verdict>;
    try {
      verdict = this.verifier.judge(token, () => this.callerAddress(req));
    } catch (err) {
      return failed(err);
    }
    if (verdict instanceof Promise) return verdict.then((v) => this.authorize(v, req), failed);
    return this.authorize(verdict, req);
  }

  /**
   * Who is calling, as the trusted proxy reports it: its X-Real-IP when it sent one, else
   * Fastify's request.ip. Without TRUST_PROXY both headers could be the caller's own writing,
   * so only the peer address counts (request.ip is then the peer).
   */
  private callerAddress(req: VerifyRequest): string | null {
    if (this.trustProxy && req.realIp !== undefined) return req.realIp.trim() || null;
    return req.ip() ?? null;
  }

  private authorize(verdict: Verdict, req: VerifyRequest): Decision | Promise<Decision> {
    if (!verdict.ok) {
      if (verdict.addressRefused) return { kind: 'denied', detail: verdict.reason };
      return { kind: 'unauthenticated', error: 'invalid_token', detail: verdict.reason };
    }
    const { credential } = verdict;
    if (credential.claims && !meantFor(credential.claims.aud, this.audience)) {
      return { kind: 'unauthenticated', error: 'invalid_token', detail: 'audience' };
    }
    const method = agreed(req.methods);
    const uri = agreed(req.uris);
    if (!method || !uri) return { kind: 'forbidden', scopes: [], detail: 'no route, or proxies disagree on it' };
    const match = this.matcher.match(method, uri);
    if (!match) return { kind: 'forbidden', scopes: [], detail: 'no rule names this route' };
    const missing = match.rule.scopes.filter((s) => !credential.scopes.includes(s));
    if (missing.length) return { kind: 'forbidden', scopes: match.rule.scopes, detail: `missing ${missing.join(' ')}` };
    if (match.model !== null && !modelAllowed(credential.scopes, match.model)) {
      return { kind: 'forbidden', scopes: [`${MODEL_SCOPE_PREFIX}${match.model}`], detail: 'model not among the model: scopes' };
    }
    // A tenant without quotas stays on the synchronous path: no store, no promise. A refusal
    // above costs no quota.
    const quota = credential.tenant.quota;
    if (quota === null) return { kind: 'allow', credential };
    return this.quotas
      .check(credential.tenant.id, credential.sub, quota)
      .then((v): Decision => (v.ok ? { kind: 'allow', credential, quota: v.state } : { kind: 'rate_limited', quota: v.state, retryAfter: v.retryAfter, detail: v.detail }));
  }
}

/** The bearer token or API key, or the refusal when there is none or it is ambiguous. */
function credentialOf(req: VerifyRequest): string | Decision {
  const { authorization, apiKey } = req;
  if (apiKey !== undefined && authorization !== undefined) {
    return { kind: 'unauthenticated', error: 'invalid_request', detail: 'two credentials' };
  }
  if (apiKey !== undefined) return apiKey.trim() || { kind: 'unauthenticated', error: 'invalid_token', detail: 'empty X-API-Key' };
  if (authorization === undefined) return { kind: 'unauthenticated', error: null, detail: 'no credential' };
  const bearer = BEARER.exec(authorization);
  // RFC 6750 §3.1: another scheme carries no credential of ours; a malformed bearer is invalid.
  if (!bearer) return { kind: 'unauthenticated', error: /^bearer\b/i.test(authorization) ? 'invalid_token' : null, detail: 'not a bearer token' };
  return bearer[1];
}

/** The one value every proxy header present agrees on; null when none, or when they differ. */
function agreed(candidates: readonly (string | undefined)[]): string | null {
  const present = candidates.filter((c): c is string => c !== undefined && c !== '');
  if (!present.length || present.some((c) => c !== present[0])) return null;
  return present[0];
}

function failed(err: unknown): Decision {
  if (isDatabaseUnavailable(err)) return { kind: 'unavailable', detail: 'database unavailable for a credential not in the cache' };
  throw err;
}

/** RFC 7519 §4.1.3: aud is one string or a list of them (no array built per request). */
export function meantFor(aud: string | readonly string[] | undefined, audience: string): boolean {
  return typeof aud === 'string' ? aud === audience : aud !== undefined && aud.includes(audience);
}
