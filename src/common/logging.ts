import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/config';

/**
 * Everything that can carry a credential is censored before a log line is written:
 * headers, and any field of that name in a logged object (contract 3).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.oldPassword',
  '*.currentPassword',
  '*.client_secret',
  '*.clientSecret',
  '*.secret',
  '*.refresh_token',
  '*.refreshToken',
  '*.access_token',
  '*.accessToken',
  '*.token',
  '*.key',
  '*.authorization',
];

export function loggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Query strings are dropped from logged URLs: a misbehaving client may put a token there.
      serializers: {
        req: (req: { id: unknown; method: string; url?: string; originalUrl?: string }) => ({
          id: req.id,
          method: req.method,
          url: requestPath(req),
        }),
      },
      // Behind Nest's middleware the mount point is stripped from req.url; originalUrl keeps the path.
      autoLogging: { ignore: (req) => requestPath(req).startsWith('/health/') },
    },
  };
}

function requestPath(req: { url?: string; originalUrl?: string }): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0];
}
