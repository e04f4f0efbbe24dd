/**
 * Models: nothing real. How a random campaign splits over machines: the seed space is cut into
 * batches (batch b runs `batchSize` sequences from its own seed), shard i of n owns the batches
 * b with b mod n = i, and shards' JSON results merge back into the result of one unsharded run.
 * Real counterpart: the job engines that run the shards: a CI matrix, or a Kubernetes Indexed
 * Job (JOB_COMPLETION_INDEX names the shard).
 * Method: everything a batch does depends only on (campaign seed, batch number, parameters), so
 * a batch gives the same verdict in any shard, worker or process; merging checks that the
 * shards ran the same campaign, that no batch came twice, and lists any batch missing.
 * Invariants: the shards of one campaign partition its batches; a batch's seed is a pure
 * function of (seed, batch); a merged result has its batches in order.
 */
import { assert } from '../kernel/assert.js';
import { SimError } from '../kernel/errors.js';

export const CHECK_FORMAT = 'parma-sim-check/1';
/** Sequences per batch (the unit of sharding). */
export const BATCH_SIZE = 25;

export type Shard = Readonly<{ index: number; count: number }>;

/** What makes two results parts of one campaign. */
export type CampaignParameters = Readonly<{
  seed: number;
  runs: number;
  batchSize: number;
  maxCommands: number;
  policies: number;
  /** A mutant engine the campaign ran on (properties/mutants.ts), or null. */
  mutant: string | null;
}>;

export type BatchFailure = Readonly<{
  invariant: string;
  verdict: 'violated' | 'unknown';
  reason: string;
  /** fast-check's seed and path for the failing sequence. */
  seed: number;
  path: string;
  /** The counterexample's labelled host actions, shortest fast-check found. */
  trail: readonly string[];
}>;

export type BatchResult = Readonly<{
  batch: number;
  seed: number;
  runs: number;
  steps: number;
  verdict: 'holds' | 'violated' | 'unknown';
  failure: BatchFailure | null;
}>;

/** Decision coverage as counts by "point deny-reason" key (mergeable by addition). */
export type CoverageCounts = Readonly<Record<string, number>>;

export type CampaignResult = Readonly<{
  format: typeof CHECK_FORMAT;
  kind: 'campaign';
  parameters: CampaignParameters;
  /** The shard this result is, or null for a whole (or merged) campaign. */
  shard: Shard | null;
  /** Shards merged into this result (1 for a single run). */
  mergedFrom: number;
  batches: readonly BatchResult[];
  coverage: CoverageCounts;
  totals: Readonly<{ runs: number; steps: number; violations: number; unknown: number }>;
  /** Batches of the campaign that are not in this result (a shard, or a merge with gaps). */
  missing: readonly number[];
}>;

/** "i/n" (0-based i), e.g. "2/4"; JOB_COMPLETION_INDEX supplies i when only "/n" is given. */
export function parseShard(text: string, completionIndex?: string): Shard {
  const match = /^(\d*)\/(\d+)$/.exec(text.trim());
  if (match === null) {
    throw new SimError('SIM_USAGE', { shard: text }, `--shard is i/n with 0 <= i < n (got ${
      JSON.stringify(text)})`);
  }
  const indexText = match[1] === '' ? completionIndex : match[1];
  if (indexText === undefined || !/^\d+$/.test(indexText)) {
    throw new SimError('SIM_USAGE', { shard: text }, '--shard /n needs JOB_COMPLETION_INDEX '
      + '(a Kubernetes Indexed Job sets it) or an explicit index i/n');
  }
  const index = Number(indexText);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(count) || count < 1 || count > 65_536 || index >= count) {
    throw new SimError('SIM_USAGE', { shard: text }, `--shard ${index}/${count}: need 0 <= i < n `
      + '<= 65536');
  }
  return { index, count };
}

/** The number of batches of a campaign of `runs` sequences. */
export function batchCount(parameters: CampaignParameters): number {
  return Math.ceil(parameters.runs / parameters.batchSize);
}

/** Batch b's seed: a pure function of the campaign seed and b (fast-check takes 32-bit seeds). */
export function batchSeed(seed: number, batch: number): number {
  assert(Number.isSafeInteger(seed) && seed >= 0, 'a campaign seed');
  assert(Number.isSafeInteger(batch) && batch >= 0, 'a batch number');
  return (seed * 1_000_003 + batch * 7_919) % 0x7fff_ffff;
}

/** Sequences in batch b (the last batch may be short). */
export function batchRuns(parameters: CampaignParameters, batch: number): number {
  const runs = Math.min(parameters.batchSize, parameters.runs - batch * parameters.batchSize);
  assert(runs > 0, 'a batch inside the campaign');
  return runs;
}

/** The batches shard `shard` owns (all of them for null). */
export function shardBatches(parameters: CampaignParameters, shard: Shard | null): number[] {
  const all = Array.from({ length: batchCount(parameters) }, (_, b) => b);
  const mine = shard === null ? all : all.filter((b) => b % shard.count === shard.index);
  assert(mine.every((b) => b < all.length), 'batches inside the campaign');
  return mine;
}

function addCoverage(into: Record<string, number>, from: CoverageCounts): void {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
}

/** A campaign result from its batches (sorted), coverage and shard. */
export function campaignResult(parameters: CampaignParameters, shard: Shard | null,
  batches: readonly BatchResult[], coverage: CoverageCounts, mergedFrom = 1): CampaignResult {
  const sorted = [...batches].sort((a, b) => a.batch - b.batch);
  const present = new Set(sorted.map((b) => b.batch));
  assert(present.size === sorted.length, 'each batch once');
  const expected = shardBatches(parameters, shard);
  return {
    format: CHECK_FORMAT, kind: 'campaign', parameters, shard, mergedFrom, batches: sorted,
    coverage,
    totals: {
      runs: sorted.reduce((n, b) => n + b.runs, 0), steps: sorted.reduce((n, b) => n + b.steps, 0),
      violations: sorted.filter((b) => b.verdict === 'violated').length,
      unknown: sorted.filter((b) => b.verdict === 'unknown').length,
    },
    missing: expected.filter((b) => !present.has(b)),
  };
}

function sameParameters(a: CampaignParameters, b: CampaignParameters): boolean {
  return a.seed === b.seed && a.runs === b.runs && a.batchSize === b.batchSize
    && a.maxCommands === b.maxCommands && a.policies === b.policies && a.mutant === b.mutant;
}

/** Parses one shard's JSON result (as `check --format json` wrote it). */
export function parseCampaignResult(text: string, name: string): CampaignResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SimError('SIM_BAD_RESULT', { file: name }, `${name}: not JSON`);
  }
  const o = value as Partial<CampaignResult> | null;
  if (o === null || typeof o !== 'object' || o.format !== CHECK_FORMAT || o.kind !== 'campaign'
    || typeof o.parameters !== 'object' || !Array.isArray(o.batches)
    || typeof o.coverage !== 'object' || o.coverage === null) {
    throw new SimError('SIM_BAD_RESULT', { file: name }, `${name}: not a ${CHECK_FORMAT} campaign `
      + 'result (write one with `parma-sim check --format json`)');
  }
  return o as CampaignResult;
}

/** Merges shards' results: one campaign, no batch twice; gaps are listed in `missing`. */
export function mergeResults(results: readonly CampaignResult[]): CampaignResult {
  if (results.length === 0) throw new SimError('SIM_USAGE', {}, 'merge needs at least one result');
  const parameters = results[0]!.parameters;
  const batches: BatchResult[] = [];
  const seen = new Set<number>();
  const coverage: Record<string, number> = {};
  for (const [i, result] of results.entries()) {
    if (!sameParameters(result.parameters, parameters)) {
      throw new SimError('SIM_USAGE', { result: i }, `result ${i + 1} is of another campaign `
        + `(${JSON.stringify(result.parameters)} vs ${JSON.stringify(parameters)})`);
    }
    for (const batch of result.batches) {
      if (seen.has(batch.batch)) {
        throw new SimError('SIM_USAGE', { batch: batch.batch }, `batch ${batch.batch} is in two `
          + 'results (the same shard merged twice?)');
      }
      seen.add(batch.batch);
      batches.push(batch);
    }
    addCoverage(coverage, result.coverage);
  }
  const merged = campaignResult(parameters, null, batches, coverage,
    results.reduce((n, r) => n + r.mergedFrom, 0));
  assert(merged.batches.length === seen.size, 'every batch kept');
  return merged;
}
