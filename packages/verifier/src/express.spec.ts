import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeTessera, FEED_CREDENTIALS } from '../test/fake-tessera';
import { expressVerifier, type ExpressMiddleware, type ExpressRequestLike } from './express';

/** The Express adapter, driven through node:http with Express's (req, res, next) contract. */
describe(expressVerifier.name, () => {
  let fake: FakeTessera;
  let sut: ExpressMiddleware;
  let server: Server;
  let base: string;
  /** Set by a test to stand in for express.json() before the middleware. */
  let parsedBody: unknown;

  beforeAll(async () => {
    fake = await FakeTessera.start();
    sut = expressVerifier({ issuer: fake.base, revocations: FEED_CREDENTIALS, pollIntervalMs: 100, realm: 'models', statusPath: '/.tessera/status' });
    server = createServer((req: ExpressRequestLike, res) => {
      if (parsedBody !== undefined) req.body = parsedBody;
      sut(req, res, (err) => {
        if (err) return void res.writeHead(500).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: req.tessera?.claims.sub, body: req.body ?? null, raw: req.rawBody?.length ?? null }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    parsedBody = undefined;
  });

  afterAll(async () => {
    sut.verifier.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await fake.close();
  });

  const call = async (path: string, init: { token?: string; method?: string; body?: string } = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: init.method ?? 'POST',
      headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), 'content-type': 'application/json' },
      body: init.body,
    });
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.json() };
  };

  it('passes a valid token on with its claims', async () => {
    const res = await call('/v1/chat/completions', { token: await fake.sign({ sub: 'alice' }), body: '{"model":"x"}' });
    expect(res).toMatchObject({ status: 200, body: { sub: 'alice' } });
  });

  it('answers RFC 6750 refusals with a JSON body', async () => {
    expect(await call('/v1/chat/completions')).toEqual({
      status: 401,
      challenge: 'Bearer realm="models"',
      body: { error: 'invalid_token', error_description: 'A bearer access token is required.' },
    });
    expect(await call('/v1/chat/completions', { token: 'a.b.c' })).toEqual({
      status: 401,
      challenge: 'Bearer realm="models", error="invalid_token"',
      body: { error: 'invalid_token', error_description: 'The access token is invalid, expired or revoked.' },
    });
    expect(await call('/v1/embeddings', { token: await fake.sign() })).toEqual({
      status: 403,
      challenge: 'Bearer realm="models", error="insufficient_scope", scope="embeddings"',
      body: { error: 'insufficient_scope', error_description: 'The access token does not carry the scope this request needs.' },
    });
  });

  it('checks a restricted token’s model in a body it reads itself, keeping the raw bytes', async () => {
    const token = await fake.sign({ scope: 'chat:completions model:qwen3' });
    const ok = await call('/v1/chat/completions', { token, body: '{"model":"qwen3","messages":[]}' });
    expect(ok).toMatchObject({ status: 200, body: { body: { model: 'qwen3', messages: [] }, raw: 31 } });
    const refused = await call('/v1/chat/completions', { token, body: '{"model":"llama"}' });
    expect(refused).toMatchObject({ status: 403, challenge: 'Bearer realm="models", error="insufficient_scope", scope="model:llama"' });
  });

  it('uses a body express.json() already parsed', async () => {
    const token = await fake.sign({ scope: 'chat:completions model:qwen3' });
    parsedBody = { model: 'llama' };
    expect((await call('/v1/chat/completions', { token, body: '{"model":"qwen3"}' })).status).toBe(403);
    parsedBody = { model: 'qwen3' };
    expect((await call('/v1/chat/completions', { token, body: '{"model":"llama"}' })).status).toBe(200);
  });

  it('serves its status on statusPath without a token', async () => {
    await sut.verifier.ready();
    const res = await call('/.tessera/status', { method: 'GET' });
    expect(res).toMatchObject({ status: 200, body: { jwksAgeMs: expect.any(Number), feedAgeMs: expect.any(Number), lastError: null } });
  });
});
