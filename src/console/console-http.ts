import type { FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../common/crypto';
import type { PathArea } from '../common/http-hardening';

export const CONSOLE_PATH = '/console';

/** No inline script or style anywhere: everything the pages use is a file of /console/assets. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/**
 * The console's headers over helmet's (http-hardening's PathArea), on every /console reply,
 * errors and 404s included. helmet's no-referrer makes browsers send `Origin: null` on form
 * posts; same-origin keeps the real Origin for the console's own forms (checked by
 * ConsoleGuard). Pages are never cached; the static assets may be.
 */
const CONSOLE_HEADERS = { 'content-security-policy': CONSOLE_CSP, 'referrer-policy': 'same-origin' };
export const CONSOLE_AREAS: readonly PathArea[] = [
  { prefix: `${CONSOLE_PATH}/assets`, headers: CONSOLE_HEADERS },
  { prefix: CONSOLE_PATH, headers: { ...CONSOLE_HEADERS, 'cache-control': 'no-store' } },
];

/**
 * The session cookie. `__Host-` binds it to this host and path / and requires `Secure`, which
 * a browser accepts only over https; with an http issuer (development) it keeps the same flags
 * without the prefix and without Secure, or no browser would store it.
 */
export interface CookieNames {
  readonly session: string;
  readonly login: string;
  readonly secure: boolean;
}

export function cookieNames(issuer: string): CookieNames {
  const secure = issuer.startsWith('https://');
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}tessera-console`, login: `${prefix}tessera-console-login`, secure };
}

export function setCookie(reply: FastifyReply, names: CookieNames, name: string, value: string, maxAgeSeconds?: number): void {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (names.secure) parts.push('Secure');
  if (maxAgeSeconds !== undefined) parts.push(`Max-Age=${maxAgeSeconds}`);
  const previous = reply.getHeader('set-cookie');
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
  reply.header('set-cookie', [...list, parts.join('; ')]);
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A state-changing request comes from a page of this console: its Origin, when sent, is this
 * service's (as the browser reached it, or the issuer's), and a browser that says the request
 * is cross-site is believed.
 */
export function sameOrigin(request: FastifyRequest, issuer: string): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    const own = `${request.protocol}://${request.headers.host ?? ''}`;
    return origin === own || origin === new URL(issuer).origin;
  }
  return request.headers['sec-fetch-site'] !== 'cross-site';
}

export function tokensMatch(given: unknown, expected: string): boolean {
  return typeof given === 'string' && given.length > 0 && constantTimeEqual(given, expected);
}
