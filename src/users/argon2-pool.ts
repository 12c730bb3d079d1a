import type { Options } from '@node-rs/argon2';
import { Worker } from 'node:worker_threads';
import { workerScript } from '../common/worker-script';
import type { Argon2Request, Argon2Result } from './argon2.worker';

/** The pool could not run a job (closed, or its thread died): not an answer about the password. */
export class Argon2PoolError extends Error {}

interface Pending {
  request: Argon2Request;
  resolve: (value: string | boolean) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Jobs posted to the thread, oldest first: it answers them in that order. */
  readonly posted: Pending[];
}

/**
 * Jobs a thread holds at once: the one it hashes and the next, already in its message queue,
 * so it starts the next the moment it finishes instead of idling while its answer crosses to
 * the event loop and a new job crosses back (a busy event loop makes that round trip long).
 */
const DEPTH = 2;

/**
 * argon2id on a fixed number of worker threads (by default one per core), each hashing one
 * password at a time with the next one queued beside it (DEPTH), while the rest wait in
 * arrival order.
 *
 * Why not the library's async API on libuv's pool: memory-hard hashes running at once beyond
 * the core count buy no throughput, only more memory in use and more cache fights (raw
 * verifications per second were the same or lower with 4 in flight than with 2 on a 2-core
 * machine); a login flood would take all of libuv's threads from file and DNS work; and those
 * threads' priority cannot be set. These run at a lower priority (ARGON2_NICE), so request
 * handling, token refreshes and the database go first while logins saturate the CPU
 * (bench/grants.js login-flood: refreshes beside a login flood, 562/s at p99 20 ms at the
 * same priority, 890/s at p99 13 ms at niceness 10).
 */
export class Argon2Pool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly niceness: number,
  ) {}

  hash(password: string, options: Options): Promise<string> {
    return this.run({ op: 'hash', password, options }) as Promise<string>;
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.run({ op: 'verify', hash, password }) as Promise<boolean>;
  }

  /** Jobs waiting for a thread (not counting the ones running). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Ends the threads; anything running or queued fails with Argon2PoolError. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    const unfinished = [...slots.flatMap((s) => s.posted.splice(0)), ...this.queue.splice(0)];
    for (const pending of unfinished) pending.reject(new Argon2PoolError('argon2 pool closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private run(request: Argon2Request): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Argon2PoolError('argon2 pool closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length) {
      const slot = this.slotFor();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.posted.push(job);
      // A thread with a job keeps the process alive until it answers; an idle one does not.
      slot.worker.ref();
      slot.worker.postMessage(job.request);
    }
  }

  /** An idle thread, else a new one while under the size, else the least loaded below DEPTH. */
  private slotFor(): Slot | null {
    const idle = this.slots.find((s) => s.posted.length === 0);
    if (idle) return idle;
    if (this.slots.length < this.size) return this.spawn();
    let best: Slot | null = null;
    for (const s of this.slots) if (s.posted.length < DEPTH && (!best || s.posted.length < best.posted.length)) best = s;
    return best;
  }

  private spawn(): Slot {
    const { file, execArgv } = workerScript(__filename, 'argon2.worker');
    const worker = new Worker(file, { execArgv, workerData: { niceness: this.niceness } });
    const slot: Slot = { worker, posted: [] };
    // A thread answers its jobs in the order they were posted.
    worker.on('message', (result: Argon2Result) => {
      const done = slot.posted.shift();
      if (!slot.posted.length) worker.unref();
      if ('error' in result) done?.reject(new Error(result.error));
      else done?.resolve(result.value);
      this.dispatch();
    });
    // A thread that dies fails its job and leaves its place to a new one.
    const lost = (err: Error) => {
      const index = this.slots.indexOf(slot);
      if (index < 0) return;
      this.slots.splice(index, 1);
      for (const job of slot.posted.splice(0)) job.reject(err);
      if (!this.closed) this.dispatch();
    };
    worker.on('error', (err) => lost(new Argon2PoolError(`argon2 worker failed: ${err.message}`)));
    worker.on('exit', (code) => lost(new Argon2PoolError(`argon2 worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }
}
