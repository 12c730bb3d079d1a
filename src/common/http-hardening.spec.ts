import helmet from 'helmet';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { helmetHeaders, securityHeaders } from './http-hardening';

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

  it('adds HSTS only for an https issuer, and a CSP per kind of route', () => {
    const plain = securityHeaders({ issuer: 'http://localhost:3000' });
    expect(plain.api['strict-transport-security']).toBeUndefined();
    expect(plain.api['content-security-policy']).toMatch(/^default-src 'none'/);
    expect(plain.docs['content-security-policy']).toMatch(/script-src 'self'/);
    expect(securityHeaders({ issuer: 'https://auth.example.com' }).api['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
  });
});
