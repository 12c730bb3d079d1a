import 'reflect-metadata';
import { createApp, listen } from './app.factory';
import { sizeThreadPool } from './common/thread-pool';
import { ConfigError, loadConfig, readEnvironment } from './config/config';

async function main(): Promise<void> {
  const env = readEnvironment();
  // Before anything else runs: libuv's pool takes its size when it first runs a job.
  sizeThreadPool(env);
  let config;
  try {
    config = loadConfig(env);
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
