/** An RFC 6750 refusal, as the adapters answer it. */
export interface Refusal {
  readonly status: 401 | 403 | 503;
  /** null: no credential at all, so the challenge carries no error code (RFC 6750 §3.1). */
  readonly error: 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable' | null;
  /** The scope the route needs, for the challenge's `scope` attribute. */
  readonly scope?: string;
  /** Why, for the application's log only: clients get a generic description. */
  readonly detail: string;
}

const DESCRIPTIONS = {
  missing: 'A bearer access token is required.',
  invalid_token: 'The access token is invalid, expired or revoked.',
  insufficient_scope: 'The access token does not carry the scope this request needs.',
  temporarily_unavailable: 'The signing keys or revocations could not be loaded; try again later.',
};

// RFC 6750 §3: a scope token is %x21 / %x23-5B / %x5D-7E; anything else would break the quoted string.
const SCOPE_CHARS = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;

export const refuse = (status: Refusal['status'], error: Refusal['error'], detail: string, scope?: string): Refusal => ({ status, error, detail, ...(scope ? { scope } : {}) });

/** Status, headers and JSON body of a refusal. */
export function refusalResponse(r: Refusal, realm: string | null): { status: number; headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (r.status === 503) {
    headers['retry-after'] = '5';
  } else {
    const params = [realm === null ? null : `realm="${realm}"`, r.error ? `error="${r.error}"` : null, r.scope && SCOPE_CHARS.test(r.scope) ? `scope="${r.scope}"` : null];
    const list = params.filter((p) => p !== null).join(', ');
    headers['www-authenticate'] = list ? `Bearer ${list}` : 'Bearer';
  }
  const error = r.error ?? 'invalid_token';
  const description = r.error === null ? DESCRIPTIONS.missing : DESCRIPTIONS[r.error];
  return { status: r.status, headers, body: JSON.stringify({ error, error_description: description }) };
}
