import type { IncomingMessage, ServerResponse } from 'node:http';
import { directJwks, JWKS_PATH, matchesEtag } from './jwks.route';

describe(matchesEtag.name, () => {
  const etag = '"abc"';

  it.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abcd"', false],
    ['abc', false],
    ['', false],
  ])('If-None-Match %p matches: %p', (header, expected) => {
    expect(matchesEtag(header, etag)).toBe(expected);
  });
});

describe(directJwks.name, () => {
  const security = { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'" };
  let ring = { etag: '"one"', jwksBody: '{"keys":[1]}' };
  let closing = false;
  const counted: number[][] = [];
  const sut = directJwks({
    keys: { get ring() { return ring as never; } },
    maxAge: 300,
    securityHeaders: security,
    closing: () => closing,
    count: (seconds) => counted.push([seconds]),
  });

  /** A request and a response that record what was written. */
  const exchange = (method: string, url: string, headers: Record<string, string> = {}) => {
    const written: { status?: number; headers?: Record<string, string>; body?: string } = {};
    const res = {
      writeHead: (status: number, h: Record<string, string>) => ((written.status = status), (written.headers = { ...h })),
      end: (body: string) => (written.body = body),
    };
    const answered = sut({ method, url, headers } as unknown as IncomingMessage, res as unknown as ServerResponse);
    return { answered, ...written };
  };

  beforeEach(() => {
    ring = { etag: '"one"', jwksBody: '{"keys":[1]}' };
    closing = false;
    counted.length = 0;
  });

  it('answers the plain GET with the document, the route headers and a request id, and counts it', () => {
    const out = exchange('GET', JWKS_PATH);
    expect(out.answered).toBe(true);
    expect(out.status).toBe(200);
    expect(out.body).toBe('{"keys":[1]}');
    expect(out.headers).toEqual({
      ...security,
      vary: 'Origin',
      'cache-control': 'public, max-age=300',
      etag: '"one"',
      'content-type': 'application/json; charset=utf-8',
      'content-length': '12',
      'x-request-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(counted).toEqual([[expect.any(Number)]]);
  });

  it('keeps a sane X-Request-Id and replaces any other', () => {
    expect(exchange('GET', JWKS_PATH, { 'x-request-id': 'trace-7' }).headers?.['x-request-id']).toBe('trace-7');
    expect(exchange('GET', JWKS_PATH, { 'x-request-id': 'bad id\n' }).headers?.['x-request-id']).not.toBe('bad id\n');
  });

  it('serves the key ring as it is now: a new key set, a new body and ETag', () => {
    exchange('GET', JWKS_PATH);
    ring = { etag: '"three"', jwksBody: '{"keys":[3,4]}' };
    const out = exchange('GET', JWKS_PATH);
    expect([out.headers?.etag, out.headers?.['content-length'], out.body]).toEqual(['"three"', '14', '{"keys":[3,4]}']);
  });

  it.each([
    ['HEAD', JWKS_PATH, {}],
    ['POST', JWKS_PATH, {}],
    ['GET', `${JWKS_PATH}?x=1`, {}],
    ['GET', '/.well-known/oauth-authorization-server', {}],
    ['GET', JWKS_PATH, { origin: 'https://app.example.com' }],
    ['GET', JWKS_PATH, { 'if-none-match': '"one"' }],
  ])('leaves %s %s %j to Fastify', (method, url, headers) => {
    const out = exchange(method, url, headers);
    expect([out.answered, out.status, counted.length]).toEqual([false, undefined, 0]);
  });

  it('leaves everything to Fastify once the app is closing, for its 503', () => {
    closing = true;
    expect(exchange('GET', JWKS_PATH).answered).toBe(false);
  });
});
