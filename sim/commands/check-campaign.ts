/**
 * Models: nothing real. The random campaign of `parma-sim check`: the property suites' model-based
 * campaign (properties/campaign.ts: generated policies, a hostile host under fast-check, the
 * independent invariant after every step) run batch by batch over the batches a shard owns
 * (sim/check/shards.ts), inline or on worker_threads.
 * Method: batch b is `runCampaign({ seed: batchSeed(S, b), runs: batchRuns(b), … })`, so its
 * verdict does not depend on which shard, worker or process ran it; workers take batches
 * round-robin and post each result back; results are sorted by batch. Decision coverage is kept
 * as flat counts so shards' coverage merges by addition.
 * The CLI face is the one part of sim/ that loads properties/ (DESIGN.md: sim ← properties).
 */
import { Worker } from 'node:worker_threads';
import { assert } from '../kernel/assert.js';
import { runCampaign, describeVerdict } from '../../properties/campaign.js';
import { mutantEngine, MUTANT_NAMES, type MutantName } from '../../properties/mutants.js';
import { newCoverage, type DecisionCoverage } from '../../properties/coverage.js';
import { SimError } from '../kernel/errors.js';
import {
  batchRuns, batchSeed, campaignResult, shardBatches, type BatchResult, type CampaignParameters,
  type CampaignResult, type CoverageCounts, type Shard,
} from '../check/shards.js';

export type BatchOutput = Readonly<{ result: BatchResult; coverage: CoverageCounts }>;

/** A mutant's engine by name, or SIM_USAGE naming the known ones. */
export function mutantByName(name: string): MutantName {
  if (!(MUTANT_NAMES as readonly string[]).includes(name)) {
    throw new SimError('SIM_USAGE', { mutant: name }, `unknown mutant ${JSON.stringify(name)} `
      + `(known: ${MUTANT_NAMES.join(', ')})`);
  }
  return name as MutantName;
}

/** Decision coverage as flat counts: `point|asked`, `point|deny|reason`, `check|name`, steps. */
export function coverageCounts(coverage: DecisionCoverage): CoverageCounts {
  const out: Record<string, number> = { steps: coverage.steps };
  for (const [rule, p] of coverage.points) {
    out[`point|${rule}|asked`] = p.asked;
    out[`point|${rule}|allowed`] = p.allowed;
    out[`point|${rule}|denied`] = p.denied;
    for (const [reason, n] of p.reasons) out[`point|${rule}|deny|${reason}`] = n;
  }
  for (const [check, n] of coverage.checks) out[`check|${check}`] = n;
  return out;
}

/** Flat counts back as the properties' DecisionCoverage (for its table and unreached list). */
export function coverageOf(counts: CoverageCounts): DecisionCoverage {
  const coverage = newCoverage();
  coverage.steps = counts['steps'] ?? 0;
  for (const [key, n] of Object.entries(counts)) {
    const [kind, name, field, ...rest] = key.split('|');
    if (kind === 'check' && name !== undefined) coverage.checks.set(name, n);
    if (kind !== 'point' || name === undefined || field === undefined) continue;
    let p = coverage.points.get(name);
    if (p === undefined) {
      p = { asked: 0, allowed: 0, denied: 0, reasons: new Map() };
      coverage.points.set(name, p);
    }
    if (field === 'asked') p.asked = n;
    else if (field === 'allowed') p.allowed = n;
    else if (field === 'denied') p.denied = n;
    else if (field === 'deny') p.reasons.set(rest.join('|'), n);
  }
  return coverage;
}

/** Runs batch `batch` of the campaign (pure in its inputs: any process gives the same verdict). */
export function runBatch(parameters: CampaignParameters, batch: number): BatchOutput {
  const seed = batchSeed(parameters.seed, batch);
  const runs = batchRuns(parameters, batch);
  const mutant = parameters.mutant === null ? undefined
    : { name: parameters.mutant, engine: mutantEngine(mutantByName(parameters.mutant)) };
  const out = runCampaign({ seed, runs, maxCommands: parameters.maxCommands,
    policies: parameters.policies, ...(mutant === undefined ? {} : { engine: mutant }) });
  const cex = out.counterexample;
  const verdict = cex === null ? 'holds' : cex.failure.verdict.kind === 'unknown' ? 'unknown'
    : 'violated';
  assert(out.runs >= 1 && out.runs <= runs, 'the batch ran its sequences');
  const result: BatchResult = { batch, seed, runs, steps: out.steps,
    verdict, failure: cex === null ? null : {
      invariant: cex.failure.id, verdict: verdict === 'unknown' ? 'unknown' : 'violated',
      reason: describeVerdict(cex.failure), seed: cex.seed, path: cex.path,
      trail: cex.trail.map((t) => t.label) } };
  return { result, coverage: coverageCounts(out.coverage) };
}

export type ShardRunOptions = Readonly<{
  parameters: CampaignParameters;
  shard: Shard | null;
  workers: number;
  /** Called after each batch (for the progress bar). */
  onBatch?: (done: number, total: number, result: BatchResult) => void;
}>;

function mergeCounts(into: Record<string, number>, from: CoverageCounts): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

/** Runs the batches `batches` on `workers` worker threads (round-robin), collecting outputs. */
async function onWorkers(parameters: CampaignParameters, batches: readonly number[],
  workers: number, each: (output: BatchOutput) => void): Promise<void> {
  const url = new URL('./check-worker.js', import.meta.url);
  const lanes = Array.from({ length: workers }, (_, w) => batches.filter((_b, i) =>
    i % workers === w)).filter((lane) => lane.length > 0);
  await Promise.all(lanes.map((lane) => new Promise<void>((resolve, reject) => {
    const worker = new Worker(url, { workerData: { parameters, batches: lane } });
    let received = 0;
    worker.on('message', (output: BatchOutput) => {
      received++;
      each(output);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code === 0 && received === lane.length) resolve();
      else reject(new Error(`a campaign worker exited with code ${code} after ${received} of `
        + `${lane.length} batches`));
    });
  })));
}

/** Runs the shard's batches (all batches when `shard` is null) and returns its result. */
export async function runShard(options: ShardRunOptions): Promise<CampaignResult> {
  const { parameters, shard, workers } = options;
  assert(Number.isSafeInteger(workers) && workers >= 1, 'at least one worker');
  const batches = shardBatches(parameters, shard);
  const results: BatchResult[] = [];
  const coverage: Record<string, number> = {};
  const each = (output: BatchOutput): void => {
    results.push(output.result);
    mergeCounts(coverage, output.coverage);
    options.onBatch?.(results.length, batches.length, output.result);
  };
  if (workers === 1 || batches.length <= 1) {
    for (const batch of batches) {
      each(runBatch(parameters, batch));
      // Let the progress bar's timer draw between batches (a batch runs synchronously).
      await new Promise<void>((resolve) => { setImmediate(resolve); });
    }
  } else {
    await onWorkers(parameters, batches, Math.min(workers, batches.length), each);
  }
  assert(results.length === batches.length, 'every batch of the shard ran once');
  return campaignResult(parameters, shard, results, coverage);
}
