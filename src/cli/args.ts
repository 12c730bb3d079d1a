import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, type Command, type OptionSpec, type OptionValues } from './command';

/** Accepted by every command. */
const COMMON: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print one JSON document instead of text' },
  help: { type: 'boolean', description: 'show this help' },
};

export type Invocation =
  | { kind: 'help'; text: string }
  | { kind: 'run'; command: Command; values: OptionValues; json: boolean };

/**
 * `tessera [--json] <command words> [options]`. The leading words name the command (`keys
 * rotate`); the rest is parsed strictly against that command's options, so a typo is an error
 * rather than silently ignored. Throws UsageError.
 */
export function parseInvocation(argv: readonly string[], commands: readonly Command[]): Invocation {
  const leading: string[] = [];
  const words: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json' || arg === '--help' || arg === '-h') leading.push(arg);
    else if (arg.startsWith('-')) break;
    else words.push(arg);
  }
  const rest = argv.slice(i);
  const asksHelp = leading.includes('--help') || leading.includes('-h');
  if (words[0] === 'help') return { kind: 'help', text: helpFor(words.slice(1), commands) };
  if (!words.length) {
    if (asksHelp) return { kind: 'help', text: topHelp(commands) };
    if (rest.length) throw new UsageError(`unknown option ${rest[0].split('=')[0]}; see tessera --help`);
    throw new UsageError('no command given; see tessera --help');
  }
  if (asksHelp && words.length === 1 && isGroup(words[0], commands)) return { kind: 'help', text: groupHelp(words[0], commands) };
  const command = findCommand(words, commands);
  const extra = words.slice(command.name.split(' ').length);
  const args = [...leading, ...extra, ...rest];
  const options = { ...command.options, ...COMMON };
  let values: OptionValues;
  try {
    const config: ParseArgsConfig = {
      args,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [name, { type: o.type, multiple: o.multiple === true, ...(name === 'help' ? { short: 'h' } : {}) }]),
      ),
      strict: true,
      allowPositionals: false,
    };
    values = parseArgs(config).values as OptionValues;
  } catch (err) {
    // --help wins over anything else on the line.
    if (args.includes('--help') || args.includes('-h')) return { kind: 'help', text: commandHelp(command) };
    throw new UsageError(`${command.name}: ${parseProblem(err as Error & { code?: string })}; see tessera ${command.name} --help`);
  }
  if (values.help) return { kind: 'help', text: commandHelp(command) };
  return { kind: 'run', command, values, json: values.json === true };
}

function findCommand(words: string[], commands: readonly Command[]): Command {
  const two = commands.find((c) => c.name === `${words[0]} ${words[1]}`);
  const one = commands.find((c) => c.name === words[0]);
  if (two ?? one) return (two ?? one)!;
  const group = commands.filter((c) => c.name.startsWith(`${words[0]} `));
  if (!group.length) throw new UsageError(`unknown command "${words[0]}"; see tessera --help`);
  const subcommands = group.map((c) => c.name.split(' ')[1]).join(', ');
  if (words.length < 2) throw new UsageError(`${words[0]} needs a subcommand: ${subcommands}`);
  throw new UsageError(`unknown command "${words[0]} ${words[1]}"; ${words[0]} has ${subcommands}`);
}

/** parseArgs explains itself at length; one clause is enough here. */
function parseProblem(err: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(err.message) ? `${quoted.split(' ')[0]} needs a value` : `${quoted.split(' ')[0]} takes no value`;
    default:
      return err.message.split('\n')[0];
  }
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const labels = Object.entries(options).map(([name, o]) => {
    const flag = name === 'help' ? '-h, --help' : `--${name}`;
    return [o.value ? `${flag} <${o.value}>` : flag, o.description + (o.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(...labels.map(([l]) => l.length));
  return labels.map(([l, d]) => `  ${l.padEnd(width)}  ${d}`);
}

export function commandHelp(command: Command): string {
  const options = { ...command.options, ...COMMON };
  return [
    `Usage: tessera ${command.name} [options]`,
    '',
    `${command.summary[0].toUpperCase()}${command.summary.slice(1)}.`,
    '',
    'Options:',
    ...optionLines(options),
    ...(command.notes ? ['', ...command.notes] : []),
    '',
  ].join('\n');
}

export function topHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: tessera <command> [options]',
    '',
    'Operator commands for Tessera. They read the configuration the service reads (environment,',
    'then .env in the working directory) and work on DATABASE_URL or the embedded database in',
    'DATA_DIR, through the same services as the admin API; every change is audited (actor "cli").',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    ...optionLines(COMMON),
    '',
    'The embedded database serves one process: stop the service first, or use DATABASE_URL.',
    'Exit status: 0 done, 1 failed (configuration, database), 2 bad command line or argument.',
    'Help on one command: tessera <command> --help',
    '',
  ].join('\n');
}

function isGroup(word: string, commands: readonly Command[]): boolean {
  return commands.some((c) => c.name.startsWith(`${word} `));
}

function groupHelp(group: string, commands: readonly Command[]): string {
  const members = commands.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...members.map((c) => c.name.length));
  return [
    `Usage: tessera ${group} <${members.map((c) => c.name.split(' ')[1]).join('|')}> [options]`,
    '',
    ...members.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Help on one: tessera ${members[0].name} --help`,
    '',
  ].join('\n');
}

function helpFor(words: string[], commands: readonly Command[]): string {
  if (!words.length) return topHelp(commands);
  if (words.length === 1 && isGroup(words[0], commands)) return groupHelp(words[0], commands);
  return commandHelp(findCommand(words, commands));
}
