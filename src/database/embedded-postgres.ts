import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { lockDataDir } from './data-dir-lock';
import { SessionQueue } from './session-queue';

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
  let db: PGlite;
  try {
    db = await PGlite.create(pgdata);
  } catch (err) {
    unlock();
    throw err;
  }
  const queue = new SessionQueue(db);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // The handler's public options omit queryQueue, but it is how a custom queue is given.
    const handler = new PGLiteSocketHandler({ db, closeOnDetach: true, queryQueue: queue } as never);
    handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('embedded database did not get a port');
  const stop = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    await queue.close();
    await db.close();
    unlock();
  };
  return { endpoint: { host: '127.0.0.1', port: address.port }, stop };
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
