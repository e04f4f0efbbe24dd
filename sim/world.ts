/**
 * Models: the whole confidential container group as one deterministic system (DESIGN.md "How the
 * pieces talk"): the AMD-SP firmware, the hypervisor's launch, the guest-message channel, the
 * guest agent with its policy engine, and the untrusted host's disks, driven one host action at
 * a time. Every piece of state is plain data that round-trips through the canonical codec; big
 * static data (policy bytes, images, launch inputs, the configuration) sits in a content store.
 * Method: `step(world, action)` is pure: it returns a new world, the step's result and the trace
 * events; a refused action returns the same state object. `snapshot`/`restore`/`fingerprint`
 * work over the canonical encoding of {config digest, state}; a trace (JSONL) records the world's
 * options, every action, every event and the final fingerprint, so `replay` can check it.
 * Invariants: the same options and actions give the same events and fingerprint in any process;
 * the state names every blob it depends on by digest (config, images, policy), so equal
 * fingerprints mean equal behaviour for the same store; no wall clock, no Math.random.
 */
import { assert } from './kernel/assert.js';
import { hexBytes, isHexOf, toHex, type Hex } from './kernel/bytes.js';
import { canonicalJson, type Json } from './kernel/canonical-json.js';
import { decodeState, encodeState } from './kernel/codec.js';
import {
  decodeComposed, encodeComposed, fingerprintComposed, fingerprintPair,
} from './world-codec.js';
import { SimError } from './kernel/errors.js';
import { memo } from './kernel/memo.js';
import {
  Rng, canonicalSeed, rngStateOf, seedPath, type RngState, type Seed,
} from './kernel/rng.js';
import type { ClockState } from './kernel/clock.js';
import type { TraceEvent, TracePosition, TraceSource } from './kernel/trace.js';
import {
  emptyStore, storeAdd, storeGet, type ContentStore,
} from '../models/host/content-store.js';
import {
  addLayerDisk, addScratchDisk, applyWrites, attachDisk, detachDisk, deviceBytes, deviceId,
  emptyStorage, scratchDiskAt, swapDisks, tamperBlock, withholdDisk, type HostStorage,
  type StoredStorage,
} from '../models/host/storage.js';
import {
  parseHostAction, type FaultKind, type HostAction, type ImageTreeSpec, type LaunchRequest,
} from '../models/host/adversary.js';
import {
  generatedImage, identityRoot, standInImages, type HostImage,
} from '../models/host/images.js';
import {
  uvmFlashImage, uvmInitrd, uvmKernel, UVM_DEFAULT_CMDLINE,
} from '../models/host/uvm-image.js';
import { planBenignDeployment, type ContainerIds } from '../models/host/shim.js';
import type { ContainerGroup } from '../models/host/container-group.js';
import type { LayerFileTree } from '../models/guest/layer-image.js';
import {
  launchDigestOfPlan, loadFirmwareImage, planSnpLaunch,
} from '../models/hypervisor/qemu-launch-driver.js';
import { sevHashesOf } from '../models/hypervisor/sev-hashes-table.js';
import { launchVm } from '../models/hypervisor/launch-vm.js';
import { cpuSignature } from '../models/hypervisor/vcpu-types.js';
import { createFirmware, type FirmwareState } from '../models/snp/firmware.js';
import { createPlatform } from '../models/snp/platform.js';
import { endorsementRootOf } from '../models/snp/endorsement-keys.js';
import {
  createLaunchContext, guestContextOf, type LaunchState,
} from '../models/snp/launch/launch-context.js';
import {
  NEW_CHANNEL, firmwareGuestRequest, openGuestMessage, sealGuestMessage, type ChannelState,
} from '../models/snp/guest-message-channel.js';
import {
  MSG_TYPE, decodeMsgReportRsp, encodeMsgReportReq,
} from '../models/snp/guest-messages.js';
import { decodeAttestationReport } from '../models/snp/attestation-report.js';
import { PRODUCTS, type Product } from '../models/snp/product.js';
import { loadSecurityPolicy } from '../models/policy/load-policy.js';
import { groupOfPolicy } from './world-deployment.js';
import type { GuestMemory } from '../models/hypervisor/guest-memory.js';
import {
  attestationConfigOf, initialAttestation, launchMemory, type AttestationConfig,
  type AttestationState, type AttestationWorld,
} from './world-attestation.js';
import {
  attestationOutcome, describeAttestationAction, guestMemoryGate, syncGuestSecrets,
} from './world-attestation-steps.js';
import {
  DEFAULT_AGENT_OPTIONS, bootGuest, stepGuest, type AgentOptions, type DecisionSummary,
  type AgentIo, type GuestState, type PolicyEngine, type Refusal,
} from './world-guest.js';

// ---------------------------------------------------------------------------------------------
// Types

/** How a world is made. JSON-serialisable (a trace records it), except `policy` as bytes. */
export type WorldOptions = Readonly<{
  seed: Seed;
  /** The security policy: its exact bytes, or its text (UTF-8). */
  policy: Uint8Array | string;
  /** Generated layer images (file trees, contents in hex); layers the policy names without one
   * here get stand-ins. */
  images?: readonly ImageTreeSpec[];
  product?: Product;
  agent?: AgentOptions;
  launch?: Readonly<{ vcpus?: number; guestPolicy?: string; cmdline?: string }>;
  /**
   * A test seam: a policy engine in place of models/policy's (e.g. a deliberately broken copy a
   * mutation test expects the invariant to catch). Not state: it is named in the config (so such
   * a world never shares a fingerprint with a real one) but not serialised; `restore` takes it
   * again.
   */
  engine?: PolicyEngine;
}>;

/** One image the world knows: its store digest, computed root and declared registry root. */
export type WorldImage = Readonly<{ digest: Hex; realRoot: Hex; declaredRoot: Hex | null }>;

/** Static facts of a world, fingerprinted once (its digest is in every snapshot). */
export type WorldConfig = Readonly<{
  /** The config layout's version (a snapshot of another layout is refused). */
  version: number;
  seed: string;
  product: Product;
  /** Store digest of the policy bytes (= the HOST_DATA a benign launch uses). */
  policy: Hex;
  images: readonly WorldImage[];
  launch: Readonly<{ firmware: Hex; kernel: Hex; initrd: Hex; cmdline: string; vcpus: number;
    guestPolicy: string }>;
  agent: AgentOptions;
  /** The options as JSON (policy as base64), so a trace can rebuild the world. */
  options: Json;
  /** The token service and the key the broker holds for this policy (issue 9). */
  attestation: AttestationConfig;
}>;

export type HostState = Readonly<{
  storage: HostStorage;
  /** A fault the host injected and the guest has not yet hit. */
  fault: FaultKind | null;
  /** Images the host added during the run (add_image), by store digest. */
  addedImages: Readonly<Record<string, WorldImage>>;
}>;

export type WorldState = Readonly<{
  rng: RngState;
  clock: ClockState;
  trace: TracePosition;
  firmware: FirmwareState;
  launch: LaunchState;
  channel: ChannelState;
  /** null until the UVM is launched. */
  guest: GuestState | null;
  host: HostState;
  /** The UVM's memory under the RMP; null until the UVM is launched. */
  memory: GuestMemory | null;
  /** The key broker, the guest's attestation client and what the host controls and relayed. */
  attestation: AttestationState;
}>;

export type World = Readonly<{
  config: WorldConfig;
  /** SHA-256 of the canonical encoding of `config` (the config is in `store` under it). */
  configDigest: Hex;
  store: ContentStore;
  state: WorldState;
  /** The injected policy engine (WorldOptions.engine), if any. */
  engine?: PolicyEngine;
}>;

/** Who stopped an action (the layer whose check refused it). */
export type StoppedBy = 'host' | 'hypervisor' | 'firmware' | 'message' | 'structure' | 'policy'
  | 'verity' | 'crypt' | 'io' | 'state' | 'verifier';

export type StepResult = Readonly<{
  kind: HostAction['kind'];
  /** ok: the action did what it asked; refused: a check stopped it (state unchanged or rolled
   * back, see the guest's refusal). */
  outcome: 'ok' | 'refused';
  stoppedBy: StoppedBy | null;
  reason: string;
  refusal: Refusal | null;
  decision: DecisionSummary | null;
  /** The GCS response to a bridge frame. */
  response: Json | null;
}>;

export type StepOutput = Readonly<{ world: World; result: StepResult;
  events: readonly TraceEvent[] }>;

export const WORLD_CONFIG_VERSION = 2;
const DEFAULT_GUEST_POLICY = '0x30000';
const DEFAULT_VCPUS = 2;

// ---------------------------------------------------------------------------------------------
// Building a world

function layerTreeOf(spec: ImageTreeSpec): LayerFileTree {
  const tree: Record<string, LayerFileTree[string]> = {};
  for (const [path, node] of Object.entries(spec)) {
    const mode = node.mode === undefined ? {} : { mode: node.mode };
    tree[path] = node.kind === 'file' ? { kind: 'file', content: hexBytes(node.content), ...mode }
      : { kind: 'dir', ...mode };
  }
  return tree;
}

/** A layer file tree as an image spec (file contents as hex), for options and add_image. */
export function imageTreeSpecOf(tree: LayerFileTree): ImageTreeSpec {
  const spec: Record<string, ImageTreeSpec[string]> = {};
  for (const [path, node] of Object.entries(tree)) {
    const mode = node.mode === undefined ? {} : { mode: node.mode };
    spec[path] = node.kind === 'file' ? { kind: 'file', content: toHex(node.content), ...mode }
      : { kind: 'dir', ...mode };
  }
  return spec;
}

/** The image of a tree spec, built once per content. */
function imageOfSpec(spec: ImageTreeSpec): HostImage {
  return memo('world/generated-image', canonicalJson(spec), () =>
    generatedImage(layerTreeOf(spec)), 256);
}

function optionsJson(options: WorldOptions, policyBytes: Uint8Array): Json {
  return {
    seed: canonicalSeed(options.seed),
    policy: Buffer.from(policyBytes).toString('base64'),
    images: (options.images ?? []) as unknown as Json,
    product: options.product ?? 'Milan',
    agent: (options.agent ?? DEFAULT_AGENT_OPTIONS) as Json,
    launch: (options.launch ?? {}) as Json,
    ...(options.engine === undefined ? {} : { engine: 'injected' }),
  };
}

/** WorldOptions back from their JSON form (a trace header). */
export function worldOptionsFromJson(value: unknown): WorldOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SimError('SIM_USAGE', {}, 'world options must be a JSON object');
  }
  const o = value as Record<string, unknown>;
  if (typeof o['seed'] !== 'string' || typeof o['policy'] !== 'string') {
    throw new SimError('SIM_USAGE', {}, 'world options need a seed and a base64 policy');
  }
  const images = Array.isArray(o['images']) ? o['images'].map((tree) =>
    parseHostAction({ kind: 'add_image', tree })).map((a) => (a.kind === 'add_image'
    ? a.tree : {})) : [];
  return {
    seed: o['seed'], policy: new Uint8Array(Buffer.from(o['policy'], 'base64')), images,
    product: (o['product'] ?? 'Milan') as Product,
    agent: (o['agent'] ?? DEFAULT_AGENT_OPTIONS) as AgentOptions,
    launch: (o['launch'] ?? {}) as WorldOptions['launch'] & object,
  };
}

type Built = { store: ContentStore; images: WorldImage[] };

function addImages(built: Built, images: readonly HostImage[]): void {
  for (const image of images) {
    const added = storeAdd(built.store, image.image);
    built.store = added.store;
    if (built.images.some((known) => known.digest === added.digest)) continue;
    built.images.push({ digest: added.digest, realRoot: image.realRoot,
      declaredRoot: image.declaredRoot });
  }
}

/** Builds a world: firmware for the seed, the policy and images in the store, nothing launched. */
export function createWorld(options: WorldOptions): World {
  const seed = canonicalSeed(options.seed);
  const product = options.product ?? 'Milan';
  if (!Object.hasOwn(PRODUCTS, product)) {
    throw new SimError('SIM_USAGE', { product }, `unknown product ${String(product)}`);
  }
  const raw = typeof options.policy === 'string' ? new TextEncoder().encode(options.policy)
    : options.policy;
  const loaded = loadSecurityPolicy(raw);
  const built: Built = { store: emptyStore(), images: [] };
  const policyAdded = storeAdd(built.store, loaded.bytes);
  built.store = policyAdded.store;
  addImages(built, (options.images ?? []).map(imageOfSpec));
  const known = new Set(built.images.map((image) => image.realRoot));
  const group = groupOfPolicy(loaded.policy);
  const missing = new Set(group.containers.flatMap((c) => c.layers).filter((h) => !known.has(h)));
  if (missing.size > 0) addImages(built, standInImages(group, missing));
  const inputs = [uvmFlashImage(), uvmKernel(), uvmInitrd()].map((bytes) => {
    const added = storeAdd(built.store, bytes);
    built.store = added.store;
    return added.digest;
  });
  const config: WorldConfig = {
    version: WORLD_CONFIG_VERSION, seed, product, policy: policyAdded.digest, images: built.images,
    launch: { firmware: inputs[0]!, kernel: inputs[1]!, initrd: inputs[2]!,
      cmdline: options.launch?.cmdline ?? UVM_DEFAULT_CMDLINE,
      vcpus: options.launch?.vcpus ?? DEFAULT_VCPUS,
      guestPolicy: options.launch?.guestPolicy ?? DEFAULT_GUEST_POLICY },
    agent: options.agent ?? DEFAULT_AGENT_OPTIONS,
    options: optionsJson(options, loaded.bytes),
    attestation: attestationConfigOf(uvmMeasurement(built.store, {
      firmware: inputs[0]!, kernel: inputs[1]!, initrd: inputs[2]!,
      cmdline: options.launch?.cmdline ?? UVM_DEFAULT_CMDLINE,
      vcpus: options.launch?.vcpus ?? DEFAULT_VCPUS }, product)),
  };
  const configBytes = encodeState(config);
  const configAdded = storeAdd(built.store, configBytes);
  const snp = Rng.fromSeed(seed).fork('snp');
  const platform = createPlatform({ rng: snp, product });
  const state: WorldState = Object.freeze({
    rng: rngStateOf(`${seedPath(seed)}/host`),
    clock: Object.freeze({ ticks: 0 }),
    trace: Object.freeze({ seq: 0, tick: 0 }),
    firmware: createFirmware(endorsementRootOf(snp), platform),
    launch: createLaunchContext(),
    channel: NEW_CHANNEL,
    guest: null,
    host: Object.freeze({ storage: emptyStorage(), fault: null, addedImages: Object.freeze({}) }),
    memory: null,
    attestation: initialAttestation(seed, config.attestation, policyAdded.digest),
  });
  const world: World = Object.freeze({ config, configDigest: configAdded.digest,
    store: configAdded.store, state, ...(options.engine === undefined ? {}
      : { engine: options.engine }) });
  assert(storeGet(world.store, world.config.policy) !== undefined, 'the policy is stored');
  return world;
}

/** The launch a benign host chooses: the world's UVM image and HOST_DATA = SHA-256(policy). */
export function defaultLaunch(world: World): LaunchRequest {
  const l = world.config.launch;
  return { firmware: l.firmware, kernel: l.kernel, initrd: l.initrd, cmdline: l.cmdline,
    vcpus: l.vcpus, guestPolicy: l.guestPolicy, hostData: world.config.policy, idBlock: null };
}

// ---------------------------------------------------------------------------------------------
// Stepping

/** The events of one step: numbered from the world's trace position, all at the step's tick. */
class StepEvents {
  readonly events: TraceEvent[] = [];
  private seq: number;
  constructor(position: TracePosition, readonly tick: number) {
    this.seq = position.seq;
  }
  emit(source: TraceSource, type: string, data: Json): void {
    this.events.push({ seq: this.seq++, tick: this.tick, source, type, data });
  }
  position(): TracePosition {
    return Object.freeze({ seq: this.seq, tick: this.tick });
  }
}

const ok = (kind: HostAction['kind'], reason = ''): StepResult => ({ kind, outcome: 'ok',
  stoppedBy: null, reason, refusal: null, decision: null, response: null });

const refused = (kind: HostAction['kind'], stoppedBy: StoppedBy, reason: string): StepResult => ({
  kind, outcome: 'refused', stoppedBy, reason, refusal: null, decision: null, response: null });

type Change = Readonly<{ state?: Partial<WorldState>; store?: ContentStore; result: StepResult }>;

/** Runs a host-storage operation; a refused one (HOST_BAD_INPUT) changes nothing. */
function hostChange(world: World, kind: HostAction['kind'],
  change: (storage: HostStorage) => HostStorage | StoredStorage): Change {
  try {
    const changed = change(world.state.host.storage);
    const stored = 'store' in changed ? changed : { storage: changed, store: world.store };
    return { state: { host: { ...world.state.host, storage: stored.storage } },
      store: stored.store, result: ok(kind) };
  } catch (error) {
    if (!(error instanceof SimError) || error.code !== 'HOST_BAD_INPUT') throw error;
    return { result: refused(kind, 'host', error.message) };
  }
}

type LaunchOutcome = Readonly<{ launch: LaunchState; channel: ChannelState;
  ownReport: Readonly<{ host_data: Hex; measurement: Hex }>; reportId: Hex }>;

/** The guest at boot asks the firmware for its own report through VMPCK0 (spec snp.md b.1). */
function fetchOwnReport(firmware: FirmwareState, launch: LaunchState,
  channel: ChannelState): Pick<LaunchOutcome, 'channel' | 'ownReport' | 'reportId'> {
  const context = guestContextOf(launch);
  const vmpck = hexBytes(context.vmpck[0]!);
  const request = sealGuestMessage({ vmpck, vmpckIndex: 0, seqno: channel.lastSeqno[0]! + 1n,
    msgType: MSG_TYPE.REPORT_REQ,
    payload: encodeMsgReportReq({ report_data: new Uint8Array(64), vmpl: 0, key_sel: 0 }) });
  const answer = firmwareGuestRequest(firmware, channel, context, request);
  assert(answer.ok, 'the firmware answers the guest\'s first report request');
  const opened = openGuestMessage(answer.response, vmpck);
  assert(opened.ok, 'the response opens under VMPCK0');
  const rsp = decodeMsgReportRsp(opened.payload);
  assert(rsp.status === 0, 'MSG_REPORT_RSP status SUCCESS');
  const report = decodeAttestationReport(rsp.report);
  return { channel: answer.channel, reportId: toHex(report.report_id),
    ownReport: { host_data: toHex(report.host_data), measurement: toHex(report.measurement) } };
}

type LaunchInputs = Pick<LaunchRequest, 'firmware' | 'kernel' | 'initrd' | 'cmdline' | 'vcpus'>;

/** The QEMU launch plan of the UVM inputs (OVMF, kernel, initrd, command line, vCPUs). */
function uvmLaunchPlan(blob: (digest: Hex, what: string) => Uint8Array, request: LaunchInputs,
  product: Product) {
  const ovmf = loadFirmwareImage(blob(request.firmware, 'firmware image'));
  const hashes = sevHashesOf({ kernel: blob(request.kernel, 'kernel'),
    initrd: blob(request.initrd, 'initrd'), append: request.cmdline });
  return planSnpLaunch({ ovmf, hashes, vcpus: request.vcpus,
    vcpuSig: cpuSignature(PRODUCTS[product].defaultCpuid), guestFeatures: 0x1n, vmmType: 'QEMU' });
}

/** The MEASUREMENT a benign launch of these inputs gives (what the UVM endorsement vouches for). */
function uvmMeasurement(store: ContentStore, request: LaunchInputs, product: Product): Hex {
  return memo('world/uvm-measurement', `${canonicalJson(request as unknown as Json)}/${product}`,
    () => {
      const blob = (digest: Hex): Uint8Array => {
        const bytes = storeGet(store, digest);
        assert(bytes !== undefined, 'the UVM inputs are in the store');
        return bytes;
      };
      return toHex(launchDigestOfPlan(uvmLaunchPlan(blob, request, product)));
    }, 64);
}

/**
 * LAUNCH_START/UPDATE/FINISH through the hypervisor's driver, then the guest's report; memoised.
 */
function launchUvm(world: World, request: LaunchRequest): LaunchOutcome {
  const { firmware } = world.state;
  const key = `${world.config.seed}/${canonicalJson(request as unknown as Json)}/`
    + `${fingerprintComposed(firmware, 0)}`;   // = the kernel fingerprint, encoding cached
  return memo('world/launch', key, () => {
    const blob = (digest: Hex, what: string): Uint8Array => {
      const bytes = storeGet(world.store, digest);
      if (bytes === undefined) {
        throw new SimError('HOST_BAD_INPUT', { what, digest }, `no ${what} with that digest`);
      }
      return bytes;
    };
    const plan = uvmLaunchPlan(blob, request, firmware.platform.product);
    const idBlock = request.idBlock === null ? {} : { id_block: {
      id_block: hexBytes(request.idBlock.idBlock), id_auth_info: hexBytes(request.idBlock.idAuth),
      auth_key_en: request.idBlock.authorKey } };
    const { snapshot } = launchVm({ plan, policy: BigInt(request.guestPolicy),
      platform: firmware.platform,
      rng: Rng.fromSeed(world.config.seed).fork('snp').fork('guest').fork('guest0'),
      finish: { host_data: hexBytes(request.hostData), ...idBlock } });
    return { launch: snapshot, ...fetchOwnReport(firmware, snapshot, NEW_CHANNEL) };
  }, 64);
}

function doLaunch(world: World, request: LaunchRequest, out: StepEvents): Change {
  if (world.state.launch.value !== 'awaiting_start') {
    return { result: refused('launch', 'firmware',
      'SNP_LAUNCH_START refused (INVALID_GUEST_STATE): the UVM is already launched') };
  }
  let launched: LaunchOutcome;
  try {
    launched = launchUvm(world, request);
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    const by: StoppedBy = error.code === 'SNP_FIRMWARE_STATUS' ? 'firmware'
      : error.area === 'HOST' ? 'host' : 'hypervisor';
    return { result: refused('launch', by, error.message) };
  }
  const context = launched.launch.context;
  out.emit('hypervisor', 'SNP_LAUNCH_FINISH', { measurement: context.ld,
    host_data: launched.ownReport.host_data, pages_measured: context.pages_measured,
    vcpus: request.vcpus, guest_policy: request.guestPolicy });
  out.emit('snp', 'MSG_REPORT_RSP', { vmpck: 0, report_id: launched.reportId,
    host_data: launched.ownReport.host_data, measurement: launched.ownReport.measurement });
  const guest = bootGuest(rngStateOf(`${seedPath(world.config.seed)}/guest`), launched.ownReport);
  out.emit('guest', 'booted', { own_host_data: launched.ownReport.host_data });
  const memory = launchMemory(world.config.seed, guestContextOf(launched.launch));
  out.emit('hypervisor', 'guest_memory', { pages: Object.keys(memory.npt).length,
    debug: memory.debug });
  return { state: { launch: launched.launch, channel: launched.channel, guest, memory },
    result: ok('launch', `measurement ${context.ld.slice(0, 16)}…`) };
}

/** realRoot → declared registry root, for the stand-ins of this world's config. */
function declaredRoots(world: World): ReadonlyMap<Hex, Hex> {
  return memo('world/declared-roots', world.configDigest, () => new Map(world.config.images
    .filter((image) => image.declaredRoot !== null)
    .map((image) => [image.realRoot, image.declaredRoot!])), 64);
}

/** The guest's view of the host's disks and the store, for one step. */
function agentIo(world: World): AgentIo {
  const { storage } = world.state.host;
  const { store } = world;
  const declared = declaredRoots(world);
  return {
    deviceBytes: (lun) => deviceBytes(storage, store, lun),
    deviceId: (lun) => deviceId(storage, lun),
    scratchDisk: (lun) => scratchDiskAt(storage, store, lun),
    load: (digest) => storeGet(store, digest),
    declaredRoot: (realRoot) => declared.get(realRoot) ?? null,
  };
}

function stoppedByOf(refusal: Refusal): StoppedBy {
  const layers: readonly StoppedBy[] = ['message', 'structure', 'policy', 'verity', 'crypt', 'io',
    'state'];
  const layer = layers.find((l) => l === refusal.layer);
  assert(layer !== undefined, `a known refusal layer (${refusal.layer})`);
  return layer;
}

function doBridge(world: World, frame: Json, out: StepEvents): Change {
  const guest = world.state.guest;
  if (guest === null) {
    return { result: refused('bridge', 'hypervisor', 'no UVM is running: nothing answers the '
      + 'bridge') };
  }
  const gate = guestMemoryGate(world.state.memory);
  if (gate.fault !== null) {
    out.emit('hypervisor', 'guest_halted', { kind: gate.fault.kind, gpa: gate.fault.gpa });
    return { state: { memory: gate.memory }, result: refused('bridge', 'hypervisor',
      `the guest is halted: ${gate.fault.kind} (${gate.fault.reason})`) };
  }
  const env = { options: world.config.agent, fault: world.state.host.fault,
    ...(world.engine === undefined ? {} : { engine: world.engine }) };
  const step = stepGuest(guest, frame, agentIo(world), env);
  assert(step.refusal === null || step.refusal.reason.length > 0, 'a refusal says why');
  for (const event of step.events) out.emit(event.source, event.type, event.data);
  let store = world.store;
  for (const blob of step.blobs) store = storeAdd(store, blob.bytes).store;
  const written = applyWrites(world.state.host.storage, store, step.writes);
  const storage = written.storage;
  store = written.store;
  const fault = step.faultUsed ? null : world.state.host.fault;
  const hostChanged = storage !== world.state.host.storage || fault !== world.state.host.fault;
  const host = hostChanged ? { ...world.state.host, storage, fault } : world.state.host;
  const response = step.response as Json;
  const result: StepResult = step.refusal === null
    ? { ...ok('bridge'), decision: step.decision, response }
    : { kind: 'bridge', outcome: 'refused', stoppedBy: stoppedByOf(step.refusal),
      reason: step.refusal.reason, refusal: step.refusal, decision: step.decision, response };
  const memory = step.state.secrets === guest.secrets ? world.state.memory
    : syncGuestSecrets(world.state.memory, guest.secrets.scratchKeys,
      step.state.secrets.scratchKeys);
  if (step.state === guest && !hostChanged && store === world.store) return { result };
  return { state: { guest: step.state, host, memory }, store, result };
}

function doAddImage(world: World, tree: ImageTreeSpec): Change {
  let image: HostImage;
  try {
    image = imageOfSpec(tree);
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    return { result: refused('add_image', 'host', error.message) };
  }
  const added = storeAdd(world.store, image.image);
  const record: WorldImage = { digest: added.digest, realRoot: image.realRoot, declaredRoot: null };
  const host = { ...world.state.host, addedImages: Object.freeze({
    ...world.state.host.addedImages, [added.digest]: Object.freeze(record) }) };
  return { state: { host }, store: added.store, result: ok('add_image',
    `image ${added.digest} (root hash ${image.realRoot})`) };
}

function apply(world: World, action: HostAction, out: StepEvents): Change {
  switch (action.kind) {
    case 'launch': return doLaunch(world, action.launch, out);
    case 'bridge': return doBridge(world, action.message as unknown as Json, out);
    case 'add_disk': {
      const { spec } = action;
      return hostChange(world, action.kind, (s) => (spec.kind === 'layer'
        ? addLayerDisk(s, action.disk, spec.image, world.store)
        : addScratchDisk(s, action.disk, spec.blockCount)));
    }
    case 'attach': return hostChange(world, action.kind, (s) => attachDisk(s, action.lun,
      action.disk));
    case 'detach': return hostChange(world, action.kind, (s) => detachDisk(s, action.lun));
    case 'withhold': return hostChange(world, action.kind, (s) => withholdDisk(s, action.lun));
    case 'tamper_block': return hostChange(world, action.kind, (s) => tamperBlock(s, world.store,
      action.disk, action.block, action.bytes));
    case 'swap_disks': return hostChange(world, action.kind, (s) => swapDisks(s, action.a,
      action.b));
    case 'fail_next':
      return { state: { host: { ...world.state.host, fault: action.what } },
        result: ok('fail_next') };
    case 'add_image': return doAddImage(world, action.tree);
    default: return doAttestation(world, action, out);
  }
}

/** The world as the attestation steps see it (sim/world-attestation.ts). */
function attestationWorld(world: World): AttestationWorld {
  const { state } = world;
  const guest = state.guest;
  return {
    seed: world.config.seed, config: world.config.attestation, firmware: state.firmware,
    context: state.launch.value === 'running' ? guestContextOf(state.launch) : null,
    channel: state.channel, memory: state.memory, attestation: state.attestation,
    containerPhase: (id) => (guest !== null && Object.hasOwn(guest.containers, id)
      ? guest.containers[id]!.value : null),
    uvmPhase: guest === null ? null : guest.uvm.value, tick: state.clock.ticks + 1,
    load: (digest) => storeGet(world.store, digest),
  };
}

/** Issue 9's actions: memory, certificates, guest messages, replays, attestation. */
function doAttestation(world: World, action: HostAction, out: StepEvents): Change {
  const outcome = attestationOutcome(attestationWorld(world), action);
  assert(outcome !== undefined, `an attestation-side action (${action.kind})`);
  for (const event of outcome.events) out.emit(event.source, event.type, event.data);
  const result: StepResult = { ...(outcome.outcome === 'ok' ? ok(action.kind, outcome.reason)
    : refused(action.kind, outcome.stoppedBy ?? 'state', outcome.reason)),
  response: outcome.response };
  const unchanged = outcome.memory === world.state.memory
    && outcome.channel === world.state.channel && outcome.attestation === world.state.attestation;
  if (unchanged) return { result };
  let store = world.store;
  for (const blob of outcome.blobs) store = storeAdd(store, blob).store;
  return { state: { memory: outcome.memory, channel: outcome.channel,
    attestation: outcome.attestation }, store, result };
}

/** A compact summary of a result for the trace. */
function resultData(result: StepResult): Json {
  return {
    outcome: result.outcome, stoppedBy: result.stoppedBy, reason: result.reason,
    ...(result.decision === null ? {} : { rule: result.decision.rule,
      allowed: result.decision.allowed }),
    ...(result.refusal?.check ? { check: result.refusal.check } : {}),
  };
}

/**
 * One host action. Pure: returns the next world (the same state object when the action was
 * refused and nothing changed), the result, and the step's trace events.
 */
export function step(world: World, action: HostAction): StepOutput {
  const tick = world.state.clock.ticks + 1;
  const out = new StepEvents(world.state.trace, tick);
  out.emit('host', 'action', action as unknown as Json);
  const change = apply(world, action, out);
  out.emit('sim', 'result', resultData(change.result));
  const waited = action.kind === 'wait' && change.result.outcome === 'ok' ? action.ms : 0;
  const state: WorldState = Object.freeze({
    ...world.state, ...change.state, clock: Object.freeze({ ticks: tick + waited }),
    trace: out.position(),
  });
  const next: World = Object.freeze({ ...world, store: change.store ?? world.store, state });
  assert(next.state.trace.seq === world.state.trace.seq + out.events.length, 'events numbered');
  return { world: next, result: change.result, events: out.events };
}

// ---------------------------------------------------------------------------------------------
// Snapshot, restore, fingerprint

/**
 * The canonical encoding of the pair [config digest, state] (the store by reference). The state
 * comes last, so a restore finds it without walking it.
 */
export function snapshot(world: World): Uint8Array {
  return encodeComposed([world.configDigest, world.state], SNAPSHOT_DEPTH);
}

/** Records below this many levels are encoded whole (and cached by identity). */
const SNAPSHOT_DEPTH = 4;

function configOf(store: ContentStore, digest: Hex): WorldConfig {
  return memo('world/config', digest, () => {
    const bytes = storeGet(store, digest);
    if (bytes === undefined) {
      throw new SimError('SIM_BAD_STATE', { config: digest },
        'the snapshot names a config the store does not hold');
    }
    return Object.freeze(decodeState(bytes) as WorldConfig);
  }, 64);
}

/** The world a snapshot was taken of, given a store that holds its blobs (and the injected
 * engine, if the world had one). */
export function restore(bytes: Uint8Array, store: ContentStore,
  options: Readonly<{ engine?: PolicyEngine }> = {}): World {
  const decoded = decodeComposed(bytes, SNAPSHOT_DEPTH - 1);
  if (!Array.isArray(decoded) || decoded.length !== 2 || !isHexOf(decoded[0], 32)
    || decoded[1] === null || typeof decoded[1] !== 'object' || Array.isArray(decoded[1])) {
    throw new SimError('SIM_BAD_STATE', {}, 'not a world snapshot');
  }
  const configDigest: Hex = decoded[0];
  const state = decoded[1] as WorldState;
  assert(Object.isFrozen(state), 'restored state is frozen (guestContextOf relies on it)');
  const world: World = Object.freeze({ config: configOf(store, configDigest), configDigest, store,
    state, ...(options.engine === undefined ? {} : { engine: options.engine }) });
  assert(world.state.clock.ticks >= 0, 'a restored clock');
  return world;
}

/** SHA-256 of the snapshot bytes: equal fingerprints, equal worlds (for the same store). */
export function fingerprint(world: World): Hex {
  return fingerprintPair(world.configDigest, world.state, SNAPSHOT_DEPTH);
}

// ---------------------------------------------------------------------------------------------
// Runs, the benign deployment, traces and replay

export type RunOutput = Readonly<{ world: World; results: readonly StepResult[];
  events: readonly TraceEvent[] }>;

/** Steps `actions` in order from `world`. */
export function runActions(world: World, actions: readonly HostAction[]): RunOutput {
  let current = world;
  const results: StepResult[] = [];
  const events: TraceEvent[] = [];
  for (const action of actions) {
    const out = step(current, action);
    current = out.world;
    results.push(out.result);
    events.push(...out.events);
  }
  assert(results.length === actions.length, 'one result per action');
  return { world: current, results, events };
}

/** The policy of a world, as the host reads it (memoised by digest). */
function policyOf(world: World) {
  return memo('world/policy', world.config.policy, () =>
    loadSecurityPolicy(storeGet(world.store, world.config.policy)!), 64);
}

/** 64-hex container ids as containerd draws them, from the world's host stream. */
export function containerIds(world: World, names: readonly string[]): ContainerIds {
  const rng = Rng.fromState(world.state.rng).fork('container-ids');
  const draw = (): string => toHex(rng.bytes(32));
  const sandbox = draw();
  const byName: Record<string, string> = {};
  for (const name of names) byName[name] = draw();
  return { sandbox, byName };
}

export type DeploymentRow = Readonly<{ note: string; action: HostAction; result: StepResult;
  /** A teardown resource release: the shim logs a refusal and goes on (see models/host/shim). */
  release: boolean;
  /** The container this step starts the init process of, or null. */
  container: string | null }>;

export type BenignRun = RunOutput & Readonly<{
  actions: readonly HostAction[];
  rows: readonly DeploymentRow[];
  notDeployed: readonly Readonly<{ name: string; reason: string }>[];
}>;

/**
 * The benign deployment of the world's policy, run: the shim's plan, each step built from what
 * the guest answered so far (process ids), stepped in order. Its `actions` replay it exactly.
 */
export function deployBenign(world: World): BenignRun {
  return deployGroup(world, groupOfPolicy(policyOf(world).policy));
}

/** The container group the world's policy was written for (what the host deploys). */
export function containerGroupOf(world: World): ContainerGroup {
  return groupOfPolicy(policyOf(world).policy);
}

/**
 * The shim's deployment of `group` (normally containerGroupOf(world); a test may change it, e.g.
 * to attempt a container the group marks as not deployable), run from `world`.
 */
export function deployGroup(world: World, group: ContainerGroup): BenignRun {
  const images = new Map<Hex, Hex>();
  for (const image of world.config.images) {
    images.set(identityRoot(image), image.digest);
  }
  const plan = planBenignDeployment({
    group, policyBytes: storeGet(world.store, world.config.policy)!, launch: defaultLaunch(world),
    images, ids: containerIds(world, group.containers.map((c) => c.name)),
  });
  let current = world;
  const pids: Record<string, number> = {};
  const rows: DeploymentRow[] = [];
  const events: TraceEvent[] = [];
  for (const planned of plan.steps) {
    const action = planned.action({ pids });
    const out = step(current, action);
    current = out.world;
    events.push(...out.events);
    rows.push({ note: planned.note, action, result: out.result,
      release: planned.release === true, container: planned.container ?? null });
    const response = out.result.response as Readonly<Record<string, Json>> | null;
    if (planned.learnPid !== undefined && typeof response?.['ProcessId'] === 'number') {
      pids[planned.learnPid] = response['ProcessId'];
    }
  }
  return { world: current, results: rows.map((r) => r.result), events, rows,
    actions: rows.map((r) => r.action), notDeployed: plan.notDeployed };
}

export type BenignSummary = Readonly<{
  /** Containers whose init process started, in deployment order. */
  deployed: readonly string[];
  notDeployed: BenignRun['notDeployed'];
  /** Refused steps that stop a deployment (anything but a teardown release). */
  refused: readonly DeploymentRow[];
  /** Teardown releases the guest refused (the shim logs them and goes on, as hcsshim does). */
  releaseRefused: readonly DeploymentRow[];
  /** The UVM is stopped at the end (the graceful shutdown went through). */
  stopped: boolean;
}>;

/** What a benign run achieved: deployed containers, what stopped it, refused releases. */
export function summarizeBenignRun(run: BenignRun): BenignSummary {
  const refused = run.rows.filter((row) => row.result.outcome !== 'ok');
  const deployed = run.rows.filter((row) => row.container !== null && row.result.outcome === 'ok')
    .map((row) => row.container!);
  assert(new Set(deployed).size === deployed.length, 'a container starts once');
  return { deployed, notDeployed: run.notDeployed,
    refused: refused.filter((row) => !row.release),
    releaseRefused: refused.filter((row) => row.release),
    stopped: run.world.state.guest?.uvm.value === 'stopped' };
}

/** The benign deployment's actions (the shim's list, with the process ids the guest gave). */
export function benignDeployment(world: World): readonly HostAction[] {
  return deployBenign(world).actions;
}

export const TRACE_FORMAT = 'parma-sim-world-trace/1';

/** A run as JSONL: a header with the world's options, every event, and the final fingerprint. */
export function traceJsonl(start: World, events: readonly TraceEvent[], end: World): string {
  const lines = [canonicalJson({ format: TRACE_FORMAT, world: start.config.options,
    config: start.configDigest, fingerprint: fingerprint(start) })];
  for (const event of events) lines.push(canonicalJson(event));
  lines.push(canonicalJson({ end: { fingerprint: fingerprint(end), seq: end.state.trace.seq,
    ticks: end.state.clock.ticks } }));
  return `${lines.join('\n')}\n`;
}

export type ReplayOutput = Readonly<{
  world: World;
  fingerprint: Hex;
  /** The fingerprint the trace recorded at its end. */
  recorded: Hex;
  matches: boolean;
  /** Events that differ from the recorded ones (0 when the replay agrees line by line). */
  differingEvents: number;
  steps: number;
}>;

function traceLine(line: string, index: number): Record<string, unknown> {
  try {
    const value = JSON.parse(line) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;   // reported below
  }
  throw new SimError('SIM_BAD_TRACE', { line: index + 1 }, `trace line ${index + 1} is not a JSON `
    + 'object');
}

/** Rebuilds the world a trace names, replays its host actions and compares the end. */
export function replay(jsonl: string): ReplayOutput {
  const lines = jsonl.split('\n').filter((line) => line.trim() !== '');
  if (lines.length < 2) {
    throw new SimError('SIM_BAD_TRACE', {}, 'a world trace has at least 2 lines');
  }
  const header = traceLine(lines[0]!, 0);
  if (header['format'] !== TRACE_FORMAT) {
    throw new SimError('SIM_BAD_TRACE', {}, `not a ${TRACE_FORMAT} trace`);
  }
  const footer = traceLine(lines[lines.length - 1]!, lines.length - 1)['end'] as
    Record<string, unknown> | undefined;
  if (footer === undefined || typeof footer['fingerprint'] !== 'string') {
    throw new SimError('SIM_BAD_TRACE', {}, 'the trace has no end line (was it cut short?)');
  }
  const recorded = lines.slice(1, -1).map((line, i) => traceLine(line, i + 1));
  let world = createWorld(worldOptionsFromJson(header['world']));
  const produced: TraceEvent[] = [];
  let steps = 0;
  for (const event of recorded) {
    if (event['source'] !== 'host' || event['type'] !== 'action') continue;
    const out = step(world, parseHostAction(event['data']));
    world = out.world;
    produced.push(...out.events);
    steps++;
  }
  let differingEvents = Math.abs(produced.length - recorded.length);
  for (let i = 0; i < Math.min(produced.length, recorded.length); i++) {
    if (canonicalJson(produced[i]) !== canonicalJson(recorded[i])) differingEvents++;
  }
  const final = fingerprint(world);
  return { world, fingerprint: final, recorded: footer['fingerprint'],
    matches: final === footer['fingerprint'] && differingEvents === 0, differingEvents, steps };
}

// ---------------------------------------------------------------------------------------------
// Reading a run

function short(text: string, max = 96): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const MESSAGE_NAMES: Readonly<Record<number, string>> = {
  0x10100101: 'Create', 0x10100201: 'Start', 0x10100301: 'ShutdownGraceful',
  0x10100401: 'ShutdownForced', 0x10100501: 'ExecuteProcess', 0x10100601: 'WaitForProcess',
  0x10100701: 'SignalProcess', 0x10100801: 'ResizeConsole', 0x10100901: 'GetProperties',
  0x10100a01: 'ModifySettings', 0x10100b01: 'NegotiateProtocol', 0x10100c01: 'DumpStacks',
  0x10100d01: 'DeleteContainerState',
};

/** One line of what a host action asks for, in spec names. */
export function describeAction(action: HostAction): string {
  switch (action.kind) {
    case 'bridge': {
      const name = MESSAGE_NAMES[action.message.type] ?? `0x${action.message.type.toString(16)}`;
      const body = action.message.message as Readonly<Record<string, Json>> | null;
      const request = body !== null && typeof body === 'object'
        ? body['Request'] as Readonly<Record<string, Json>> | undefined : undefined;
      const resource = request === undefined ? ''
        : ` ${String(request['RequestType'] ?? 'Add')} ${String(request['ResourceType'])}`;
      const container = typeof body?.['ContainerId'] === 'string'
        ? ` ${String(body['ContainerId']).slice(0, 8)}` : '';
      return `${name}${resource}${container}`;
    }
    case 'launch': return `launch (HOST_DATA ${action.launch.hostData.slice(0, 16)}…, `
      + `${action.launch.vcpus} vCPUs, policy ${action.launch.guestPolicy})`;
    case 'add_disk': return `add ${action.spec.kind} disk ${action.disk}`;
    case 'attach': return `attach ${action.disk} at LUN ${action.lun}`;
    case 'detach': return `detach LUN ${action.lun}`;
    case 'withhold': return `withhold LUN ${action.lun}`;
    case 'tamper_block': return `tamper block ${action.block} of ${action.disk}`;
    case 'swap_disks': return `swap disks ${action.a} and ${action.b}`;
    case 'fail_next': return `make the next ${action.what} fail`;
    case 'add_image': return `add an image of ${Object.keys(action.tree).length} entries`;
    default: return describeAttestationAction(action);
  }
}

/** One timeline line for a trace event: tick, source, what happened. */
export function describeEvent(event: TraceEvent): string {
  const head = `${String(event.tick).padStart(4)} ${event.source.padEnd(10)}`;
  if (event.source === 'host' && event.type === 'action') {
    try {
      return `${head} ${describeAction(parseHostAction(event.data))}`;
    } catch (error) {
      if (!(error instanceof SimError)) throw error;
      return `${head} (malformed action)`;
    }
  }
  if (event.source === 'sim' && event.type === 'result') {
    const data = event.data as Readonly<Record<string, Json>>;
    return `${head} ${String(data['outcome'])}${data['stoppedBy'] === null ? ''
      : ` by ${String(data['stoppedBy'])}`}${data['reason'] ? `: ${short(String(data['reason']))}`
      : ''}`;
  }
  return `${head} ${event.type} ${short(canonicalJson(event.data), 80)}`;
}
