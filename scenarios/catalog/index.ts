/**
 * Goal: the catalog: every scenario, grouped as issue 10 lists them (the Parma paper's attacks,
 * hcsshim's hardening history, attestation and firmware attacks, evidence real verifiers wrongly
 * accepted, confidentiality, benign workflows), with the shared-policy workflows when
 * ../shared/testdata is there.
 * Method: the groups' lists concatenated in that order; names are checked unique once per build.
 * Invariants: the order is stable (it is the CLI's and the demo's order).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assert } from '../../sim/kernel/assert.js';
import { packageRoot } from '../../sim/kernel/package-root.js';
import type { Scenario } from '../dsl.js';
import { PAPER_SCENARIOS } from './paper.js';
import { HARDENING_SCENARIOS } from './hardening.js';
import { privilegedWeb } from '../examples/privileged-web.js';
import { ATTESTATION_SCENARIOS } from './attestation.js';
import { EVIDENCE_SCENARIOS } from './evidence-mutations.js';
import { CONFIDENTIALITY_SCENARIOS } from './confidentiality.js';
import { BENIGN_SCENARIOS, sharedPolicyScenarios } from './benign.js';

/** ../shared/testdata/policies beside the package (PARMA_SIM_SHARED overrides ../shared). */
export function defaultSharedPolicies(): string | null {
  const shared = resolve(packageRoot(), process.env['PARMA_SIM_SHARED'] ?? '../shared');
  const dir = join(shared, 'testdata', 'policies');
  return existsSync(dir) ? dir : null;
}

export type CatalogOptions = Readonly<{ sharedPolicies?: string | null }>;

/** Every scenario, in catalog order. */
export function catalog(options: CatalogOptions = {}): readonly Scenario[] {
  const dir = options.sharedPolicies === undefined ? defaultSharedPolicies()
    : options.sharedPolicies;
  const all = [...PAPER_SCENARIOS, ...HARDENING_SCENARIOS, privilegedWeb, ...ATTESTATION_SCENARIOS,
    ...EVIDENCE_SCENARIOS, ...CONFIDENTIALITY_SCENARIOS, ...BENIGN_SCENARIOS,
    ...(dir === null ? [] : sharedPolicyScenarios(dir))];
  const names = new Set(all.map((s) => s.name));
  assert(names.size === all.length, 'scenario names are unique');
  return all;
}
