import pino from 'pino';
import { createLoggers, PinoNestLogger } from '../common/logging';
import type { AppConfig } from '../config/config';

const QUIET = new Set(['error', 'fatal', 'silent']);

/**
 * The service's redacting logger, at warn (or quieter, if LOG_LEVEL says so), on stderr: stdout
 * holds only the command's result. A start-up failure reaches the user once, as the CLI's own
 * one-line message, so Nest's ExceptionHandler report of it is dropped.
 */
export class CliLogger extends PinoNestLogger {
  constructor(config: AppConfig) {
    const level = QUIET.has(config.logLevel) ? config.logLevel : 'warn';
    super(createLoggers({ ...config, logLevel: level }, pino.destination({ dest: 2, sync: true })).app);
  }

  override error(message: unknown, ...rest: unknown[]): void {
    if (rest.at(-1) === 'ExceptionHandler') return;
    super.error(message, ...rest);
  }
}
