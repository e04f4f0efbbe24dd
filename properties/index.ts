/**
 * Goal: the property suites' public API (`parma-sim/properties`): the invariant specification,
 * the arbitraries (policies, worlds, benign deployments, hostile actions), the model-based
 * campaign, decision coverage, the mutant engines and counterexample scenarios.
 * Method: re-exports only.
 */
export {
  HOLDS, checkInvariants, firstFailure, INVARIANTS, policyDataOf, runInvariant, unknown,
  viewOf, violated, type Invariant, type InvariantResult, type Verdict, type ViewOptions,
  type WorldView,
} from './invariants.js';
export {
  I1_CONTAINER_INTEGRITY, I2_EXECUTION_INTEGRITY, I3_STATE_DISCIPLINE,
} from './invariant-checks.js';
export {
  I5_ATTESTATION_BINDING, I6_CONFIDENTIALITY, I7_KEY_RELEASE, reportOfRequest,
} from './invariant-attestation.js';
export { I4_METADATA } from './invariant-metadata.js';
export { readPolicyData, type PolicyData } from './policy-data.js';
export {
  generatedPolicyArb, generatedPolicyOf, policyShapeArb, policyText, worldOf, worldOptionsOf,
  type GeneratedPolicy, type PolicyArbOptions, type PolicyShape,
} from './arbitraries.js';
export {
  hostileActionArb, hostileContext, mutationArb, roguePrelude, ROGUE_IMAGES,
  type HostileContext, type LabelledAction,
} from './hostile.js';
export { LAYER_TREES, layerRoot, type LayerName } from './catalog.js';
export { FRAGMENT_NAMES, signedFragment, type FragmentName } from './fragments.js';
export {
  campaignPool, InvariantViolation, runCampaign, type CampaignOptions, type CampaignResult,
  type Counterexample,
} from './campaign.js';
export {
  coverageTable, mergeCoverage, newCoverage, recordStep, unreached, uncatalogued,
  type DecisionCoverage,
} from './coverage.js';
export { MUTANT_NAMES, mutantEngine, type MutantName } from './mutants.js';
export { scenarioFile } from './scenario-file.js';
