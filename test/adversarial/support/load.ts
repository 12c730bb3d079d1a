import { performance } from 'node:perf_hooks';

/** One answered (or failed) request of a load run. */
export interface Sample {
  what: string;
  /** 0 when the request itself failed (connection refused during a restart). */
  status: number;
  ms: number;
  at: number;
  body: unknown;
  retryAfter: string | null;
}

/** Runs `workers` loops of `step` until stop() is called; every answer is kept. */
export function runLoad(workers: number, step: (worker: number, sample: (s: Omit<Sample, 'ms' | 'at'>, started: number) => void) => Promise<void>) {
  const samples: Sample[] = [];
  let running = true;
  const record = (s: Omit<Sample, 'ms' | 'at'>, started: number) => samples.push({ ...s, ms: performance.now() - started, at: Date.now() });
  const loops = Array.from({ length: workers }, async (_, worker) => {
    while (running) {
      await step(worker, record);
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return {
    samples,
    async stop(): Promise<void> {
      running = false;
      await Promise.all(loops);
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
