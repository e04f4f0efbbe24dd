/**
 * Goal: what the property suites pay per host step (issue 11: aim 20,000 steps/s with the
 * invariant checked): world steps with I1–I7 checked after each, for the benign deployment and
 * for the campaign's hostile actions; the invariant alone per step (incremental, with the view
 * before the step, and from scratch); the campaign's sequences per second.
 * Method: a generated policy's world (properties/arbitraries.ts); the hostile actions are drawn
 * once from properties/hostile.ts with a fixed seed and each is stepped from the running world;
 * the campaign is properties/campaign.ts on a small pool. No reference tool.
 */
import fc from 'fast-check';
import { deployBenign, step, type World } from '../../sim/world.js';
import { campaignPool, runCampaign } from '../../properties/campaign.js';
import { hostileActionArb } from '../../properties/hostile.js';
import { firstFailure, viewOf, type WorldView } from '../../properties/invariants.js';
import { opsPerSecond, type Bench, type BenchRow } from './harness.js';

function checkedStep(world: World, before: WorldView, action: Parameters<typeof step>[1]): void {
  const out = step(world, action);
  const failure = firstFailure(viewOf(out.world, { before }));
  if (failure !== null) throw new Error(`bench: ${failure.id} fails`);
}

export const benches: readonly Bench[] = [{
  name: 'properties: host steps with I1–I7 checked after each, the invariant alone, campaign',
  run: async () => {
    const [entry] = campaignPool(5, 1);
    const { world, ctx } = entry!;
    const run = deployBenign(world);
    const stop = run.rows.findIndex((row) => row.note.startsWith('shut'));
    let running = world;
    for (const row of run.rows.slice(0, stop)) running = step(running, row.action).world;
    const runningView = viewOf(running);
    const benign = run.actions;
    const benignRate = opsPerSecond(() => {
      let w = world;
      let before = viewOf(w);
      for (const action of benign) {
        w = step(w, action).world;
        const view = viewOf(w, { before });
        if (firstFailure(view) !== null) throw new Error('bench: the benign run fails');
        before = view;
      }
    }, 1_500) * benign.length;
    const hostile = fc.sample(hostileActionArb(world, ctx), { seed: 5, numRuns: 2048 });
    let next = 0;
    const hostileRate = opsPerSecond(() => {
      checkedStep(running, runningView, hostile[next++ % hostile.length]!.action);
    }, 1_500);
    const plainRate = opsPerSecond(() => {
      step(running, hostile[next++ % hostile.length]!.action);
    }, 1_500);
    const after = step(running, hostile[0]!.action).world;
    const incremental = 1e6 / opsPerSecond(() => {
      firstFailure(viewOf(after, { before: runningView }));
    }, 700);
    const scratch = 1e6 / opsPerSecond(() => { firstFailure(viewOf(after)); }, 700);
    const campaign = runCampaign({ seed: 5, runs: 200, policies: 4 });
    const rows: BenchRow[] = [
      { name: `benign deployment, checked (${benign.length} steps)`, value: benignRate,
        unit: 'steps/s', note: 'aim: 20,000/s' },
      { name: 'hostile actions, checked', value: hostileRate, unit: 'steps/s',
        note: 'aim: 20,000/s' },
      { name: 'hostile actions, not checked', value: plainRate, unit: 'steps/s',
        note: 'the world alone' },
      { name: 'I1–I7 after a step (incremental)', value: incremental, unit: 'µs/step' },
      { name: 'I1–I7 from scratch', value: scratch, unit: 'µs/view' },
      { name: `campaign (${campaign.runs} sequences, ${campaign.steps} steps)`,
        value: (campaign.steps * 1000) / campaign.elapsedMs, unit: 'steps/s',
        note: 'pool building included' },
    ];
    return rows;
  },
}];
