import { OAuthError } from '../common/oauth-error';

export function invalidRequest(parameter: string, problem = 'missing'): OAuthError {
  return new OAuthError('invalid_request', { detail: `${problem} ${parameter}`, description: `The ${parameter} parameter is ${problem}.` });
}

/**
 * RFC 6749 §3.2 (and RFC 7009 §2.1, RFC 7662 §2.1): parameters may not repeat; unknown ones are
 * ignored. A form body with a repeated key arrives as an array, a JSON body may hold
 * non-strings: both are invalid_request. So is a NUL, which no parameter can hold and
 * Postgres text refuses.
 */
export function readParams(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', { detail: 'no form or JSON object body', description: 'The request body must be a form or a JSON object.' });
  }
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.includes('\u0000')) throw new OAuthError('invalid_request', { detail: 'NUL in a parameter name' });
    if (Array.isArray(value)) throw invalidRequest(key, 'repeated');
    if (typeof value !== 'string') throw invalidRequest(key, 'not a string');
    if (value.includes('\u0000')) throw invalidRequest(key, 'malformed');
    if (value !== '') params[key] = value;
  }
  return params;
}
