import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifierOf, type AdapterOptions } from './adapter-options';
import { refusalResponse, type Refusal } from './refusal';
import type { TesseraVerifier, Verified } from './verifier';

/** What Express (4 or 5) adds to node's request that this adapter reads or sets. */
export interface ExpressRequestLike extends IncomingMessage {
  originalUrl?: string;
  body?: unknown;
  rawBody?: Buffer;
  tessera?: Verified;
}

export type ExpressMiddleware = ((req: ExpressRequestLike, res: ServerResponse, next: (err?: unknown) => void) => void) & {
  readonly verifier: TesseraVerifier;
};

export type ExpressVerifierOptions = AdapterOptions & {
  /** The most body read to find a `model` when no body parser ran before; default 10 MiB. */
  readonly maxBodyBytes?: number;
};

/**
 * Express middleware, written against (req, res, next) alone so Express is no dependency: it
 * sets `req.tessera` and calls next(), or answers the RFC 6750 refusal itself.
 */
export function expressVerifier(options: ExpressVerifierOptions): ExpressMiddleware {
  const { verifier } = verifierOf(options);
  const { statusPath, maxBodyBytes = 10 * 1024 * 1024 } = options;
  const realm = verifier.options.realm;
  verifier.start();
  const middleware = (req: ExpressRequestLike, res: ServerResponse, next: (err?: unknown) => void): void => {
    // originalUrl: a router mounted at a prefix rewrites req.url, the policy judges the whole path.
    const url = req.originalUrl ?? req.url ?? '/';
    if (statusPath !== undefined && req.method === 'GET' && url.split('?', 1)[0] === statusPath) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(verifier.status()));
      return;
    }
    const run = async () => {
      const outcome = await verifier.authenticate({ method: req.method ?? 'GET', url, authorization: req.headers.authorization });
      if (!outcome.ok) return send(res, outcome.refusal, realm);
      const verified = outcome.verified;
      if (verified.modelPending) {
        const body = req.body !== undefined ? req.body : await readJsonBody(req, maxBodyBytes);
        if (body === TOO_LARGE) return tooLarge(res);
        const refusal = verifier.checkModel(verified, body);
        if (refusal) return send(res, refusal, realm);
      }
      req.tessera = verified;
      next();
    };
    run().catch(next);
  };
  return Object.assign(middleware, { verifier });
}

function send(res: ServerResponse, refusal: Refusal, realm: string | null): void {
  const { status, headers, body } = refusalResponse(refusal, realm);
  res.writeHead(status, headers).end(body);
}

const TOO_LARGE = Symbol('too large');

/**
 * The body, when no parser read it before: kept in req.rawBody (for a proxy after this one to
 * send on) and, parsed, in req.body; `_body` tells body-parser the work is done.
 */
function readJsonBody(req: ExpressRequestLike, limit: number): Promise<unknown> {
  // Read already by something that left no req.body: nothing to find a model in.
  if (req.readableEnded) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => {
      if (size > limit) return;
      req.rawBody = Buffer.concat(chunks);
      try {
        req.body = JSON.parse(req.rawBody.toString('utf8'));
        (req as { _body?: boolean })._body = true;
      } catch {
        // Not JSON: no model to read; checkModel refuses a restricted token.
      }
      resolve(req.body);
    });
  });
}

function tooLarge(res: ServerResponse): void {
  const body = JSON.stringify({ error: 'invalid_request', error_description: 'The request body is too large.' });
  res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' }).end(body);
}
