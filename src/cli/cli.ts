import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { DomainError, InvalidInputError, NotFoundError } from '../common/domain-errors';
import { ConfigError, loadConfig, readEnvironment, type AppConfig } from '../config/config';
import { parseInvocation } from './args';
import type { OpenedDatabase } from './cli.module';
import { UsageError, type CommandEnv, type FeatureModule } from './command';
import { COMMANDS } from './commands';
import { OPTION_OF } from './commands/api-keys.command';

/** Exit statuses: done, failed (configuration, database, anything unexpected), bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const MAX_STDIN_BYTES = 16 * 1024;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdin: NodeJS.ReadStream;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
};

/** Runs one command line; returns the exit status. Every failure is one line on stderr. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    const invocation = parseInvocation(argv, COMMANDS);
    if (invocation.kind === 'help') {
      io.stdout(invocation.text);
      return EXIT_OK;
    }
    await invocation.command.run(invocation.values, commandEnv(invocation.json, io));
    return EXIT_OK;
  } catch (err) {
    const [status, message] = failure(err);
    io.stderr(`tessera: ${message}\n`);
    return status;
  }
}

function commandEnv(json: boolean, io: CliIo): CommandEnv {
  let config: AppConfig | null = null;
  const env: CommandEnv = {
    json,
    config: () => (config ??= loadConfig(readEnvironment())),
    withContext: (features, work) => withContext(env.config(), features, work),
    readStdin: () => readStdin(io.stdin),
    print: (text, value) => io.stdout(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`),
  };
  return env;
}

async function withContext<T>(config: AppConfig, features: FeatureModule[], work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  const [{ NestFactory }, { CliModule }, { CliLogger }] = await Promise.all([import('@nestjs/core'), import('./cli.module'), import('./cli-logger')]);
  const opened: OpenedDatabase = {};
  let app: INestApplicationContext;
  try {
    app = await NestFactory.createApplicationContext(CliModule.forRoot(config, features, opened), {
      logger: new CliLogger(config),
      abortOnError: false,
    });
  } catch (err) {
    await opened.close?.().catch(() => undefined);
    throw err;
  }
  // Ctrl-C closes the embedded database cleanly (and so releases DATA_DIR) before exiting.
  app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

async function readStdin(stdin: NodeJS.ReadStream): Promise<string> {
  if (stdin.isTTY) {
    throw new UsageError('--stdin reads the password from a pipe (printf "%s" "$PASSWORD" | tessera ...); without --stdin one is generated');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN_BYTES) throw new UsageError('the input on stdin is too long for a password');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The exit status and the one line that says why. */
function failure(err: unknown): [number, string] {
  if (err instanceof UsageError) return [EXIT_USAGE, err.message];
  // "invalid configuration: VAR: why; ...", exactly as the service reports it at start.
  if (err instanceof ConfigError) return [EXIT_FAILED, err.message];
  const domain = domainFailure(err);
  if (domain) return domain;
  return [EXIT_FAILED, oneLine(err)];
}

/** A service's refusal of what the command line asked for is a bad argument, as a 400 would be. */
function domainFailure(err: unknown): [number, string] | null {
  if (err instanceof InvalidInputError) return [EXIT_USAGE, `${err.field ? `${OPTION_OF[err.field] ?? err.field}: ` : ''}${err.message}`];
  if (err instanceof NotFoundError) return [EXIT_USAGE, err.message];
  if (err instanceof DomainError) return [EXIT_FAILED, err.message];
  return null;
}

function oneLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // pg reports a refused connection to every address of a name as an AggregateError, message "".
  const inner = err instanceof AggregateError && err.errors.length ? (err.errors[0] as Error) : err;
  const message = inner.message || (inner as NodeJS.ErrnoException).code || inner.name;
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
