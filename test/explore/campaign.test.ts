/**
 * Goal: a random campaign scales out without changing what it checks: 4 shards of a campaign,
 * merged with `parma-sim check merge`, cover exactly the seeds (batches) of one unsharded run
 * with the same verdicts, steps and decision coverage; worker threads change nothing either;
 * JOB_COMPLETION_INDEX picks the shard; merge refuses a shard given twice or another campaign's
 * result and names missing batches.
 * Method: the CLI in this process (`runCli`) with small campaigns (100 sequences, 4 generated
 * policies per batch); results read back from the JSON each run printed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseShard, shardBatches, type CampaignResult } from '../../sim/check/shards.js';
import { SimError } from '../../sim/kernel/errors.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'parma-check-'));
const BASE = ['check', '--runs', '100', '--seed', '5', '--policies', '4', '--max-commands', '12',
  '--format', 'json'];

async function campaign(extra: readonly string[]): Promise<{ code: number;
  result: CampaignResult }> {
  const out = await runCli([...BASE, ...extra]);
  assert.ok(out.code === 0 || out.code === 10, out.stderr);
  return { code: out.code, result: JSON.parse(out.stdout) as CampaignResult };
}

const summary = (r: CampaignResult) => r.batches.map((b) => [b.batch, b.seed, b.runs, b.steps,
  b.verdict]);

test('check: 4 shards merged cover exactly the seeds of one unsharded run, with the same '
  + 'verdicts, steps and coverage', async () => {
  const whole = await campaign([]);
  const files: string[] = [];
  const shardSeeds: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const shard = await campaign(['--shard', `${i}/4`]);
    assert.equal(shard.result.shard, { index: i, count: 4 });
    shardSeeds.push(shard.result.batches.map((b) => b.seed));
    const file = join(dir, `shard-${i}.json`);
    writeFileSync(file, JSON.stringify(shard.result));
    files.push(file);
  }
  const all = shardSeeds.flat();
  assert.is(new Set(all).size, all.length, 'no seed in two shards');
  const merged = await runCli(['check', 'merge', '--format', 'json', ...files]);
  assert.is(merged.code, whole.code, merged.stderr);
  const result = JSON.parse(merged.stdout) as CampaignResult;
  assert.is(result.mergedFrom, 4);
  assert.equal(result.missing, []);
  assert.equal(summary(result), summary(whole.result));
  assert.equal(result.coverage, whole.result.coverage);
  assert.equal(result.totals, whole.result.totals);
  assert.equal([...all].sort((a, b) => a - b), whole.result.batches.map((b) => b.seed)
    .sort((a, b) => a - b));
});

test('check: two worker threads give the result of one thread', async () => {
  const one = await campaign(['--runs', '50']);
  const two = await campaign(['--runs', '50', '--workers', '2']);
  assert.is(one.result.batches.length, 2);
  assert.equal(summary(two.result), summary(one.result));
  assert.equal(two.result.coverage, one.result.coverage);
});

test('check merge: a shard given twice, a result of another campaign, and gaps are refused',
  async () => {
  const a = await campaign(['--runs', '50', '--shard', '0/2']);
  const fileA = join(dir, 'a.json');
  writeFileSync(fileA, JSON.stringify(a.result));
  const twice = await runCli(['check', 'merge', fileA, fileA]);
  assert.is(twice.code, 2);
  assert.match(twice.stderr, /batch 0 is in two results/);
  const other = join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ ...a.result, parameters: { ...a.result.parameters,
    seed: 6 }, batches: [] }));
  const mixed = await runCli(['check', 'merge', fileA, other]);
  assert.is(mixed.code, 2);
  assert.match(mixed.stderr, /another campaign/);
  const gap = await runCli(['check', 'merge', fileA]);
  assert.is(gap.code, 10);
  assert.match(gap.stderr, /1 batches of the campaign are in no result: 1/);
});

test('check: --shard "/n" takes its index from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs); '
  + 'a bad shard is a usage error', () => {
  assert.equal(parseShard('/4', '3'), { index: 3, count: 4 });
  assert.equal(parseShard('1/4', '3'), { index: 1, count: 4 });
  for (const bad of ['4/4', '/4', 'x/2', '1/0']) {
    let code = '';
    try {
      parseShard(bad);
    } catch (error) {
      code = error instanceof SimError ? error.code : 'other';
    }
    assert.is(code, 'SIM_USAGE', bad);
  }
  const parameters = { seed: 1, runs: 260, batchSize: 25, maxCommands: 40, policies: 8,
    mutant: null };
  const parts = [0, 1, 2].map((index) => shardBatches(parameters, { index, count: 3 }));
  assert.equal(parts.flat().sort((x, y) => x - y), shardBatches(parameters, null));
  assert.is(shardBatches(parameters, null).length, 11);
});

test('check: a campaign on a broken engine (mount_device allowing any hash) exits 10 and '
  + 'prints the shrunk sequence', async () => {
  const out = await runCli(['check', '--runs', '25', '--seed', '3', '--policies', '4',
    '--mutant', 'mount_device_any_hash']);
  assert.is(out.code, 10, out.stdout);
  assert.match(out.stdout, /I1 violated: device \/run\/mounts\/scsi\/m\d+/);
  assert.match(out.stdout, /shrunk sequence:\n +1\. /);
});

test.run();
