import { createServer, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { SessionQueue } from './session-queue';

/**
 * Runs PGlite and its wire-protocol server on a thread of its own, as a Postgres server would
 * run beside the service: its WebAssembly heap and query work stay off the event loop that
 * serves HTTP. Messages: → {port} once listening, or {error}; ← 'stop' → {stopped}.
 */
async function main(): Promise<void> {
  const { pgdata } = workerData as { pgdata: string };
  const db = await PGlite.create(pgdata);
  const queue = new SessionQueue(db);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
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
  parentPort!.on('message', async (msg) => {
    if (msg !== 'stop') return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    await queue.close();
    await db.close();
    parentPort!.postMessage({ stopped: true });
  });
  parentPort!.postMessage({ port: address.port });
}

main().catch((err: Error) => parentPort!.postMessage({ error: err.message }));
