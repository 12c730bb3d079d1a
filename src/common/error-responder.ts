import { HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { isDatabaseUnavailable, isUnstorableText } from './database-errors';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from './domain-errors';
import { OAuthError, type OAuthErrorCode } from './oauth-error';
import { problem, type Problem } from './problem';

/** Endpoints that answer RFC 6749 §5.2 error bodies; every other route answers RFC 9457. */
const OAUTH_PATHS = new Set(['/token', '/revoke', '/introspect', '/revocations']);
const RETRY_AFTER_DB = 5;

interface RequestLike {
  url: string;
  id?: string;
}

/**
 * The one place an error becomes a response. OAuth endpoints get `{error, error_description}`
 * with no-store; bearer failures get an RFC 6750 challenge; everything else problem+json.
 * The client sees a code and a generic text; the detail and any stack go to the log.
 */
export class ErrorResponder {
  private readonly logger = new Logger('Errors');

  respond(err: unknown, request: RequestLike, reply: FastifyReply): void {
    const path = request.url.split('?')[0];
    const oauth = OAUTH_PATHS.has(path);
    const mapped = this.classify(err, oauth);
    this.log(mapped, err, request);
    if (mapped.retryAfter) reply.header('retry-after', String(mapped.retryAfter));
    if (mapped.oauth && oauth) {
      this.sendOAuth(mapped.oauth, reply);
      return;
    }
    if (mapped.oauth && (mapped.oauth.code === 'invalid_token' || mapped.oauth.code === 'insufficient_scope')) {
      const challenge = mapped.oauth.options.bareChallenge ? '' : `, error="${mapped.oauth.code}"`;
      reply.header('www-authenticate', `Bearer realm="tessera"${challenge}`);
    }
    this.sendProblem(mapped.problem, reply);
  }

  private classify(err: unknown, oauth: boolean): { oauth?: OAuthError; problem: Problem; retryAfter?: number; unexpected?: boolean } {
    if (err instanceof OAuthError) {
      return { oauth: err, problem: problem(err.status, err.description), retryAfter: err.options.retryAfter };
    }
    if (isDatabaseUnavailable(err)) {
      const e = new OAuthError('temporarily_unavailable', { retryAfter: RETRY_AFTER_DB, detail: 'database unavailable' });
      return { oauth: e, problem: problem(503, e.description), retryAfter: RETRY_AFTER_DB };
    }
    if (isUnstorableText(err)) {
      const e = new OAuthError('invalid_request', { detail: 'unstorable text (NUL)' });
      return { oauth: oauth ? e : undefined, problem: problem(400, 'The request contains characters that cannot be stored (such as NUL).') };
    }
    if (err instanceof NotFoundError) return { problem: problem(404, err.message) };
    if (err instanceof ConflictError) return { problem: problem(409, err.message) };
    if (err instanceof ForbiddenError) return { problem: problem(403, err.message) };
    if (err instanceof InvalidInputError) {
      return { problem: err.field ? problem(400, 'The request is invalid.', [{ field: err.field, message: err.message }]) : problem(400, err.message) };
    }
    const status = httpStatusOf(err);
    if (status === 503 && err instanceof HttpException) {
      // An intentional 503, e.g. readiness from terminus: say which checks are down.
      const body = err.getResponse() as { error?: Record<string, unknown> };
      const down = body && typeof body === 'object' && body.error ? Object.keys(body.error).join(', ') : '';
      return { problem: problem(503, down ? `not ready: ${down}` : undefined), retryAfter: RETRY_AFTER_DB };
    }
    // No such route (or method) is the same answer on every path, the OAuth ones included.
    if (status === 404 || status === 405) return { problem: problemOf(err, status) };
    if (status && status < 500) {
      const code: OAuthErrorCode = status === 429 ? 'slow_down' : status === 401 ? 'invalid_client' : 'invalid_request';
      const retryAfter = status === 429 ? 60 : undefined;
      return {
        oauth: oauth ? new OAuthError(code, { detail: (err as Error).message, retryAfter }) : undefined,
        problem: problemOf(err, status),
        retryAfter,
      };
    }
    return { oauth: new OAuthError('server_error'), problem: problem(500), unexpected: true };
  }

  private sendOAuth(err: OAuthError, reply: FastifyReply): void {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    // RFC 6749 §5.2: invalid_client answers 401 with a challenge for the scheme clients may use.
    if (err.code === 'invalid_client') reply.header('www-authenticate', 'Basic realm="tessera", charset="UTF-8"');
    // RFC 6750 §3: a bearer credential refused where one was sent (GET /revocations).
    if (err.code === 'invalid_token' || err.code === 'insufficient_scope') {
      reply.header('www-authenticate', `Bearer realm="tessera", error="${err.code}"`);
    }
    reply.code(err.status).header('content-type', 'application/json; charset=utf-8').send({ error: err.code, error_description: err.description });
  }

  private sendProblem(body: Problem, reply: FastifyReply): void {
    reply.code(body.status).header('content-type', 'application/problem+json; charset=utf-8').send(body);
  }

  private log(mapped: { oauth?: OAuthError; problem: Problem; unexpected?: boolean }, err: unknown, request: RequestLike): void {
    // The request id as a field, as on the request's access-log line, so the two can be joined.
    const line = (msg: string) => ({ reqId: request.id, url: request.url.split('?')[0], msg });
    if (mapped.unexpected) {
      this.logger.error(line((err as Error)?.message ?? String(err)), (err as Error)?.stack);
    } else if (mapped.problem.status >= 500) {
      this.logger.warn(line(`${mapped.problem.status} ${(err as Error)?.message ?? ''}`));
    } else if (mapped.oauth) {
      this.logger.debug(line(`${mapped.oauth.code}${mapped.oauth.options.detail ? ` (${mapped.oauth.options.detail})` : ''}`));
    }
  }
}

function httpStatusOf(err: unknown): number | null {
  if (err instanceof HttpException) return err.getStatus();
  const status = (err as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : null;
}

/** Validation errors (class-validator via ValidationPipe) list the failing fields. */
function problemOf(err: unknown, status: number): Problem {
  if (err instanceof HttpException) {
    const body = err.getResponse() as { message?: unknown; errors?: Problem['errors'] };
    if (typeof body === 'object' && body?.errors) return problem(status, 'The request body is invalid.', body.errors);
    const message = typeof body === 'object' && typeof body?.message === 'string' ? body.message : err.message;
    return problem(status, message);
  }
  // Fastify's own 4xx (bad JSON, body too large, unsupported media type) carry safe messages.
  return problem(status, (err as Error).message);
}
