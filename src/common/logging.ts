import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../config/config';

/**
 * Everything that can carry a credential is censored before a line is written: headers, and
 * any field of that name in a logged object (contract 3).
 */
const SECRET_FIELDS = [
  'password',
  'newPassword',
  'oldPassword',
  'currentPassword',
  'client_secret',
  'clientSecret',
  'secret',
  'refresh_token',
  'refreshToken',
  'access_token',
  'accessToken',
  'token',
  'key',
  'authorization',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  // A logged object's own fields sit at the top of the line, so both levels are censored.
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
];

export interface AppLoggers {
  /** Application logs: anything may be passed, so every line goes through redaction. */
  readonly app: Logger;
  /** Access lines, built here from fields that cannot hold a secret: no redaction pass. */
  readonly access: Logger;
}

/**
 * Both loggers write JSON to one destination, synchronously (pino's default): a line is out
 * before the request's answer, and none is lost if the process dies. Written asynchronously,
 * each line of a lightly loaded service cost a trip through libuv's pool and another wake-up of
 * the event loop: the password grant served 6.6% more with sync writes (8 rounds of 8,
 * bench/ab.js), refreshes and client_credentials, where async writes batch, no fewer (issue 12).
 */
export function createLoggers(
  config: AppConfig,
  destination: DestinationStream = pino.destination({ dest: 1, sync: true }),
): AppLoggers {
  // pino's default epoch-millisecond time: an ISO string per line doubled the access log's cost.
  const common = { level: config.logLevel };
  return {
    app: pino({ ...common, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination),
    access: pino(common, destination),
  };
}

/** Nest's LoggerService over pino, so framework and service logs come out as the same JSON. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }

  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?); stacks stay in the log, never in a response.
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    this.write('error', message, context, stack);
  }

  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }

  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }

  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }

  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: pino.Level, message: unknown, context?: string, stack?: string): void {
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      // A line written for a request passes its id as a field (reqId), as ErrorResponder does.
      this.logger[level]({ context, stack, ...message });
    } else {
      this.logger[level]({ context, stack }, String(message));
    }
  }
}

/**
 * The access log: one line per response, from Fastify's own onResponse hook. (nestjs-pino was
 * tried first: its middleware makes Nest run @fastify/middie on every request, which with its
 * redacted pino-http line cost most of the JWKS route's throughput in bench/jwks.js.) Query
 * strings are left out, since a misbehaving client may put a token there. Health probes and
 * the public discovery documents under /.well-known/ (JWKS, metadata: static, cacheable,
 * fetched by every verifier, no identity involved) are not logged, nor are /verify's allowed
 * decisions (the proxy's own log has the request); /metrics counts them.
 */
export function registerAccessLog(fastify: FastifyInstance, access: Logger): void {
  if (!access.isLevelEnabled('info')) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    const url = request.url;
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    // A /verify that allowed is logged by the proxy in front, as the request it is part of.
    const allowedVerify = reply.statusCode < 300 && (path === '/verify' || path.startsWith('/verify/'));
    if (!allowedVerify && !path.startsWith('/health/') && !path.startsWith('/.well-known/')) {
      // Flat fields: nested objects cost twice as much to serialise on this hot path.
      access.info(
        {
          reqId: request.id,
          method: request.method,
          url: path,
          statusCode: reply.statusCode,
          responseTime: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      );
    }
    done();
  });
}
