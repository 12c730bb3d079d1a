'use strict';
// A stand-in for an OpenAI-compatible model server (vLLM, Xinference, an OCR server), with no
// dependencies beyond Node itself: docker-compose.yml runs it in the official node image as the
// default model server behind nginx, so the whole stack can be tried without a GPU.
//
// Every answer carries "x_auth", the X-Auth-* headers the request arrived with (what Tessera's
// /verify answered and nginx forwarded), and "credential_forwarded", whether an Authorization or
// X-API-Key header reached it (behind docker/nginx.conf it never does). It logs one line a request.
//
//   GET  /health                  200 (for the container's health check; not routed by nginx)
//   GET  /v1/models               the one model, STUB_MODEL
//   GET  /v1/models/{model}       that model, or 404
//   POST /v1/chat/completions     a canned reply; Server-Sent Events when "stream": true
//   POST /v1/completions          the same for a prompt
//   POST /v1/embeddings           deterministic unit vectors ("dimensions", "encoding_format")
//   POST /ocr/{anything}          the body's size and SHA-256, read as it arrives (any type)
//
// Environment: PORT (8000; 0 picks a free one), HOST (0.0.0.0), STUB_MODEL (stub-model),
// STUB_STREAM_DELAY_MS (100: the pause between streamed chunks). test/integration/stub-openai.int-spec.ts
// runs this file.

const http = require('node:http');
const { createHash, randomBytes } = require('node:crypto');

const PORT = Number(process.env.PORT ?? 8000);
const HOST = process.env.HOST || '0.0.0.0';
const MODEL = process.env.STUB_MODEL || 'stub-model';
const STREAM_DELAY_MS = Number(process.env.STUB_STREAM_DELAY_MS ?? 100);
// What docker/nginx.conf lets through on its model routes (client_max_body_size 50m).
const BODY_LIMIT = 50 * 1024 * 1024;
const EMBEDDING_DIMENSIONS = 16;
const CREATED = Math.floor(Date.now() / 1000);

class HttpError extends Error {
  constructor(status, message, type = 'invalid_request_error', param = null) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
  }
}

function authOf(req) {
  const x_auth = {};
  for (const [name, value] of Object.entries(req.headers)) if (name.startsWith('x-auth-')) x_auth[name] = value;
  return { x_auth, credential_forwarded: Boolean(req.headers.authorization || req.headers['x-api-key']) };
}

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res, err) {
  send(res, err.status, { error: { message: err.message, type: err.type, param: err.param, code: null } });
}

/** The whole body, up to BODY_LIMIT bytes. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > BODY_LIMIT) return reject(new HttpError(413, `The body is over ${BODY_LIMIT} bytes.`));
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readJson(req) {
  const raw = (await readBody(req)).toString('utf8');
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'The body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'The body must be a JSON object.');
  return body;
}

/** The text of a message's content: a string, or the text parts of a list (images counted). */
function textOf(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts = content.filter((p) => p && p.type === 'text' && typeof p.text === 'string').map((p) => p.text);
  const others = content.length - texts.length;
  return [...texts, ...(others ? [`(${others} non-text part${others === 1 ? '' : 's'})`] : [])].join(' ');
}

const words = (text) => text.split(/\s+/).filter(Boolean).length;
const clip = (text) => (text.length > 120 ? `${text.slice(0, 117)}...` : text);

function replyText(prompt, auth) {
  const a = auth.x_auth;
  const who = a['x-auth-subject']
    ? ` ${a['x-auth-subject']} (tenant ${a['x-auth-tenant'] || 'not named'}, scopes ${a['x-auth-scope'] || 'none'})`
    : ' a caller nginx named no X-Auth-Subject for';
  return `This is the stub model server answering${who}. You said: "${clip(prompt)}"`;
}

function modelOf(body) {
  if (body.model !== undefined && typeof body.model !== 'string') throw new HttpError(400, '"model" must be a string.', 'invalid_request_error', 'model');
  return body.model || MODEL;
}

/**
 * Server-Sent Events as OpenAI streams them: one `data:` line of JSON per event, STREAM_DELAY_MS
 * apart, then `data: [DONE]`. Stops if the client goes away.
 */
function stream(req, res, events) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let timer = null;
  res.on('close', () => clearTimeout(timer));
  const next = () => {
    if (res.destroyed) return;
    const event = events.shift();
    res.write(`data: ${event === undefined ? '[DONE]' : JSON.stringify(event)}\n\n`);
    if (event === undefined) return res.end();
    timer = setTimeout(next, STREAM_DELAY_MS);
  };
  next();
}

/** The reply split in pieces of a few characters each, as a model would emit tokens. */
function pieces(text) {
  return text.match(/\S*\s*/g).filter(Boolean);
}

function usage(promptText, completionText) {
  const prompt_tokens = words(promptText);
  const completion_tokens = words(completionText);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

function chatCompletions(req, res, body, auth) {
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new HttpError(400, '"messages" must be a non-empty list.', 'invalid_request_error', 'messages');
  const model = modelOf(body);
  const lastUser = [...body.messages].reverse().find((m) => m && m.role === 'user');
  const prompt = body.messages.map((m) => textOf(m && m.content)).join(' ');
  const content = replyText(lastUser ? textOf(lastUser.content) : '', auth);
  const id = `chatcmpl-stub-${randomBytes(8).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  if (!body.stream) {
    return send(res, 200, {
      id, object: 'chat.completion', created, model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: usage(prompt, content),
      ...auth,
    });
  }
  const chunk = (delta, finish_reason = null, extra = {}) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason }], ...extra });
  const events = [
    chunk({ role: 'assistant', content: '' }, null, auth),
    ...pieces(content).map((text) => chunk({ content: text })),
    chunk({}, 'stop'),
  ];
  if (body.stream_options && body.stream_options.include_usage) events.push({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usage(prompt, content) });
  stream(req, res, events);
}

function completions(req, res, body, auth) {
  const prompt = Array.isArray(body.prompt) ? body.prompt.join(' ') : body.prompt;
  if (typeof prompt !== 'string') throw new HttpError(400, '"prompt" must be a string or a list of strings.', 'invalid_request_error', 'prompt');
  const model = modelOf(body);
  const text = replyText(prompt, auth);
  const id = `cmpl-stub-${randomBytes(8).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const choice = (t, finish_reason) => ({ index: 0, text: t, logprobs: null, finish_reason });
  if (!body.stream) return send(res, 200, { id, object: 'text_completion', created, model, choices: [choice(text, 'stop')], usage: usage(prompt, text), ...auth });
  const events = pieces(text).map((t, i) => ({ id, object: 'text_completion', created, model, choices: [choice(t, null)], ...(i === 0 ? auth : {}) }));
  events.push({ id, object: 'text_completion', created, model, choices: [choice('', 'stop')] });
  stream(req, res, events);
}

/** A unit vector that depends only on the input and the dimension count. */
function embed(input, dimensions) {
  const values = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${JSON.stringify(input)}`).digest();
    for (let i = 0; i + 4 <= digest.length && values.length < dimensions; i += 4) values.push(digest.readUInt32BE(i) / 0xffffffff - 0.5);
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => Math.fround(v / norm));
}

function embeddings(req, res, body, auth) {
  const { input } = body;
  const isTokens = (v) => Array.isArray(v) && v.length > 0 && v.every(Number.isInteger);
  let inputs;
  if (typeof input === 'string' || isTokens(input)) inputs = [input];
  else if (Array.isArray(input) && input.length > 0 && input.every((v) => typeof v === 'string' || isTokens(v))) inputs = input;
  else throw new HttpError(400, '"input" must be a string, a list of strings, or token lists.', 'invalid_request_error', 'input');
  const dimensions = body.dimensions === undefined ? EMBEDDING_DIMENSIONS : body.dimensions;
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 4096) throw new HttpError(400, '"dimensions" must be a whole number from 1 to 4096.', 'invalid_request_error', 'dimensions');
  const format = body.encoding_format || 'float';
  if (format !== 'float' && format !== 'base64') throw new HttpError(400, '"encoding_format" must be "float" or "base64".', 'invalid_request_error', 'encoding_format');
  const tokens = inputs.reduce((n, v) => n + (typeof v === 'string' ? words(v) : v.length), 0);
  send(res, 200, {
    object: 'list',
    model: modelOf(body),
    data: inputs.map((v, index) => {
      const vector = embed(v, dimensions);
      const embedding = format === 'float' ? vector : Buffer.from(new Float32Array(vector).buffer).toString('base64');
      return { object: 'embedding', index, embedding };
    }),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
    ...auth,
  });
}

/** Any document, of any type, hashed as it arrives: nothing is kept in memory. */
function ocr(req, res, path, auth) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk) => {
      bytes += chunk.length;
      if (bytes > BODY_LIMIT) return reject(new HttpError(413, `The body is over ${BODY_LIMIT} bytes.`));
      hash.update(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      resolve(
        send(res, 200, {
          object: 'ocr.result',
          model: MODEL,
          path,
          content_type: req.headers['content-type'] || null,
          bytes,
          sha256: hash.digest('hex'),
          text: `Stub OCR: ${bytes} bytes received; a real OCR server would put the recognised text here.`,
          ...auth,
        }),
      );
    });
  });
}

function modelObject(id) {
  return { id, object: 'model', created: CREATED, owned_by: 'tessera-stub' };
}

const ROUTES = [
  { path: /^\/health$/, methods: ['GET', 'HEAD'], handle: (req, res) => send(res, 200, { status: 'ok' }) },
  { path: /^\/v1\/models$/, methods: ['GET', 'HEAD'], handle: (req, res, m, auth) => send(res, 200, { object: 'list', data: [modelObject(MODEL)], ...auth }) },
  {
    path: /^\/v1\/models\/(.+)$/,
    methods: ['GET', 'HEAD'],
    handle: (req, res, m, auth) => {
      let id;
      try {
        id = decodeURIComponent(m[1]);
      } catch {
        throw new HttpError(400, 'The model id is not valid percent-encoding.');
      }
      if (id !== MODEL) throw new HttpError(404, `The model "${id}" does not exist; this server has "${MODEL}".`, 'not_found_error', 'model');
      send(res, 200, { ...modelObject(MODEL), ...auth });
    },
  },
  { path: /^\/v1\/chat\/completions$/, methods: ['POST'], json: true, handle: (req, res, m, auth, body) => chatCompletions(req, res, body, auth) },
  { path: /^\/v1\/completions$/, methods: ['POST'], json: true, handle: (req, res, m, auth, body) => completions(req, res, body, auth) },
  { path: /^\/v1\/embeddings$/, methods: ['POST'], json: true, handle: (req, res, m, auth, body) => embeddings(req, res, body, auth) },
  { path: /^\/ocr\/.+$/, methods: ['POST'], handle: (req, res, m, auth, body, path) => ocr(req, res, path, auth) },
];

async function handle(req, res) {
  const path = new URL(req.url, 'http://stub').pathname;
  const route = ROUTES.find((r) => r.path.test(path));
  if (!route) throw new HttpError(404, `No route ${req.method} ${path} on the stub model server.`, 'not_found_error');
  if (!route.methods.includes(req.method)) {
    res.setHeader('allow', route.methods.join(', '));
    throw new HttpError(405, `${req.method} is not allowed on ${path}; use ${route.methods.join(' or ')}.`);
  }
  const auth = authOf(req);
  if (path !== '/health') {
    const who = auth.x_auth['x-auth-subject'] ? `subject=${auth.x_auth['x-auth-subject']} tenant=${auth.x_auth['x-auth-tenant'] || '-'}` : 'no X-Auth-Subject';
    process.stdout.write(`${new Date().toISOString()} ${req.method} ${path} ${who}\n`);
  }
  const body = route.json ? await readJson(req) : undefined;
  await route.handle(req, res, route.path.exec(path), auth, body, path);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    if (!(err instanceof HttpError)) {
      process.stderr.write(`stub-openai: ${err && err.stack ? err.stack : err}\n`);
      err = new HttpError(500, 'The stub model server failed.', 'server_error');
    }
    if (res.headersSent) return res.destroy();
    // A refused body is not read to its end: the connection goes with the answer.
    if (!req.complete) res.setHeader('connection', 'close');
    sendError(res, err);
  });
});
// Idle keep-alive connections live 5 s, like uvicorn's (vLLM); docker/nginx.conf reuses them for 4 s.
server.keepAliveTimeout = 5000;

server.listen(PORT, HOST, () => {
  const { address, port } = server.address();
  process.stdout.write(`stub-openai: listening on http://${address.includes(':') ? `[${address}]` : address}:${port} (model ${MODEL})\n`);
});

// As PID 1 of its container, node would ignore SIGTERM without a handler.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    // Streams in flight get a moment to finish.
    setTimeout(() => process.exit(0), 3000).unref();
  });
}
