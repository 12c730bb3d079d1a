// docker/stub-openai/server.js, the default model server of docker/docker-compose.yml, run as the
// compose file runs it (the script its "inference" service mounts, in a child node process): its
// OpenAI-compatible routes, the Server-Sent Events stream, the X-Auth-* echo, its errors and its
// stop on SIGTERM. Needs nothing but Node.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join, posix } from 'node:path';
import { parse } from 'yaml';

const DOCKER = join(__dirname, '../../docker');
const MODEL = 'test-model';
const DELAY_MS = 60;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Milliseconds after the request at which each piece of the body arrived. */
  arrivals: number[];
}

/** The host path of the script docker-compose.yml's inference service runs. */
function composeStubScript(): string {
  const compose = parse(readFileSync(join(DOCKER, 'docker-compose.yml'), 'utf8'));
  const inference = compose.services.inference;
  const [program, script] = inference.command as string[];
  expect(program).toBe('node');
  for (const volume of inference.volumes as string[]) {
    const [host, container] = volume.split(':');
    if (script.startsWith(`${container}/`)) return join(DOCKER, host, posix.relative(container, script));
  }
  throw new Error(`docker-compose.yml's inference service runs ${script}, which none of its volumes provides`);
}

describe('docker/stub-openai: the default model server of docker-compose.yml', () => {
  let stub: ChildProcess;
  let port: number;
  let output = '';

  beforeAll(async () => {
    const script = composeStubScript();
    expect(script).toBe(join(DOCKER, 'stub-openai', 'server.js'));
    expect(existsSync(script)).toBe(true);
    stub = spawn(process.execPath, [script], {
      env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', STUB_MODEL: MODEL, STUB_STREAM_DELAY_MS: String(DELAY_MS) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stub did not start within 10 s:\n${output}`)), 10_000);
      const onData = (d: Buffer) => {
        output += d;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+) /.exec(output);
        if (m) clearTimeout(timer), resolve(Number(m[1]));
      };
      stub.stdout!.on('data', onData);
      stub.stderr!.on('data', (d: Buffer) => (output += d));
      stub.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the stub exited (${code}):\n${output}`))));
    });
  });

  afterAll(() => {
    if (stub && stub.exitCode === null && stub.signalCode === null) stub.kill('SIGKILL');
  });

  function call(method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers: opts.headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        const arrivals: number[] = [];
        res.on('data', (c: Buffer) => (chunks.push(c), arrivals.push(Date.now() - started)));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), arrivals }));
      });
      req.on('error', reject);
      req.end(opts.body);
    });
  }
  const json = (body: unknown, headers: Record<string, string> = {}) => ({ headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  // What nginx sets from a /verify answer (docker/nginx.conf, location /).
  const forwarded = { 'x-auth-subject': 'user-1', 'x-auth-tenant': 'acme', 'x-auth-tenant-id': 'tenant-1', 'x-auth-scope': 'models:list chat:completions', 'x-auth-client': 'acme-cli' };
  /** The `data:` payloads of an SSE body, in order. */
  const events = (body: string) => body.split('\n\n').filter(Boolean).map((e) => {
    expect(e.startsWith('data: ')).toBe(true);
    return e.slice('data: '.length);
  });

  it('answers its health check (the compose health check calls GET /health)', async () => {
    const res = await call('GET', '/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    const compose = parse(readFileSync(join(DOCKER, 'docker-compose.yml'), 'utf8'));
    expect(compose.services.inference.healthcheck.test.join(' ')).toContain('http://127.0.0.1:8000/health');
  });

  it('lists its model and echoes the X-Auth-* headers it got, and whether a credential reached it', async () => {
    const res = await call('GET', '/v1/models', { headers: forwarded });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ object: 'list', data: [{ id: MODEL, object: 'model', owned_by: expect.any(String) }] });
    expect(body.x_auth).toEqual(forwarded);
    expect(body.credential_forwarded).toBe(false);

    const leaked = JSON.parse((await call('GET', '/v1/models', { headers: { authorization: 'Bearer abc' } })).body);
    expect(leaked.x_auth).toEqual({});
    expect(leaked.credential_forwarded).toBe(true);
    expect(JSON.parse((await call('GET', '/v1/models', { headers: { 'x-api-key': 'k' } })).body).credential_forwarded).toBe(true);
  });

  it('answers GET /v1/models/{model} for its model and 404 for another', async () => {
    const ok = await call('GET', `/v1/models/${MODEL}`);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ id: MODEL, object: 'model' });
    const missing = await call('GET', '/v1/models/gpt-9');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: { message: expect.stringContaining('gpt-9'), type: 'not_found_error', param: 'model', code: null } });
  });

  const chatBody = { model: MODEL, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello, stub' }] };

  it('answers a chat completion naming who nginx said is calling', async () => {
    const res = await call('POST', '/v1/chat/completions', json(chatBody, forwarded));
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion',
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: expect.any(String) }, finish_reason: 'stop' }],
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) },
      x_auth: forwarded,
      credential_forwarded: false,
    });
    const content: string = body.choices[0].message.content;
    expect(content).toContain('user-1');
    expect(content).toContain('acme');
    expect(content).toContain('Hello, stub');
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);

    // Vision-style content parts: the text is read, the other parts counted.
    const parts = await call('POST', '/v1/chat/completions', json({ messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }] }));
    expect(parts.status).toBe(200);
    expect(JSON.parse(parts.body).choices[0].message.content).toContain('What is this? (1 non-text part)');
  });

  it('streams a chat completion as Server-Sent Events, chunk by chunk, ending in [DONE]', async () => {
    const plain = JSON.parse((await call('POST', '/v1/chat/completions', json(chatBody, forwarded))).body);
    const res = await call('POST', '/v1/chat/completions', json({ ...chatBody, stream: true }, forwarded));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['cache-control']).toBe('no-cache');
    const data = events(res.body);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    for (const c of chunks) expect(c).toMatchObject({ id: chunks[0].id, object: 'chat.completion.chunk', model: MODEL });
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks[0].x_auth).toEqual(forwarded);
    const last = chunks.at(-1);
    expect(last.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'stop' });
    // The streamed pieces make up the same reply, and no usage chunk unless asked for.
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(plain.choices[0].message.content);
    expect(chunks.some((c) => c.usage)).toBe(false);
    // Written as it goes: the pieces arrive apart, not in one buffer at the end.
    expect(chunks.length).toBeGreaterThan(5);
    expect(res.arrivals.length).toBeGreaterThan(5);
    expect(res.arrivals.at(-1)! - res.arrivals[0]).toBeGreaterThanOrEqual(DELAY_MS * 4);
  });

  it('adds a usage chunk before [DONE] when stream_options.include_usage is set', async () => {
    const res = await call('POST', '/v1/chat/completions', json({ ...chatBody, stream: true, stream_options: { include_usage: true } }));
    const data = events(res.body);
    expect(data.at(-1)).toBe('[DONE]');
    const usage = JSON.parse(data.at(-2)!);
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
  });

  it('answers and streams a text completion', async () => {
    const res = await call('POST', '/v1/completions', json({ prompt: 'Once upon a time' }, forwarded));
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ object: 'text_completion', model: MODEL, choices: [{ index: 0, finish_reason: 'stop' }], x_auth: forwarded });
    expect(body.choices[0].text).toContain('Once upon a time');
    const streamed = await call('POST', '/v1/completions', json({ prompt: 'Once upon a time', stream: true }, forwarded));
    const data = events(streamed.body);
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.slice(0, -1).map((d) => JSON.parse(d).choices[0].text).join('')).toBe(body.choices[0].text);
  });

  it('answers embeddings: one unit vector per input, the same for the same input, floats or base64', async () => {
    const res = await call('POST', '/v1/embeddings', json({ model: MODEL, input: ['first text', 'second text', 'first text'], dimensions: 8 }, forwarded));
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ object: 'list', model: MODEL, usage: { prompt_tokens: 6, total_tokens: 6 }, x_auth: forwarded });
    const vectors: number[][] = body.data.map((d: { object: string; index: number; embedding: number[] }, i: number) => {
      expect(d).toMatchObject({ object: 'embedding', index: i });
      expect(d.embedding).toHaveLength(8);
      expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 5);
      return d.embedding;
    });
    expect(vectors[2]).toEqual(vectors[0]);
    expect(vectors[1]).not.toEqual(vectors[0]);

    const single = JSON.parse((await call('POST', '/v1/embeddings', json({ input: 'first text', dimensions: 8, encoding_format: 'base64' }))).body);
    const decoded = Buffer.from(single.data[0].embedding, 'base64');
    expect(Array.from(new Float32Array(decoded.buffer, decoded.byteOffset, decoded.length / 4))).toEqual(vectors[0]);

    const tokens = JSON.parse((await call('POST', '/v1/embeddings', json({ input: [1, 2, 3] }))).body);
    expect(tokens.data).toHaveLength(1);
    expect(tokens.data[0].embedding).toHaveLength(16);
    expect((await call('POST', '/v1/embeddings', json({ input: 42 }))).status).toBe(400);
  });

  it('takes a document of any type on POST /ocr/* and says how much arrived', async () => {
    const document = randomBytes(300_000);
    const res = await call('POST', '/ocr/v1/recognize', { headers: { 'content-type': 'application/pdf', ...forwarded }, body: document });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      object: 'ocr.result',
      path: '/ocr/v1/recognize',
      content_type: 'application/pdf',
      bytes: document.length,
      sha256: createHash('sha256').update(document).digest('hex'),
      text: expect.any(String),
      x_auth: forwarded,
    });
  });

  it('refuses bad requests the way OpenAI does', async () => {
    const badJson = await call('POST', '/v1/chat/completions', { headers: { 'content-type': 'application/json' }, body: '{"messages": [' });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body)).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: null } });
    const noMessages = await call('POST', '/v1/chat/completions', json({ model: MODEL }));
    expect(noMessages.status).toBe(400);
    expect(JSON.parse(noMessages.body).error.param).toBe('messages');
    const unknown = await call('GET', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.type).toBe('not_found_error');
    const wrongMethod = await call('GET', '/v1/chat/completions');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
  });

  it('logs one line per request, naming the subject nginx forwarded', () => {
    expect(output).toMatch(/ GET \/v1\/models subject=user-1 tenant=acme\n/);
    expect(output).toMatch(/ POST \/v1\/chat\/completions no X-Auth-Subject\n/);
  });

  it('stops on SIGTERM (docker stop) with status 0', async () => {
    const exited = new Promise<number | null>((resolve) => stub.once('exit', (code) => resolve(code)));
    stub.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise((r) => (timer = setTimeout(() => r('still running after 5 s'), 5_000)))]);
    clearTimeout(timer);
    expect(code).toBe(0);
  });
});
