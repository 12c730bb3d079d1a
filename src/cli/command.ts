import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import type { AppConfig } from '../config/config';

/** A module a command needs in its application context. */
export type FeatureModule = Type<unknown> | DynamicModule;

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  /** The value's name in help: `--tenant <slug>`. */
  readonly value?: string;
  readonly description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** What a command may use: configuration, an application context, stdin, stdout. */
export interface CommandEnv {
  /** `--json`: print one JSON document instead of text. */
  readonly json: boolean;
  /** The service's configuration (same loader, environment over `.env`); a ConfigError exits 1. */
  config(): AppConfig;
  /** Boots an application context of `features` (no HTTP server), runs `work`, closes it. */
  withContext<T>(features: FeatureModule[], work: (app: INestApplicationContext) => Promise<T>): Promise<T>;
  readStdin(): Promise<string>;
  /** One result, as text or (with --json) as JSON. */
  print(text: string, json: unknown): void;
}

export interface Command {
  /** The words that name it: `keys rotate`. */
  readonly name: string;
  readonly summary: string;
  /** Lines of help after the option list ('' between paragraphs). */
  readonly notes?: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  run(values: OptionValues, env: CommandEnv): Promise<void>;
}

/** A bad command line or argument: exit status 2, one line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
