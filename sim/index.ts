/**
 * Models: nothing real. The public library API of parma-sim. Everything a user or another
 * component's test imports comes from here; the CLI and the HTTP server call only this.
 */
export * from './kernel/index.js';
export {
  decodePolicyBytes, importSecurityPolicy, loadSecurityPolicy, securityPolicyDigestHex,
  type DecodedPolicyBytes, type PolicyEncoding,
} from '../models/policy/load-policy.js';
export { importRegoPolicy, parseRegoModule, type RegoModule, type RegoStatement } from '../models/policy/import-rego.js';
export {
  evaluateEnforcementPoint, type Decision, type DecisionSource, type EngineOptions, type PolicyDialect,
} from '../models/policy/engine.js';
export {
  emptyMetadata, applyMetadataOps, metadataFromJson, type PolicyMetadata, type MetadataOp, type LoadedFragment,
} from '../models/policy/metadata.js';
export {
  ENFORCEMENT_POINTS, ENFORCEMENT_POINT_NAMES, type EnforcementPointName, type EnforcementPointInfo,
} from '../models/policy/enforcement-points.js';
export { fragmentDocumentFromPolicy, type FragmentDocument } from '../models/policy/rules/fragment-document.js';
export {
  simulatePolicy, parseSimulatorCommands, type SimulatorCommand, type SimulatorStep, type SimulatorOptions,
} from '../models/policy/policy-simulator.js';
