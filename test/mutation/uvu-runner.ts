/**
 * Goal: a Stryker test runner for this project's compiled uvu tests (uvu has no Stryker runner,
 * and the command runner would run every test for every mutant, with no coverage).
 * Method: the sandbox is built once by Stryker's `buildCommand` (tsc; mutants are switched at run
 * time), then every run forks a fresh Node process (test/mutation/uvu-child.ts) over the compiled
 * test files. A test here is one test file. The dry run forks one process per file, so each
 * file's coverage includes what its imports ran at load: no mutant is "static", and a mutant run
 * forks one process with the mutant active from the start, over only the files that cover it,
 * quickest first, stopping at the first failure. A fresh process per run costs ~0.3 s and keeps
 * module-level caches of one mutant's run out of the next. The active mutant is also in the
 * environment, so the CLI processes that tests spawn run it too.
 * Options (`uvuCompiled` in stryker.config.mjs): `testDir` (compiled tests, relative to the
 * sandbox) and `pattern` (a regular expression over paths relative to it).
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StrykerOptions } from '@stryker-mutator/api/core';
import { commonTokens, declareClassPlugin, PluginKind, tokens } from '@stryker-mutator/api/plugin';
import {
  DryRunStatus, MutantRunStatus, TestStatus, type DryRunOptions, type DryRunResult,
  type MutantRunOptions, type MutantRunResult, type TestResult, type TestRunner,
  type TestRunnerCapabilities,
} from '@stryker-mutator/api/test-runner';
import type { ChildRequest, ChildResult } from './uvu-child.js';
import { assertionIgnorerPlugin } from './ignore-assertions.js';

type UvuCompiledOptions = Readonly<{ testDir: string; pattern: string }>;

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'uvu-child.js');

type TestFile = Readonly<{ path: string; id: string }>;

/**
 * The compiled test files under `root` whose relative path matches. A test id is the path and a
 * digest of the compiled file, so Stryker's incremental mode sees an edited test file as a new
 * test (and reruns the mutants it covers) while an unchanged one keeps its results.
 */
function listTests(root: string, pattern: RegExp): TestFile[] {
  const found: TestFile[] = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.test.js')) continue;
    const path = join(entry.parentPath, entry.name);
    const name = relative(root, path);
    if (!pattern.test(name)) continue;
    const digest = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);
    found.push({ path, id: `${name}@${digest}` });
  }
  return found.sort((a, b) => a.id.localeCompare(b.id));
}

type Outcome = Readonly<{ result?: ChildResult; timedOut: boolean; crash?: string }>;

/** Forks the child on one request; kills it after `timeoutMs`. */
function runInChild(request: ChildRequest, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PARMA_UVU_CHILD: '1' };
    if (request.activeMutant !== undefined) env['__STRYKER_ACTIVE_MUTANT__'] = request.activeMutant;
    const child = fork(CHILD, [], { env, cwd: process.cwd(),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let result: ChildResult | undefined;
    let timedOut = false;
    child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk).slice(-4000); });
    child.on('message', (message) => { result = message as ChildResult; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result !== undefined) resolve({ result, timedOut: false });
      else resolve({ timedOut, crash: `exit ${code ?? signal}: ${stderr}` });
    });
    child.send(request);
  });
}

export class UvuCompiledTestRunner implements TestRunner {
  static inject = tokens(commonTokens.options);
  private readonly settings: UvuCompiledOptions;
  private files: TestFile[] = [];
  private readonly timeSpent = new Map<string, number>();

  constructor(options: StrykerOptions) {
    const given = (options as unknown as { uvuCompiled?: Partial<UvuCompiledOptions> }).uvuCompiled;
    this.settings = { testDir: given?.testDir ?? 'dist/test', pattern: given?.pattern ?? '.' };
  }

  capabilities(): TestRunnerCapabilities {
    return { reloadEnvironment: true };   // every run is a new process
  }

  private get root(): string {
    return join(process.cwd(), this.settings.testDir);
  }

  async init(): Promise<void> {
    this.files = listTests(this.root, new RegExp(this.settings.pattern));
    if (this.files.length === 0) throw new Error(`uvu-runner: no test files under ${this.root}`);
  }

  async dryRun(options: DryRunOptions): Promise<DryRunResult> {
    const tests: TestResult[] = [];
    const perTest: Record<string, Record<string, number>> = {};
    const timeoutMs = Math.max(options.timeout, 600_000);
    // One process per file (two at a time: the machine has two cores).
    const outcomes = new Map<string, Outcome>();
    const queue = [...this.files];
    const work = async (): Promise<void> => {
      for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
        outcomes.set(file.id, await runInChild({ mode: 'coverage', files: [file], bail: false },
          timeoutMs));
      }
    };
    await Promise.all([work(), work()]);
    for (const file of this.files) {
      const outcome = outcomes.get(file.id)!;
      if (outcome.result === undefined) {
        return { status: DryRunStatus.Error,
          errorMessage: `${file.id}: ${outcome.crash ?? 'timeout'}` };
      }
      for (const f of outcome.result.files) {
        this.timeSpent.set(f.id, f.timeSpentMs);
        tests.push(f.passed
          ? { id: f.id, name: f.id, timeSpentMs: f.timeSpentMs, status: TestStatus.Success }
          : { id: f.id, name: f.id, timeSpentMs: f.timeSpentMs, status: TestStatus.Failed,
            failureMessage: f.failureMessage ?? '' });
      }
      Object.assign(perTest, outcome.result.coverage ?? {});
    }
    // Mutant runs happen in other workers: they read the times from the sandbox.
    writeFileSync(this.timesFile, JSON.stringify(Object.fromEntries(this.timeSpent)));
    return { status: DryRunStatus.Complete, tests, mutantCoverage: { static: {}, perTest } };
  }

  async mutantRun(options: MutantRunOptions): Promise<MutantRunResult> {
    const wanted = options.testFilter === undefined ? undefined : new Set(options.testFilter);
    const files = this.files.filter((f) => wanted === undefined || wanted.has(f.id))
      .sort((a, b) => (this.cost(a) - this.cost(b)));
    const outcome = await runInChild({ mode: 'mutant', files,
      bail: !options.disableBail, activeMutant: options.activeMutant.id,
      ...(options.hitLimit === undefined ? {} : { hitLimit: options.hitLimit }) },
    Math.floor(options.timeout * 0.95));   // before Stryker's own timer kills this worker
    if (outcome.timedOut || outcome.result?.hitLimitReached === true) {
      return { status: MutantRunStatus.Timeout };
    }
    if (outcome.result === undefined) {
      // The mutant crashed the process (a stack overflow, an exit): the tests did not pass.
      return { status: MutantRunStatus.Killed, killedBy: [], nrOfTests: files.length,
        failureMessage: outcome.crash ?? 'crashed' };
    }
    const failed = outcome.result.files.filter((f) => !f.passed);
    const nrOfTests = outcome.result.files.length;
    if (failed.length === 0) return { status: MutantRunStatus.Survived, nrOfTests };
    return { status: MutantRunStatus.Killed, killedBy: failed.map((f) => f.id), nrOfTests,
      failureMessage: failed[0]!.failureMessage ?? '' };
  }

  private get timesFile(): string {
    return join(process.cwd(), '.uvu-dry-run-times.json');
  }

  private cost(file: TestFile): number {
    if (this.timeSpent.size === 0 && existsSync(this.timesFile)) {
      const saved = JSON.parse(readFileSync(this.timesFile, 'utf8')) as Record<string, number>;
      for (const [id, ms] of Object.entries(saved)) this.timeSpent.set(id, ms);
    }
    return this.timeSpent.get(file.id) ?? Number.MAX_SAFE_INTEGER;
  }
}

export const strykerPlugins = [
  declareClassPlugin(PluginKind.TestRunner, 'uvu-compiled', UvuCompiledTestRunner),
  assertionIgnorerPlugin,
];

export const strykerValidationSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    uvuCompiled: {
      type: 'object',
      properties: { testDir: { type: 'string' }, pattern: { type: 'string' } },
      additionalProperties: false,
    },
  },
};
