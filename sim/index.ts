/**
 * Models: nothing real. The public library API of parma-sim. Everything a user or another
 * component's test imports comes from here; the CLI and the HTTP server call only this.
 */
export * from './kernel/index.js';
export {
  decodePolicyBytes, importSecurityPolicy, loadSecurityPolicy, securityPolicyDigestHex,
  type DecodedPolicyBytes, type PolicyEncoding,
} from '../models/policy/load-policy.js';
export {
  importRegoPolicy, parseRegoModule, type RegoModule, type RegoStatement,
} from '../models/policy/import-rego.js';
export {
  evaluateEnforcementPoint, type Decision, type DecisionSource, type EngineOptions,
  type PolicyDialect, type NullCommandReading,
} from '../models/policy/engine.js';
export { DIALECTS, POLICY_DIALECTS, type DialectInfo } from '../models/policy/dialect.js';
export {
  emptyMetadata, initialMetadata, applyMetadataOps, type PolicyMetadata, type MetadataOp,
  type LoadedFragment,
} from '../models/policy/metadata.js';
export { decodePolicyMetadata } from '../models/policy/metadata-decoder.js';
export {
  ENFORCEMENT_POINTS, ENFORCEMENT_POINT_NAMES, type EnforcementPointName, type EnforcementPointInfo,
} from '../models/policy/enforcement-points.js';
export {
  fragmentDocumentFromPolicy, type FragmentDocument,
} from '../models/policy/rules/fragment-document.js';
export {
  simulatePolicy, parseSimulatorCommands, type SimulatorCommand, type SimulatorStep,
  type SimulatorOptions,
} from '../models/policy/policy-simulator.js';
export {
  measureLaunch, MEASURE_MODES, type MeasureInput, type MeasureMode, type LaunchMeasurement,
} from '../models/hypervisor/launch-measurement.js';
export {
  loadFirmwareImage, planSnpLaunch, planSvsmLaunch, launchDigestOfPlan, snpOvmfHash, VMSA_GPA,
  type FirmwareImage as OvmfFirmwareImage, type LaunchPlan,
} from '../models/hypervisor/qemu-launch-driver.js';
export { launchVm, type LaunchVmInput, type LaunchedVm } from '../models/hypervisor/launch-vm.js';
export {
  sevHashesOf, encodeSevHashTable, type SevHashes,
} from '../models/hypervisor/sev-hashes-table.js';
export {
  createLaunchContext, snpLaunchStart, snpLaunchUpdate, snpLaunchFinish, guestContextOf,
  launchPhase, type LaunchState, type LaunchStartCommand, type LaunchUpdateCommand,
  type LaunchFinishCommand,
} from '../models/snp/launch/launch-context.js';
export {
  PAGE_TYPE, extendLaunchDigest, type MeasuredRange,
} from '../models/snp/launch/page-info.js';
export {
  FIRMWARE_STATUS, firmwareStatusOf, type FirmwareStatusName,
} from '../models/snp/launch/firmware-status.js';
export {
  signIdBlock, idSigningKeyFromPem, testIdSigningKey, type IdSigningKey, type SignedIdBlock,
} from '../models/snp/launch/id-key.js';
// SNP firmware side: report codec and view, platform state, guest messages, derived keys.
export {
  ATTESTATION_REPORT, REPORT_BYTES, SIGNED_BYTES, REPORT_VERSIONS, decodeAttestationReport,
  encodeAttestationReport, signedSpan, type AttestationReport, type ReportVersion,
} from '../models/snp/attestation-report.js';
export {
  reportView, reportJson, reportProduct, type ReportViewOptions,
} from '../models/snp/report-view.js';
export {
  REPORT_ABI_RULES, reportAbiViolations, reportTcbLayout, type AbiRule, type AbiViolation,
} from '../models/snp/report-abi.js';
export {
  GUEST_POLICY, decodeGuestPolicy, encodeGuestPolicy, type GuestPolicy,
} from '../models/snp/guest-policy.js';
export {
  PLATFORM_INFO, decodePlatformInfo, encodePlatformInfo, platformInfoOf, type PlatformInfo,
} from '../models/snp/platform-info.js';
export {
  KEY_INFO, SIGNING_KEY, decodeKeyInfo, encodeKeyInfo, type KeyInfo, type SigningKeyName,
} from '../models/snp/key-info.js';
export {
  createPlatform, snpConfig, downloadFirmware, commitFirmware, loadVlek, platformVcek, platformVlek,
  reportedChipId, deriveChipId, parseFirmwareVersion, formatFirmwareVersion, DEFAULT_FIRMWARE,
  DEFAULT_VLEK_CSP_ID, type PlatformState, type CreatePlatformOptions, type FirmwareVersion,
  type FirmwareImage,
} from '../models/snp/platform.js';
export {
  createFirmware, requestReport, requestExtendedReport, requestDerivedKey, reportVersionFor,
  chooseSigningKey, GUEST_MSG_STATUS, VMM_ERROR, type FirmwareState, type ReportRequest,
  type ReportResponse, type KeyRequest, type KeyResponse, type ExtReportResponse,
} from '../models/snp/firmware.js';
export {
  guestContextFromFields, type GuestContextFields,
} from '../models/snp/guest-context-fields.js';
export {
  CERT_GUID, encodeCertTable, decodeCertTable, certPagesNeeded, type CertTableEntry,
} from '../models/snp/cert-table.js';
export {
  MSG_HEADER, MSG_TYPE, MSG_REPORT_REQ, MSG_REPORT_RSP, MSG_KEY_REQ, MSG_KEY_RSP,
  GUEST_FIELD_SELECT, guestFieldSelect,
} from '../models/snp/guest-messages.js';
export {
  generateReport, type GenerateReportOptions, type GeneratedReport,
} from '../models/snp/report-generator.js';
export { parseTcbText } from '../models/snp/tcb-text.js';
// SNP certificates (TEST-ONLY key hierarchy, AMD X.509 profile, CRLs, KDS URLs) and the verifier.
export {
  amdTestKey, AMD_KEY_ROLES, type AmdKeyRole, type AmdTestKey,
} from '../models/snp/amd-test-keys.js';
export { rsaPssSign, rsaPssVerify } from '../models/snp/rsa-pss.js';
export { testCaCertificate, type TestCaRole } from '../models/snp/amd-test-ca.js';
export {
  AMD_OID, CA_SERIALS, buildCaCertificate, buildEndorsementCertificate, decodeAmdExtensions,
  type X509Quirks, type AmdLeafExtensions,
} from '../models/snp/x509-profile.js';
export { buildCrl, type CrlOptions, type RevokedEntry } from '../models/snp/crl.js';
export {
  buildCertificateSet, certChainPem, extendedReportCertTable, toPem, fromPem, type CertificateSet,
  type CertificateSetOptions,
} from '../models/snp/certificates.js';
export {
  KDS_BASE_URL, kdsVcekUrl, kdsVcekUrlForReport, kdsCertChainUrl, kdsCrlUrl, parseKdsUrl, kdsUrlOf,
  type KdsRequest,
} from '../models/snp/kds.js';
export {
  verifyAttestationReport, productHint, type EvidenceCertificates, type VerifyReportOptions,
  type ReportVerdict, type ReportClaims,
} from '../models/verifier/report-verifier.js';
export {
  appraiseReport, type AppraisalOptions, type PolicyFlag,
} from '../models/verifier/appraisal.js';
export {
  amdTrustAnchors, parmaSimTestAnchors, trustAnchorFromArk, type TrustAnchor,
} from '../models/verifier/trust-anchors.js';
export type { Verdict, VerifyFailure, VerifyCode } from '../models/verifier/verdict.js';
// The fake SNP backend (KDS, THIM, ACC, sidecar attestation and key release, MAA-style tokens,
// AKV-style release) and the configfs-tsm test double.
export {
  createFakeSnp, type FakeSnp, type ListenOptions, type RunningFakeSnp, type TokenOptions,
  type ReleaseKeyOptions, type ReleasedKey, type AttestationEndpoints,
} from './server.js';
export type {
  TokenServiceSpec, KeyVaultSpec, VaultKeySpec,
} from './server/attestation-config.js';
export {
  thimTcbm, sidecarEndorsedTcb, type ChipInfo, type ChipCertificates, type ThimCertification,
  type CombinedAttestation, type ReportOptions, type DerivedKeyOptions,
} from './server/backend.js';
export type { FakeSnpOptions, ChipSpec, GuestSpec } from './server/config.js';
export type { FaultSpec, FaultRule, FaultDecision } from './server/faults.js';
export { ROUTE_IDS } from './server/routes.js';
export type { FetchHandler } from './server/fetch-handler.js';
export {
  createConfigfsTsm, TSM_REPORT_ROOT, TSM_INBLOB_MAX, TSM_ATTRIBUTES, type ConfigfsTsm,
  type ConfigfsTsmOptions, type TsmReportProvider, type TsmEntry, type TsmAttribute,
} from './configfs-tsm.js';
// The guest agent (models/guest): one GCS bridge request per step over plain state.
export {
  stepAgent, bootGuest, DEFAULT_AGENT_OPTIONS, isIoError, type AgentEnv, type AgentIo,
  type AgentOptions, type AgentStep, type DiskWrite, type GuestEvent, type IoError, type Refusal,
  type RefusalLayer, type StoredBlob,
} from '../models/guest/agent.js';
export {
  createGuestState, UVM_CONTAINER_ID, type GuestState, type ContainerRecord, type ProcessRecord,
  type DeviceMount, type OverlayMount, type OwnReport, type AgentFault,
} from '../models/guest/guest-state.js';
export {
  bridgeMessage, modifySettingsMessage, decodeBridgeRequest, GCS_REQUEST_IDS, HRESULT,
  type BridgeRequest, type BridgeResponse, type RawBridgeMessage,
} from '../models/guest/bridge-protocol.js';
export {
  CONFIDENTIAL_CHECKS, CHECK_NAMES, type CheckName, type CheckSwitches,
} from '../models/guest/confidential-checks.js';
export {
  buildLayerImage, type LayerFileTree, type LayerImage,
} from '../models/guest/layer-image.js';
export { guestFilesystem } from '../models/guest/guest-fs.js';
// The world: the whole confidential container group as one deterministic, snapshot-able system.
export {
  /** Builds a world from a seed, a policy and optional generated images; nothing launched. */
  createWorld,
  /** One host action (launch, bridge frame, disk power, fault, memory and attestation powers,
   * a container's attestation) → next world, result, events. */
  step,
  /** Steps a list of host actions in order. */
  runActions,
  /** The canonical encoding of [config digest, state]; the store is kept by reference (it
   * holds the blobs the state names: policy, images, disk blocks, the config). */
  snapshot,
  /** The world of a snapshot, given a store holding its blobs. */
  restore,
  /** SHA-256 of the snapshot bytes: equal fingerprints, equal worlds. */
  fingerprint,
  /** The shim's benign deployment of the world's policy, run step by step. */
  deployBenign,
  /** The benign deployment's host actions (replayable). */
  benignDeployment,
  /** The container group the world's policy was written for (what the shim deploys). */
  containerGroupOf,
  /** The shim's deployment of a given container group (e.g. one with a container forced). */
  deployGroup,
  /** What a benign run achieved: containers deployed, refused steps and releases. */
  summarizeBenignRun,
  /** The launch a benign host chooses (HOST_DATA = SHA-256 of the policy). */
  defaultLaunch,
  /** A run as JSONL (options, every event, the final fingerprint). */
  traceJsonl,
  /** Replays a JSONL trace and checks its final fingerprint. */
  replay,
  /** One timeline line per trace event, and per host action. */
  describeEvent, describeAction,
  /** A layer file tree as a JSON image spec (for WorldOptions.images and add_image). */
  imageTreeSpecOf,
  worldOptionsFromJson, TRACE_FORMAT, WORLD_CONFIG_VERSION,
  type World, type WorldOptions, type WorldConfig, type WorldState, type WorldImage,
  type HostState, type StepResult, type StepOutput, type StoppedBy, type RunOutput,
  type BenignRun, type BenignSummary, type DeploymentRow, type ReplayOutput,
} from './world.js';
export {
  parseHostAction, HOST_ACTION_KINDS, FAULT_KINDS, type HostAction, type HostActionKind,
  type LaunchRequest, type BridgeMessage, type DiskSpec, type ImageTreeSpec, type FaultKind,
  type RemapSpec, type CertSourceName, type MessageModeName,
} from '../models/host/adversary.js';
export {
  generateWorkload, pauseLayerTree, DEFAULT_WORKLOAD_FLAGS, type Workload, type WorkloadContainer,
  type WorkloadFlags,
} from '../models/host/confcom.js';
export {
  emptyStore, storeAdd, storeGet, contentDigest, type ContentStore,
} from '../models/host/content-store.js';
export { groupOfPolicy, NULL_COMMAND_REASON } from './world-deployment.js';
// Issue 9 in the world: what the host sees, the attestation state, the part-2 host actions.
export {
  /** Everything the host can see: memory as DRAM holds it, its disks, relayed attestation. */
  hostVisibleView, type HostVisibleBlob,
} from './world-view.js';
export {
  benignReleasePolicy, poolKey, CERT_SOURCES, MESSAGE_MODES, DEFAULT_KEY_NAME,
  type AttestationConfig, type AttestationState, type AttestationHost, type Relayed,
  type CertSource, type MessageMode,
} from './world-attestation.js';
export type { ContainerGroup, GroupContainer } from '../models/host/container-group.js';
// Attestation services around SNP: an MAA-style token service, an AKV-style key broker.
export {
  createTokenService, attestSevSnpVm, tokenServiceJwks, tokenSigningKey, attestationPolicyHash,
  numericDate, MAA_TOKEN_LIFETIME_SECONDS, PERMISSIVE_ATTESTATION_POLICY,
  type TokenServiceConfig, type TokenResult, type CreateTokenServiceOptions, type TrustName,
} from '../models/verifier/token-service.js';
export {
  sevSnpVmAttestRequest, decodeAttestRequest, certificatesPem, pemCertificates,
  type AttestRequestInput, type SevSnpEvidence,
} from '../models/verifier/token-service-evidence.js';
export { SEVSNPVM_CLAIMS, sevSnpVmClaims } from '../models/verifier/token-service-claims.js';
export {
  createKeyBroker, trustAuthority, importKey, issueNonce, releaseKey, unwrapRelease,
  type KeyBrokerState, type BrokerKey, type Freshness, type ReleaseResult,
  type CreateKeyBrokerOptions, type ImportKeyInput,
} from '../models/verifier/key-broker.js';
export {
  KEY_WRAP_ALGORITHMS, rsaAesKeyWrap, rsaAesKeyUnwrap, type KeyWrapAlgorithm,
} from '../models/verifier/key-broker-wrap.js';
export {
  parseReleasePolicy, evaluateReleasePolicy, type ReleasePolicy, type PolicyEvaluation,
} from '../models/verifier/release-policy.js';
export {
  signJwt, decodeJwt, verifyJwtSignature, jwkThumbprint, base64url, fromBase64url,
  type Jwk, type Jwks, type DecodedJwt, type JsonObject,
} from '../models/verifier/jwt.js';
export {
  rsaKeyFromStream, type RsaKeyPair, type RsaPublicJwk,
} from '../models/verifier/jwt-keys.js';
// Guest memory under the RMP (hypervisor side of confidentiality).
export {
  launchGuestMemory, hostReadPage, hostWrite, hostRemap, hostView, guestRead, guestWrite,
  guestPvalidate, guestReadVmpck, guestStoreSecret, guestLoadSecret, guestTouch, hostDebugDecrypt,
  mappedGpas,
  DEFAULT_MEMORY_LAYOUT, type GuestMemory, type MemoryRegion, type HostVisiblePage,
  type RemapTarget, type GuestAccessResult,
} from '../models/hypervisor/guest-memory.js';
export {
  rmpUpdate, pvalidate, rmpAdjust, checkGuestAccess, checkHostWrite, rmpEntryOf,
  type Rmp, type RmpEntry, type MemoryFault, type MemoryFaultKind,
} from '../models/hypervisor/rmp.js';
export { SECRETS_PAGE, encodeSecretsPage } from '../models/hypervisor/guest-memory-secrets-page.js';
// Exhaustive bounded exploration (issue 11): BFS over world states with the invariant as a
// parameter (properties/invariants.ts through `parma-sim check`), the named small
// configurations, and a policy author's check (C1 and the attack surface).
export {
  /** Explores every state reachable within `depth` actions; the shortest counterexample. */
  explore,
  /** Replays a path of letters from the initial world. */
  replayPath,
  type ExploreAction, type ExploreOptions, type ExploreReport, type ExploreProgress,
  type Counterexample as ExploreCounterexample, type StateCheck, type StateVerdict, type Symmetry,
} from './explore.js';
export {
  exploreConfig, initialWorld, CONFIG_NAMES, type ExploreConfig,
} from './check/configs.js';
/** Layer images: built from a file tree, and the stand-in tree for a layer a policy names. */
export { generatedImage, standInTree, type HostImage } from '../models/host/images.js';
export {
  checkPolicySurface, type PolicySurface, type SurfaceFinding, type SurfaceKind, type C1Verdict,
  type PolicyCheckInput,
} from './check/policy-check.js';

// What the CLI parses its flags against and renders with (sim/commands import models only
// through this file and its faces in sim/api/; a test enforces it).

/** The faces a command may import alone, re-exported here in full. */
export * from './api/dmverity.js';
export * from './api/measure.js';
export * from './api/verify.js';
/** Report VERSION guard: true for the versions the codec knows (2, 3, 5). */
export { isReportVersion } from '../models/snp/attestation-report.js';
/** Policy fragments: COSE_Sign1 envelopes, as the GCS verifies them, and their signing. */
export {
  parseFragmentNamespace, signFragment, verifyFragmentEnvelope, verifySignedStatement,
  type SignFragmentOptions, type SignedStatement, type VerifiedFragment,
  type VerifyEnvelopeOptions,
} from '../models/policy/fragment-envelope.js';
/** Deterministic test issuers for fragments (a chain and did:x509 DIDs from a seed). */
export {
  createTestIssuer, type TestIssuer, type TestIssuerCurve, type TestIssuerOptions,
} from '../models/policy/test-issuers.js';
/** The did:x509 CA fingerprint of a DER certificate: base64url of its hash. */
export { certificateFingerprint } from '../models/policy/did-x509.js';
/** The shim's GCS message builders (hcsshim's request shapes), for host actions a command plans. */
export {
  gcsMessage, mappedVirtualDisk, modifySettings, rootfsPath, type GcsMessageName,
} from '../models/host/shim.js';
