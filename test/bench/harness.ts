/**
 * Goal: one shape for every benchmark, so `npm run bench` prints one table.
 * Method: each `test/bench/<area>.bench.ts` exports `benches`; every bench measures our code and,
 * where one exists, the reference tool in the same run, and reports the ratio. Benchmarks never
 * assert times; tests never run benchmarks.
 */
import { performance } from 'node:perf_hooks';

export type BenchRow = Readonly<{
  name: string;
  /** Our figure. */
  value: number;
  unit: string;
  /** The reference measured in the same run (e.g. `openssl speed`), if any. */
  reference?: Readonly<{ name: string; value: number; unit: string }>;
  /** ours / reference, oriented so that > 1 means "we are better" unless `note` says otherwise. */
  ratio?: number;
  note?: string;
}>;

export type Bench = Readonly<{ name: string; run: () => Promise<readonly BenchRow[]> }>;

/**
 * Runs `fn` repeatedly for about `budgetMs` (after a warm-up) and returns operations per second.
 */
export function opsPerSecond(fn: () => void, budgetMs = 1_000): number {
  for (let i = 0; i < 3; i++) fn();
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    fn();
    count++;
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}

/** Median wall time of `runs` calls of `fn`, in milliseconds. */
export async function medianMs(fn: () => unknown, runs = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
