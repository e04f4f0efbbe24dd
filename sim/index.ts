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
export {
  measureLaunch, MEASURE_MODES, type MeasureInput, type MeasureMode, type LaunchMeasurement,
} from '../models/hypervisor/launch-measurement.js';
export {
  loadFirmwareImage, planSnpLaunch, planSvsmLaunch, launchDigestOfPlan, snpOvmfHash, VMSA_GPA,
  type FirmwareImage as OvmfFirmwareImage, type LaunchPlan,
} from '../models/hypervisor/qemu-launch-driver.js';
export { launchVm, type LaunchVmInput, type LaunchedVm } from '../models/hypervisor/launch-vm.js';
export { sevHashesOf, encodeSevHashTable, type SevHashes } from '../models/hypervisor/sev-hashes-table.js';
export {
  createLaunchContext, snpLaunchStart, snpLaunchUpdate, snpLaunchFinish, guestContextOf, launchPhase,
  type LaunchSnapshot, type LaunchStartCommand, type LaunchUpdateCommand, type LaunchFinishCommand,
} from '../models/snp/launch/launch-context.js';
export { PAGE_TYPE, extendLaunchDigest, type MeasuredRange } from '../models/snp/launch/page-info.js';
export { FIRMWARE_STATUS, firmwareStatusOf, type FirmwareStatusName } from '../models/snp/launch/firmware-status.js';
export {
  signIdBlock, idSigningKeyFromPem, testIdSigningKey, type IdSigningKey, type SignedIdBlock,
} from '../models/snp/launch/id-key.js';
