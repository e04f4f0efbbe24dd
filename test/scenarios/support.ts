/**
 * Goal: what the scenario tests share: the catalog as the tests see it (with the shared policies
 * when ../shared/testdata is there) and each scenario's result for a seed, computed once per
 * test process (uvu runs every suite in one process), so the catalog test and the CLI test do
 * not run the catalog twice.
 * Method: a Map keyed by "seed/name" inside this test-support module.
 */
import { catalog } from '../../scenarios/catalog/index.js';
import type { Scenario } from '../../scenarios/dsl.js';
import { runScenario, type ScenarioResult } from '../../scenarios/runner.js';
import { HAVE_TESTDATA, TESTDATA_DIR } from '../support/paths.js';

export const SHARED_POLICIES = HAVE_TESTDATA ? `${TESTDATA_DIR}/policies` : null;

/** The catalog as the CLI sees it here (with the shared policies when they are there). */
export const SCENARIOS: readonly Scenario[] = catalog({ sharedPolicies: SHARED_POLICIES });

/** The scenarios that need nothing outside the repository. */
export const OWN_SCENARIOS: readonly Scenario[] = catalog({ sharedPolicies: null });

const results = new Map<string, ScenarioResult>();

/** The result of `scenario` for `seed`, run once per test process. */
export function resultOf(scenario: Scenario, seed: number): ScenarioResult {
  const key = `${seed}/${scenario.name}`;
  const known = results.get(key);
  if (known !== undefined) return known;
  const result = runScenario(scenario, seed);
  results.set(key, result);
  return result;
}
