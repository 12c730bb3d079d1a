import 'reflect-metadata';
import { createApp, listen } from './app.factory';
import { ConfigError, loadConfig, readEnvironment } from './config/config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(readEnvironment());
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`tessera: ${err.message}\n`);
    process.exit(1);
  }
  const app = await createApp(config);
  // SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the pool, then exit.
  app.enableShutdownHooks();
  await listen(app, config);
}

main().catch((err: unknown) => {
  process.stderr.write(`tessera: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
