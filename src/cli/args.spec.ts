import { parseInvocation } from './args';
import { UsageError, type Command } from './command';

const command = (name: string, options: Command['options'] = {}): Command => ({ name, summary: `${name} things`, options, run: async () => undefined });

describe(parseInvocation.name, () => {
  const create = command('api-keys create', {
    tenant: { type: 'string', value: 'slug', description: 'the tenant' },
    scope: { type: 'string', multiple: true, value: 'scope', description: 'a scope' },
  });
  const sut = (argv: string[]) => parseInvocation(argv, [command('migrate'), command('keys list'), command('keys rotate'), create]);
  const usage = (argv: string[]) => {
    try {
      sut(argv);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error(`no UsageError for ${argv.join(' ')}`);
  };

  it('names the command by its leading words and parses its options strictly', () => {
    expect(sut(['api-keys', 'create', '--tenant', 'acme', '--scope', 'a', '--scope', 'b'])).toEqual({
      kind: 'run',
      command: create,
      values: { tenant: 'acme', scope: ['a', 'b'] },
      json: false,
    });
    expect(sut(['--json', 'keys', 'list'])).toMatchObject({ kind: 'run', json: true, command: { name: 'keys list' } });
    expect(sut(['migrate', '--json'])).toMatchObject({ kind: 'run', json: true, command: { name: 'migrate' } });
  });

  it('answers help at the top, for a group and for a command, whatever else is on the line', () => {
    expect(sut(['--help'])).toMatchObject({ kind: 'help', text: expect.stringMatching(/^Usage: tessera <command>/) });
    expect(sut(['help'])).toMatchObject({ kind: 'help', text: expect.stringMatching(/^Usage: tessera <command>/) });
    expect(sut(['keys', '-h'])).toMatchObject({ kind: 'help', text: expect.stringMatching(/^Usage: tessera keys <list\|rotate>/) });
    expect(sut(['help', 'keys', 'rotate'])).toMatchObject({ kind: 'help', text: expect.stringMatching(/^Usage: tessera keys rotate/) });
    const help = sut(['api-keys', 'create', '--bogus', '--help']);
    expect(help).toMatchObject({ kind: 'help', text: expect.stringContaining('--scope <scope>  a scope (repeatable)') });
  });

  it('says in one line what is wrong with a bad command line', () => {
    expect(usage([])).toBe('no command given; see tessera --help');
    expect(usage(['--bogus'])).toBe('unknown option --bogus; see tessera --help');
    expect(usage(['nope'])).toBe('unknown command "nope"; see tessera --help');
    expect(usage(['keys'])).toBe('keys needs a subcommand: list, rotate');
    expect(usage(['keys', 'delete'])).toBe('unknown command "keys delete"; keys has list, rotate');
    expect(usage(['keys', 'list', '--all'])).toBe('keys list: unknown option --all; see tessera keys list --help');
    expect(usage(['keys', 'list', 'now'])).toBe('keys list: unexpected argument "now"; see tessera keys list --help');
    expect(usage(['api-keys', 'create', '--tenant'])).toBe('api-keys create: --tenant needs a value; see tessera api-keys create --help');
    expect(usage(['migrate', '--json=yes'])).toBe('migrate: --json takes no value; see tessera migrate --help');
  });
});
