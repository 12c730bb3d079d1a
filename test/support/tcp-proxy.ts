import { connect, createServer, type Socket } from 'node:net';

/**
 * Where trap() breaks the connection that carries a matching message: before the message
 * reaches the server (`request`), or after the server has answered it, dropping the answer
 * (`answer`: the server did the work, the app never hears of it).
 */
export type TrapPoint = 'request' | 'answer';

/** A loopback TCP proxy a test can cut, to take the database away from the app and give it back. */
export interface TcpProxy {
  readonly port: number;
  cut(): void;
  restore(): void;
  /** Breaks the one connection whose next client message contains `pattern`, at `point`; resolves when it did. */
  trap(pattern: RegExp, point: TrapPoint): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let blocked = false;
  let armed: { pattern: RegExp; point: TrapPoint; sprung: () => void } | null = null;
  const server = createServer((client) => {
    if (blocked) return client.destroy();
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    let dropAnswer: (() => void) | null = null;
    client.on('data', (chunk: Buffer) => {
      const trap = armed;
      if (trap && trap.pattern.test(chunk.toString('latin1'))) {
        armed = null;
        if (trap.point === 'request') {
          client.destroy();
          upstream.destroy();
          return trap.sprung();
        }
        dropAnswer = trap.sprung;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (dropAnswer) {
        const sprung = dropAnswer;
        dropAnswer = null;
        client.destroy();
        upstream.destroy();
        return sprung();
      }
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      blocked = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      blocked = false;
    },
    trap: (pattern, point) => new Promise<void>((sprung) => (armed = { pattern, point, sprung })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
