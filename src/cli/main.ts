import { runCli } from './cli';

/** `tessera <command>` (bin/tessera.js): the operator CLI. */
void runCli(process.argv.slice(2)).then((status) => {
  // Waits for stdout to drain, then exits even if a library left a timer or socket behind.
  process.stdout.write('', () => process.exit(status));
});
