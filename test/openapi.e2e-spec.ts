import { createTestApp, type TestApp } from './support/test-app';

type Operation = {
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
};

/**
 * Every method and path Fastify routes, from printRoutes({ commonPrefix: false }): one node per
 * line, nested by four columns a level, each node's path the concatenation of its ancestors'.
 */
function registeredRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    stack.length = depth;
    stack.push(match[2]);
    for (const method of match[3]?.split(', ') ?? []) routes.push(`${method} ${stack.join('')}`);
  }
  return routes;
}

const documented = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));

describe('OpenAPI at /docs', () => {
  let sut: TestApp;
  let doc: Document;

  beforeAll(async () => {
    sut = await createTestApp();
    const res = await sut.http().get('/docs-json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.body;
  });

  afterAll(async () => {
    await sut.close();
  });

  it('serves Swagger UI without a token', async () => {
    const res = await sut.http().get('/docs').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('swagger-ui');
    await sut.http().get('/docs/swagger-ui-init.js').expect(200);
    await sut.http().get('/docs/swagger-ui.css').expect(200);
  });

  it('lists the routes of every part of the service', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/token',
        '/me',
        '/me/password',
        '/.well-known/jwks.json',
        '/.well-known/oauth-authorization-server',
        '/admin/tenants',
        '/admin/tenants/{tenantId}',
        '/admin/tenants/{tenantId}/users',
        '/admin/keys',
        '/admin/keys/rotate',
        '/admin/keys/{kid}/revoke',
        '/admin/audit-events',
        '/health/live',
        '/health/ready',
      ]),
    );
  });

  it('documents every route Fastify serves, except its own', () => {
    const routes = registeredRoutes(sut.app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false }));
    expect(routes).toContain('GET /admin/tenants/:tenantId');
    // HEAD is Fastify's automatic twin of each GET; /docs* is this document and its UI.
    // A trailing wildcard (Envoy's /verify/<original path>) is documented as a {path} parameter.
    // OPTIONS * is @fastify/cors's preflight answer, not an operation. /console is the admin
    // console's HTML pages (issue #15), for browsers, over the documented admin services.
    const served = routes
      .filter((r) => !r.startsWith('HEAD ') && !/^GET \/docs([/-]|$)/.test(r) && r !== 'OPTIONS *' && !/^[A-Z]+ \/console(\/|$)/.test(r))
      .map((r) => r.replace(/\/?\*$/, '/:path'));
    expect(documented(doc).sort()).toEqual([...new Set(served)].sort());
  });

  it('gives each operation a success response with a schema, and each body a schema', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        const success = Object.entries(op.responses).filter(([status]) => /^2/.test(status));
        expect({ where, successes: success.length }).toEqual({ where, successes: 1 });
        const [status, response] = success[0];
        // Envoy's ext_authz form answers an allowed request 200 with headers only (ext_authz needs 200).
        const bodiless = status === '204' || where.includes(' /verify/');
        if (!bodiless) expect({ where, schema: Object.values(response.content ?? {})[0]?.schema }).toEqual({ where, schema: expect.anything() });
        for (const media of Object.values(op.requestBody?.content ?? {})) expect({ where, schema: media.schema }).toEqual({ where, schema: expect.anything() });
      }
    }
  });

  it('declares the bearer scheme on admin routes and /me, and optional HTTP Basic on /token', () => {
    expect(doc.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      basic: { type: 'http', scheme: 'basic' },
    });
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.startsWith('/admin/') && path !== '/me') continue;
      for (const op of Object.values(item)) expect(op.security).toEqual([{ bearer: [] }]);
    }
    expect(doc.paths['/token'].post.security).toEqual(expect.arrayContaining([{}, { basic: [] }]));
    expect(doc.paths['/health/ready'].get.security).toBeUndefined();
  });

  it('documents /token as a form or JSON, with RFC 6749 error bodies', () => {
    const token = doc.paths['/token'].post;
    expect(Object.keys(token.requestBody!.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(doc.components.schemas.OAuthTokenRequest).toMatchObject({
      required: ['grant_type'],
      properties: expect.objectContaining({ grant_type: expect.anything(), username: expect.anything(), refresh_token: expect.anything(), scope: expect.anything() }),
    });
    for (const status of ['400', '401', '429', '503']) {
      expect(token.responses[status].content!['application/json'].schema).toEqual({ $ref: '#/components/schemas/OAuthErrorResponse' });
    }
    // Every other route's errors are problem+json.
    expect(doc.paths['/admin/keys'].get.responses['403'].content!['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/ProblemResponse' });
    expect(doc.paths['/.well-known/jwks.json'].get.responses['200'].content!['application/json'].schema).toEqual({ $ref: '#/components/schemas/JsonWebKeySet' });
  });
});
