/**
 * Goal: one fresh Node process that runs some compiled uvu test files for Stryker
 * (test/mutation/uvu-runner.ts) and reports, per file, pass/fail, time and the mutants it covered.
 * Method: the Stryker namespace (`globalThis.__stryker__`) is set up before anything instrumented
 * loads: the active mutant and hit limit in a mutant run, or the current test id (the file) in a
 * coverage run, so the file's imports count as its own coverage and no mutant is "static". uvu is
 * told to defer (`UVU_DEFER`), each file is imported, then its queued suites run in order; the
 * first failing file ends a run that may bail. The result goes back over the IPC channel.
 * A fresh process per run is what keeps runs apart: test files and support modules cache values
 * (the CI campaign's result, the kernel memo) that would leak from one mutant into the next.
 */
import { pathToFileURL } from 'node:url';

export type ChildRequest = Readonly<{
  mode: 'coverage' | 'mutant';
  /** Compiled test files (absolute paths) with their test ids, run in this order. */
  files: readonly Readonly<{ path: string; id: string }>[];
  bail: boolean;
  activeMutant?: string;
  hitLimit?: number;
}>;

export type FileResult = Readonly<{
  id: string; passed: boolean; timeSpentMs: number; failureMessage?: string;
}>;

export type ChildResult = Readonly<{
  files: readonly FileResult[];
  /** perTest coverage keyed by file id (coverage mode only). */
  coverage?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** True when the mutant ran past its hit limit (an infinite loop, reported as a timeout). */
  hitLimitReached: boolean;
}>;

type StrykerNamespace = {
  activeMutant?: string; currentTestId?: string; hitCount?: number; hitLimit?: number;
  mutantCoverage?: { static: Record<string, number>; perTest: Record<string, Record<string, number>> };
};
type UvuRun = () => Promise<[string | true, number, number, number]>;
type UvuGlobals = { UVU_DEFER?: number; UVU_INDEX?: number; UVU_QUEUE?: unknown[][];
  __stryker__?: StrykerNamespace };

const plainText = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

async function runFile(g: UvuGlobals, file: string, index: number): Promise<string | undefined> {
  g.UVU_INDEX = index;
  g.UVU_QUEUE!.push([null]);
  await import(pathToFileURL(file).href);
  const group = g.UVU_QUEUE![index]!;
  let failure: string | undefined;
  for (const run of group.slice(1) as UvuRun[]) {
    const [errors, passed, , total] = await run();
    if (failure !== undefined) continue;
    if (errors !== true) failure = plainText(errors).slice(0, 2000);
    // uvu reports no error at all when formatting a failure throws (a test that throws undefined
    // or null, an assertion whose diff cannot be printed): a test that did not pass still fails.
    else if (passed < total) failure = `${total - passed} of ${total} tests did not pass`;
  }
  return failure;
}

export async function runChild(request: ChildRequest): Promise<ChildResult> {
  const g = globalThis as UvuGlobals;
  const ns: StrykerNamespace = (g.__stryker__ ??= {});
  if (request.activeMutant !== undefined) ns.activeMutant = request.activeMutant;
  if (request.hitLimit !== undefined) {
    ns.hitCount = 0;
    ns.hitLimit = request.hitLimit;
  }
  g.UVU_DEFER = 1;
  g.UVU_QUEUE = [];
  const files: FileResult[] = [];
  for (const [index, { path: file, id }] of request.files.entries()) {
    if (request.mode === 'coverage') ns.currentTestId = id;
    const started = performance.now();
    let failure: string | undefined;
    try {
      failure = await runFile(g, file, index);
    } catch (error) {
      failure = `loading ${id} threw: ${error instanceof Error ? error.stack : String(error)}`;
    }
    const timeSpentMs = Math.round(performance.now() - started);
    files.push(failure === undefined ? { id, passed: true, timeSpentMs }
      : { id, passed: false, timeSpentMs, failureMessage: failure });
    if (failure !== undefined && request.bail) break;
  }
  const hitLimitReached = ns.hitLimit !== undefined && (ns.hitCount ?? 0) > ns.hitLimit;
  return request.mode === 'coverage'
    ? { files, coverage: ns.mutantCoverage?.perTest ?? {}, hitLimitReached }
    : { files, hitLimitReached };
}

// Run as a forked child: one request in, one result out, then exit.
if (process.send !== undefined && process.env['PARMA_UVU_CHILD'] === '1') {
  process.once('message', (message) => {
    runChild(message as ChildRequest).then((result) => {
      process.send!(result, () => process.exit(0));
    }, (error: unknown) => {
      process.stderr.write(`uvu-child: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    });
  });
}
