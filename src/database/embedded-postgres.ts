import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerScript } from '../common/worker-script';
import { lockDataDir } from './data-dir-lock';

export interface EmbeddedEndpoint {
  readonly host: string;
  readonly port: number;
}

interface Running {
  readonly endpoint: Promise<EmbeddedEndpoint>;
  users: number;
  stop: () => Promise<void>;
}

// One PGlite per data directory per process: PGlite cannot share a directory between
// instances, and two app instances in one process (tests, or a blue/green swap) must see
// one database, as they would on a server.
const running = new Map<string, Running>();

async function start(dataDir: string): Promise<{ endpoint: EmbeddedEndpoint; stop: () => Promise<void> }> {
  const pgdata = join(dataDir, 'pgdata');
  mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dataDir);
  const { file, execArgv } = workerScript(__filename, 'embedded-postgres.worker');
  const worker = new Worker(file, { workerData: { pgdata }, execArgv });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      worker.once('message', (msg: { port?: number; error?: string }) =>
        msg.port ? resolve(msg.port) : reject(new Error(`embedded database failed to start: ${msg.error}`)),
      );
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`embedded database exited with code ${code}`)));
    });
  } catch (err) {
    await worker.terminate();
    unlock();
    throw err;
  }
  const stop = async () => {
    const stopped = new Promise((resolve) => worker.once('message', resolve));
    worker.postMessage('stop');
    await stopped;
    await worker.terminate();
    unlock();
  };
  return { endpoint: { host: '127.0.0.1', port }, stop };
}

/**
 * Starts (or joins) the embedded Postgres of `dataDir`, reachable over the wire protocol on
 * a loopback port so that `pg` stays the only driver. Returns the endpoint and a release
 * function; the database closes when its last user releases it.
 */
export async function acquireEmbeddedPostgres(
  dataDir: string,
): Promise<{ endpoint: EmbeddedEndpoint; release: () => Promise<void> }> {
  let entry = running.get(dataDir);
  if (!entry) {
    const started = start(dataDir);
    const created: Running = {
      endpoint: started.then((s) => s.endpoint),
      users: 0,
      stop: async () => (await started).stop(),
    };
    entry = created;
    running.set(dataDir, created);
    started.catch(() => running.delete(dataDir));
  }
  entry.users += 1;
  const current = entry;
  let endpoint: EmbeddedEndpoint;
  try {
    endpoint = await current.endpoint;
  } catch (err) {
    current.users -= 1;
    throw err;
  }
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    current.users -= 1;
    if (current.users === 0 && running.get(dataDir) === current) {
      running.delete(dataDir);
      await current.stop();
    }
  };
  return { endpoint, release };
}
