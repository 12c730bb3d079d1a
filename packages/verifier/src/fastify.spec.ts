import Fastify, { type FastifyInstance } from 'fastify';
import { FakeTessera, FEED_CREDENTIALS } from '../test/fake-tessera';
import { fastifyVerifier } from './fastify';
import { TesseraVerifier } from './verifier';

/** The Fastify plugin: onRequest for the token and route, preValidation for the body's model. */
describe(fastifyVerifier.name, () => {
  let fake: FakeTessera;
  let sut: FastifyInstance;

  beforeAll(async () => {
    fake = await FakeTessera.start();
    sut = Fastify();
    await sut.register(fastifyVerifier({ issuer: fake.base, revocations: FEED_CREDENTIALS, pollIntervalMs: 100, statusPath: '/.tessera/status' }));
    sut.post('/v1/chat/completions', async (request) => ({ sub: request.tessera?.claims.sub, model: (request.body as { model?: string }).model }));
    sut.get('/v1/models', async () => ({ data: [] }));
    await sut.ready();
  });

  afterAll(async () => {
    await sut.close();
    await fake.close();
  });

  const chat = async (token: string | null, payload: unknown) => {
    const res = await sut.inject({ method: 'POST', url: '/v1/chat/completions', headers: token ? { authorization: `Bearer ${token}` } : {}, payload: payload as object });
    return { status: res.statusCode, challenge: res.headers['www-authenticate'], body: res.json() };
  };

  it('passes a valid token on with its claims on request.tessera', async () => {
    expect(await chat(await fake.sign({ sub: 'alice' }), { model: 'x' })).toMatchObject({ status: 200, body: { sub: 'alice', model: 'x' } });
  });

  it('answers RFC 6750 refusals, before reading any body', async () => {
    expect(await chat(null, { model: 'x' })).toEqual({ status: 401, challenge: 'Bearer', body: { error: 'invalid_token', error_description: 'A bearer access token is required.' } });
    const res = await sut.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: 'Bearer a.b.c', 'content-type': 'application/json' }, payload: '{not json' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    const models = await sut.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${await fake.sign({ scope: 'chat:completions' })}` } });
    expect(models.statusCode).toBe(403);
    expect(models.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="models:list"');
    // A route the policy does not name is refused, as /verify refuses it.
    expect((await sut.inject({ method: 'GET', url: '/nowhere', headers: { authorization: `Bearer ${await fake.sign()}` } })).statusCode).toBe(403);
  });

  it('holds a restricted token to its models in the JSON body', async () => {
    const token = await fake.sign({ scope: 'chat:completions model:qwen3' });
    expect(await chat(token, { model: 'qwen3' })).toMatchObject({ status: 200 });
    expect(await chat(token, { model: 'llama' })).toMatchObject({ status: 403, challenge: 'Bearer error="insufficient_scope", scope="model:llama"' });
    expect(await chat(await fake.sign({ scope: 'chat:completions' }), { model: 'llama' })).toMatchObject({ status: 200 });
  });

  it('serves its status without a token, and shares a verifier given to it', async () => {
    const res = await sut.inject({ method: 'GET', url: '/.tessera/status' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ jwksAgeMs: expect.any(Number), lastError: null });
    const verifier = new TesseraVerifier({ issuer: fake.base, revocations: false });
    const other = Fastify();
    await other.register(fastifyVerifier({ verifier }));
    other.get('/v1/models', async () => ({ data: [] }));
    const ok = await other.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${await fake.sign()}` } });
    expect(ok.statusCode).toBe(200);
    await other.close();
    expect(verifier.status().jwksAgeMs).not.toBeNull();
  });
});
