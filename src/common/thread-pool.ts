import { availableParallelism } from 'node:os';

/**
 * The size of libuv's thread pool when the operator has not chosen one: one thread per core, at
 * least two. That pool signs every token (jose calls node:crypto's sign with a callback), besides
 * file writes and DNS lookups. libuv's own default is 4 threads whatever the machine: on two cores,
 * four signers beside the event loop and Postgres took turns on the CPU for nothing, and two
 * served more (issue 12, bench/ab.js, interleaved rounds: client_credentials +11% in 8 rounds of
 * 8, refresh +12% in 7 of 8). Not fewer than two, so one slow DNS lookup or write never holds
 * every signature; one alone was also slower for refreshes.
 */
export function threadPoolSize(configured: string | undefined, cores = availableParallelism()): number {
  const chosen = Number(configured);
  if (configured !== undefined && configured.trim() !== '' && Number.isInteger(chosen) && chosen > 0) return chosen;
  return Math.max(2, cores);
}

/**
 * Sets UV_THREADPOOL_SIZE in this process' environment, from `source` (the environment over the
 * .env file). libuv reads it once, when the pool first runs a job, so this must run before
 * anything uses the pool: before the app, its database or its logger start.
 */
export function sizeThreadPool(source: Readonly<Record<string, string | undefined>>): number {
  const size = threadPoolSize(source.UV_THREADPOOL_SIZE);
  process.env.UV_THREADPOOL_SIZE = String(size);
  return size;
}
