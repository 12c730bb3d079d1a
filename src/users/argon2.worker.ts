import { hashSync, verifySync, type Options } from '@node-rs/argon2';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

export type Argon2Request = { op: 'hash'; password: string; options: Options } | { op: 'verify'; hash: string; password: string };

export type Argon2Result = { value: string | boolean } | { error: string };

/**
 * Lowers this thread's CPU priority (Linux: setpriority on the thread id). Hashing is the
 * throughput work; request handling and the database on the same host keep their latency.
 * Elsewhere /proc/thread-self does not exist and the thread keeps its priority.
 */
function lowerPriority(niceness: number): void {
  if (niceness === 0) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (tid > 0) setPriority(tid, niceness);
  } catch {
    // not Linux, or not permitted: stay at the process priority
  }
}

lowerPriority((workerData as { niceness: number }).niceness);

parentPort!.on('message', (job: Argon2Request) => {
  let result: Argon2Result;
  try {
    result = { value: job.op === 'hash' ? hashSync(job.password, job.options) : verifySync(job.hash, job.password) };
  } catch (err) {
    result = { error: (err as Error).message };
  }
  parentPort!.postMessage(result);
});
