import { FakeTessera, FEED_CREDENTIALS, TENANT } from '../test/fake-tessera';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TesseraVerifier } from './verifier';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Route scopes, model: scopes and the revocation feed (contract 2.6, 2.7). */
describe(TesseraVerifier.name, () => {
  let fake: FakeTessera;
  let sut: TesseraVerifier;
  const make = (over: Partial<ConstructorParameters<typeof TesseraVerifier>[0]> = {}) =>
    new TesseraVerifier({ issuer: fake.base, revocations: FEED_CREDENTIALS, pollIntervalMs: 50, ...over });
  const ask = async (token: string | undefined, method = 'POST', url = '/v1/chat/completions') =>
    sut.authenticate({ method, url, authorization: token === undefined ? undefined : `Bearer ${token}` });

  beforeAll(async () => {
    fake = await FakeTessera.start();
  });

  beforeEach(() => {
    fake.reset();
    sut = make();
  });

  afterEach(() => sut.close());
  afterAll(() => fake.close());

  describe('the route policy, as /verify’s', () => {
    it('admits a token holding the route’s scopes, and names what a refused route needs', async () => {
      const token = await fake.sign({ scope: 'models:list chat:completions' });
      expect(await ask(token)).toMatchObject({ ok: true, verified: { scopes: ['models:list', 'chat:completions'], modelPending: false } });
      expect(await ask(token, 'GET', '/v1/models?x=1')).toMatchObject({ ok: true });
      expect(await ask(token, 'POST', '/v1/embeddings')).toMatchObject({ ok: false, refusal: { status: 403, error: 'insufficient_scope', scope: 'embeddings' } });
      expect(await ask(token, 'GET', '/admin')).toMatchObject({ ok: false, refusal: { status: 403, error: 'insufficient_scope' } });
      expect(await ask(token, 'POST', '/v1/../v1/chat/completions')).toMatchObject({ ok: false, refusal: { status: 403 } });
    });

    it('tells a missing credential (no error code) from a bad one', async () => {
      expect(await ask(undefined)).toMatchObject({ ok: false, refusal: { status: 401, error: null } });
      expect(await sut.authenticate({ method: 'GET', url: '/v1/models', authorization: 'Basic eDp5' })).toMatchObject({ ok: false, refusal: { status: 401, error: null } });
      expect(await ask('not a token')).toMatchObject({ ok: false, refusal: { status: 401, error: 'invalid_token' } });
      expect(await ask('a.b.c')).toMatchObject({ ok: false, refusal: { status: 401, error: 'invalid_token' } });
      expect(await ask('x'.repeat(5000))).toMatchObject({ ok: false, refusal: { status: 401, error: 'invalid_token' } });
    });

    it('takes a policy object or file, and the policy’s audience as the default aud', async () => {
      sut.close();
      sut = make({ policy: { audience: 'https://models.internal', rules: [{ method: 'POST', path: '/v1/{model}/infer', scopes: ['infer'], model: 'model' }] } });
      expect(await ask(await fake.sign({ scope: 'infer' }), 'POST', '/v1/m/infer')).toMatchObject({ ok: false, refusal: { status: 401 } });
      const token = await fake.sign({ scope: 'infer model:m', aud: 'https://models.internal' });
      expect(await ask(token, 'POST', '/v1/m/infer')).toMatchObject({ ok: true });
      expect(await ask(token, 'POST', '/v1/other/infer')).toMatchObject({ ok: false, refusal: { status: 403, scope: 'model:other' } });
      sut.close();
      const file = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.yaml');
      writeFileSync(file, 'routes:\n  - { method: GET, path: /health, scopes: [] }\n');
      sut = make({ policy: file });
      expect(await ask(await fake.sign({ scope: '' }), 'GET', '/health')).toMatchObject({ ok: true });
      expect(await ask(await fake.sign(), 'GET', '/v1/models')).toMatchObject({ ok: false, refusal: { status: 403 } });
    });
  });

  describe('model: scopes on the JSON body', () => {
    const verified = async (scope: string, url = '/v1/chat/completions') => {
      const out = await ask(await fake.sign({ scope }), 'POST', url);
      if (!out.ok) throw new Error(out.refusal.detail);
      return out.verified;
    };

    it('leaves a token without model: scopes unrestricted, reading no body', async () => {
      const v = await verified('chat:completions');
      expect(v.modelPending).toBe(false);
      expect(sut.checkModel(v, { model: 'anything' })).toBeNull();
    });

    it('admits only the models a restricted token names, from a parsed or raw body', async () => {
      const v = await verified('chat:completions model:qwen3 model:Qwen/Qwen3-VL-4B');
      expect(v.modelPending).toBe(true);
      expect(sut.checkModel(v, { model: 'qwen3' })).toBeNull();
      expect(sut.checkModel(v, Buffer.from('{"model":"Qwen/Qwen3-VL-4B"}'))).toBeNull();
      expect(sut.checkModel(v, { model: 'llama-3' })).toMatchObject({ status: 403, error: 'insufficient_scope', scope: 'model:llama-3' });
      expect(sut.checkModel(v, {})).toMatchObject({ status: 403, error: 'insufficient_scope' });
      expect(sut.checkModel(v, 'not json')).toMatchObject({ status: 403 });
    });

    it('applies on the three model routes only', async () => {
      expect((await verified('embeddings model:e5', '/v1/embeddings')).modelPending).toBe(true);
      expect((await verified('completions model:e5', '/v1/completions')).modelPending).toBe(true);
      expect((await verified('ocr:infer model:e5', '/ocr/extract')).modelPending).toBe(false);
    });

    it('checks the model a route names in its path', async () => {
      const token = await fake.sign({ scope: 'models:read model:qwen3' });
      expect(await ask(token, 'GET', '/v1/models/qwen3')).toMatchObject({ ok: true });
      expect(await ask(token, 'GET', '/v1/models/llama')).toMatchObject({ ok: false, refusal: { status: 403, scope: 'model:llama' } });
    });
  });

  describe('the revocation feed', () => {
    it('refuses a revoked jti, tokens before a not-before and a revoked kid, within a poll', async () => {
      const iat = Math.floor(Date.now() / 1000) - 10;
      const [byJti, bySub, byTenant, same, kidToken] = await Promise.all([
        fake.sign({ iat }),
        fake.sign({ iat, sub: 'bob' }),
        fake.sign({ iat, sub: 'carol' }),
        fake.sign({ iat: iat + 5, sub: 'bob' }),
        fake.sign({ sub: 'dave' }, { key: await fake.addKey('ES256') }),
      ]);
      for (const t of [byJti, bySub, byTenant, same, kidToken]) expect((await sut.verifyToken(t)).ok).toBe(true);
      fake.revokeJti(JSON.parse(Buffer.from(byJti.split('.')[1], 'base64url').toString()).jti, iat + 900);
      fake.notBefore(TENANT, 'bob', iat + 5);
      fake.notBefore('another-tenant', null, iat + 100);
      fake.revokedKids.push(fake.keys[1].kid);
      await sleep(300);
      expect(await sut.verifyToken(byJti)).toMatchObject({ ok: false, refusal: { status: 401, error: 'invalid_token', detail: 'jti revoked' } });
      expect(await sut.verifyToken(bySub)).toMatchObject({ ok: false, refusal: { detail: expect.stringMatching(/subject/) } });
      expect((await sut.verifyToken(same)).ok).toBe(true); // iat == nbf passes
      expect((await sut.verifyToken(byTenant)).ok).toBe(true); // another tenant’s entry
      expect(await sut.verifyToken(kidToken)).toMatchObject({ ok: false, refusal: { status: 401 } });
      fake.notBefore(TENANT, null, iat + 1);
      await sleep(300);
      expect((await sut.verifyToken(byTenant)).ok).toBe(false);
    });

    it('polls with the last cursor and ETag, answered 304 when nothing changed', async () => {
      await sut.ready();
      fake.notBefore(TENANT, 'x', 1);
      await sleep(600);
      expect(fake.feedSince[0]).toBeNull();
      expect(fake.feedSince.at(-1)).toBe('1');
      expect(fake.feedHits).toBeGreaterThanOrEqual(4);
      expect(fake.notModified.feed).toBeGreaterThanOrEqual(2);
      expect(sut.status()).toMatchObject({ feedAgeMs: expect.any(Number), lastError: null, revocationEntries: 1 });
      expect(sut.status().feedAgeMs).toBeLessThan(200);
    });

    it('keeps its state and goes on verifying while the service is unreachable', async () => {
      const revoked = await fake.sign();
      const good = await fake.sign();
      fake.revokeJti(JSON.parse(Buffer.from(revoked.split('.')[1], 'base64url').toString()).jti, Math.floor(Date.now() / 1000) + 900);
      await sut.ready();
      fake.down = true;
      await sleep(200);
      expect(sut.status().lastError).toMatch(/feed: HTTP 503/);
      expect((await sut.verifyToken(good)).ok).toBe(true);
      expect((await sut.verifyToken(revoked)).ok).toBe(false);
      fake.down = false;
      await sleep(200);
      expect(sut.status().lastError).toBeNull();
    });

    it('answers 503 until the feed has answered once; with revocations off it never asks', async () => {
      fake.down = true;
      const out = await ask(await fake.sign());
      expect(out).toMatchObject({ ok: false, refusal: { status: 503, error: 'temporarily_unavailable' } });
      fake.down = false;
      sut.close();
      sut = make({ revocations: false });
      expect(await ask(await fake.sign())).toMatchObject({ ok: true });
      expect(fake.feedHits).toBeLessThanOrEqual(1);
      expect(sut.status().feedAgeMs).toBeNull();
    });

    it('refuses a wrong feed credential as an error of the feed, not of the token', async () => {
      sut.close();
      sut = make({ revocations: { clientId: 'feed-key', clientSecret: 'wrong' } });
      await expect(sut.ready()).rejects.toThrow('feed: HTTP 401');
    });
  });

  it('insists on a decision about revocations, and on an http(s) issuer', () => {
    expect(() => new TesseraVerifier({ issuer: fake.base } as never)).toThrow(/revocations/);
    expect(() => new TesseraVerifier({ issuer: 'ftp://x', revocations: false })).toThrow(/issuer/);
  });

  it('reports each refusal’s reason to onEvent', async () => {
    const events: unknown[] = [];
    sut.close();
    sut = make({ onEvent: (e) => events.push(e) });
    await ask('a.b.c');
    expect(events).toContainEqual({ type: 'refused', status: 401, detail: expect.any(String) });
  });
});
