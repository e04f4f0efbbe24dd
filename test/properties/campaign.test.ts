/**
 * Goal: the CI campaign — 2,000 hostile sequences of up to 40 steps each over 24 generated
 * policies — keeps I1–I7 after every step, and it reaches every deny reason of every enforcement
 * point the GCS asks (decision coverage); the points and reasons listed as unreachable stay
 * unreached (if one is reached, the list is wrong and must be corrected).
 * Method: properties/campaign.ts with a fixed seed; on a violation the test prints the seed,
 * the path and the shrunk counterexample as a runnable scenario. The coverage table is printed
 * with the campaign's size and time.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCampaign, type CampaignResult } from '../../properties/campaign.js';
import {
  coverageTable, NOT_ASKED, uncatalogued, UNREACHABLE_REASONS, unreached,
} from '../../properties/coverage.js';

export const CI_CAMPAIGN = Object.freeze({ seed: 2026, runs: 2000, maxCommands: 40,
  policies: 24 });

let result: CampaignResult | null = null;
function campaign(): CampaignResult {
  result ??= runCampaign(CI_CAMPAIGN);
  return result;
}

test('properties/campaign: 2,000 hostile sequences of up to 40 steps keep I1–I7 after every '
  + 'step', () => {
  const r = campaign();
  console.log(`campaign seed ${CI_CAMPAIGN.seed}: ${r.runs} sequences, ${r.steps} steps in `
    + `${(r.elapsedMs / 1000).toFixed(1)} s`);
  if (r.counterexample !== null) {
    const c = r.counterexample;
    console.log(`counterexample: seed ${c.seed}, path ${c.path}\n${c.scenario}`);
  }
  assert.is(r.counterexample, null);
  assert.is(r.runs, CI_CAMPAIGN.runs);
  assert.ok(r.steps > CI_CAMPAIGN.runs * 20, 'sequences are long (size max), not ~4 steps');
});

test('properties/coverage: the CI campaign reaches every deny reason of every enforcement point',
  () => {
    const r = campaign();
    console.log(coverageTable(r.coverage));
    assert.equal(unreached(r.coverage), []);
    assert.equal(uncatalogued(r.coverage), []);
  });

test('properties/coverage: what the catalogue lists as unreachable through the GCS stays so',
  () => {
    const r = campaign();
    for (const [point, reasons] of Object.entries(UNREACHABLE_REASONS)) {
      for (const reason of Object.keys(reasons)) {
        assert.is(r.coverage.points.get(point)?.reasons.get(reason) ?? 0, 0, `${point}: ${reason}`);
      }
    }
    for (const point of Object.keys(NOT_ASKED)) {
      assert.is(r.coverage.points.get(point)?.asked ?? 0, 0, `${point} is never asked`);
    }
    assert.ok((r.coverage.points.get('create_container')?.asked ?? 0) > 0, 'the table is filled');
  });

test.run();
