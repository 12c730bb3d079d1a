import helmet from 'helmet';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { baseSecurityHeaders, helmetHeaders, underPrefix } from './http-hardening';

/** The headers helmet's own middleware sets on a real response, for comparison. */
async function realHelmet(options: Parameters<typeof helmet>[0]): Promise<IncomingHttpHeaders> {
  const middleware = helmet(options);
  const server = createServer((req, res) => middleware(req as never, res as never, () => res.end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => httpRequest({ port, host: '127.0.0.1' }, (res) => resolve(res.headers)).on('error', reject).end());
  } finally {
    server.close();
  }
}

describe('http hardening', () => {
  it('records exactly the headers helmet sets on a response', async () => {
    const options = { contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'same-site' as const } };
    const real = await realHelmet(options);
    const own = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
    const expected = Object.fromEntries(Object.entries(real).filter(([name]) => !own.has(name)));
    expect(helmetHeaders(options)).toEqual(expected);
    expect(Object.keys(expected).length).toBeGreaterThan(8);
  });

  it('adds HSTS only for an https issuer', () => {
    expect(baseSecurityHeaders({ issuer: 'http://localhost:3000' })['strict-transport-security']).toBeUndefined();
    expect(baseSecurityHeaders({ issuer: 'https://auth.example.com' })['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
  });

  it('matches a path area by whole segments, with or without a query', () => {
    for (const url of ['/docs', '/docs/', '/docs/swagger-ui.css', '/docs?x=1']) expect([url, underPrefix(url, '/docs')]).toEqual([url, true]);
    for (const url of ['/docs-json', '/doc', '/documents', '/x/docs']) expect([url, underPrefix(url, '/docs')]).toEqual([url, false]);
  });
});
