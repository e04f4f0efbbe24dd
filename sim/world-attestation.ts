/**
 * Models: the attestation half of the world (issue 9): the guest's memory under the RMP
 *   (models/hypervisor/guest-memory.ts), a container's secure key release as Confidential ACI
 *   runs it (fresh RSA key and broker nonce in the runtime data → MSG_REPORT_REQ with REPORT_DATA
 *   = SHA-256(runtime data) through VMPCK0 → the VCEK chain from THIM or the extended report's
 *   certificate table → the token service → the key broker → the key unwrapped into
 *   guest-private memory), and the host's powers over all of it: read, write and remap guest
 *   pages, choose the THIM data and the certificate table, withhold or replay guest-message
 *   responses, replay an old report or token, wait.
 * Real counterpart: the SKR sidecar in the UVM, Linux's sev-guest driver, the hypervisor's
 *   SNP_GUEST_REQUEST forwarding and IMDS/THIM, MAA and AKV.
 * Differs: the attestation client runs as one world step per attempt (`attest`); the token
 *   service and the broker are reached directly (TLS would hide the traffic from the host, which
 *   still relays it: the world records what it relays as host-observed); the container's RSA
 *   keys and the token service's signing key come from one pool of TEST streams shared by every
 *   world (`attestation-keys/<n>`, n = the guest's attempt counter), so a property run over many
 *   seeds pays RSA key generation once — nonces, wrapping randomness and key material stay
 *   per seed; Linux keeps the guest-message sequence number in the secrets page, here it is the
 *   channel's; a bad response disables VMPCK0 for good, as the driver does.
 * Invariants: every step first lets the guest touch its private working set, so a remapped page
 *   halts it before it computes; a released key exists only in guest-private memory (the
 *   keyring) and as ciphertext in what the host relays; a refused step names the layer and the
 *   check; the host view is computed from DRAM, host storage and relayed messages only.
 */
import { createHash } from 'node:crypto';
import { assert } from './kernel/assert.js';
import { hexBytes, toHex, type Hex } from './kernel/bytes.js';
import { canonicalJson, type Json } from './kernel/canonical-json.js';
import { SimError } from './kernel/errors.js';
import { memo } from './kernel/memo.js';
import { Rng, rngStateOf } from './kernel/rng.js';
import {
  guestReadVmpck, guestStoreSecret, guestTouch, guestWrite, launchGuestMemory,
  type GuestMemory,
} from '../models/hypervisor/guest-memory.js';
import { buildCertificateSet, extendedReportCertTable } from '../models/snp/certificates.js';
import { decodeCertTable, certKindOf } from '../models/snp/cert-table.js';
import type { FirmwareState } from '../models/snp/firmware.js';
import { contentDigest } from '../models/host/content-store.js';
import type { GuestContext } from '../models/snp/guest-context.js';
import {
  firmwareGuestRequest, openGuestMessage, sealGuestMessage, type ChannelState,
} from '../models/snp/guest-message-channel.js';
import { MSG_TYPE, decodeMsgReportRsp, encodeMsgReportReq } from '../models/snp/guest-messages.js';
import { rsaKeyFromStream, type RsaKeyPair } from '../models/verifier/jwt-keys.js';
import type { JsonObject } from '../models/verifier/jwt.js';
import {
  createKeyBroker, importKey, issueNonce, releaseKey, trustAuthority, unwrapRelease,
  type Freshness, type KeyBrokerState,
} from '../models/verifier/key-broker.js';
import {
  attestSevSnpVm, createTokenService, tokenServiceJwks, type TokenServiceConfig,
} from '../models/verifier/token-service.js';
import {
  certificatesPem, sevSnpVmAttestRequest,
} from '../models/verifier/token-service-evidence.js';
import type { VerifyFailure } from '../models/verifier/verdict.js';

export type CertSource = 'genuine' | 'other_chip' | 'other_tcb' | 'corrupt';
export const CERT_SOURCES: readonly CertSource[] = ['genuine', 'other_chip', 'other_tcb',
  'corrupt'];
export type MessageMode = 'deliver' | 'withhold' | 'replay';
export const MESSAGE_MODES: readonly MessageMode[] = ['deliver', 'withhold', 'replay'];

/** Static attestation facts of a world (in its config). */
export type AttestationConfig = Readonly<{
  tokenService: TokenServiceConfig;
  keyName: string;
  freshness: Freshness;
}>;

/**
 * One attestation the host relayed, by content-store digest (the bytes are in the world's
 * store, so snapshots stay small): the MAA request body (canonical JSON), the token (its compact
 * text) and the AKV release payload (canonical JSON).
 */
export type Relayed = Readonly<{ request: Hex; token: Hex | null; release: Hex | null }>;

export type AttestationHost = Readonly<{
  thim: CertSource;
  certTable: CertSource;
  /** What the host does with the next guest message (one shot, then back to deliver). */
  messageMode: MessageMode;
  /** The last sealed MSG_REPORT_RSP the host forwarded (hex). */
  lastResponse: Hex | null;
  /** The last attestations it relayed (most recent last, at most RELAYED_KEPT). */
  relayed: readonly Relayed[];
}>;

export type AttestationState = Readonly<{
  broker: KeyBrokerState;
  /** Wrapping keys drawn by the guest so far (the next attempt uses pool key `attempts`). */
  attempts: number;
  /** The guest driver disabled VMPCK0 after a response it could not accept. */
  vmpckDisabled: boolean;
  /** Released keys by container id: the keyring slot name holding it. */
  released: Readonly<Record<string, string>>;
  host: AttestationHost;
}>;

export const RELAYED_KEPT = 4;
export const DEFAULT_KEY_NAME = 'container-key';
const KEY_POOL = 'parma-sim/attestation-keys';

/** The TEST RSA key of pool slot `n` (shared by every world). */
export function poolKey(n: number): RsaKeyPair {
  assert(Number.isSafeInteger(n) && n >= 0, 'a pool slot');
  return rsaKeyFromStream(rngStateOf(`${KEY_POOL}/${n}`));
}

/**
 * The release policy a benign owner sets: this policy's HOST_DATA, on the endorsed UVM
 * (compliance status and its launch measurement), not debuggable.
 */
export function benignReleasePolicy(issuer: string, hostData: Hex, measurement: Hex): Json {
  return { version: '1.0.0', anyOf: [{ authority: issuer, allOf: [
    { claim: 'x-ms-attestation-type', equals: 'sevsnpvm' },
    { claim: 'x-ms-compliance-status', equals: 'azure-compliant-uvm' },
    { claim: 'x-ms-sevsnpvm-hostdata', equals: hostData },
    { claim: 'x-ms-sevsnpvm-launchmeasurement', equals: measurement },
    { claim: 'x-ms-sevsnpvm-is-debuggable', equals: false },
  ] }] };
}

/** The world's token service: its key from the shared pool, the UVM's measurement endorsed. */
export function attestationConfigOf(measurement: Hex, freshness: Freshness = 'broker-nonce'):
  AttestationConfig {
  const tokenService = createTokenService({ rng: Rng.fromSeed(KEY_POOL),
    endorsedMeasurements: [measurement] });
  return Object.freeze({ tokenService, keyName: DEFAULT_KEY_NAME, freshness });
}

/** The broker at world creation: the service pinned, one key (material from the seed). */
export function initialAttestation(seed: string, config: AttestationConfig, hostData: Hex):
  AttestationState {
  const rng = Rng.fromSeed(seed).fork('key-vault');
  let broker = createKeyBroker({ rng, freshness: config.freshness });
  broker = trustAuthority(broker, config.tokenService.issuer,
    tokenServiceJwks(config.tokenService));
  broker = importKey(broker, { name: config.keyName, material: rng.fork('material').bytes(32),
    releasePolicy: benignReleasePolicy(config.tokenService.issuer, hostData,
      config.tokenService.endorsedMeasurements[0]!) });
  return Object.freeze({ broker, attempts: 0, vmpckDisabled: false,
    released: Object.freeze({}), host: Object.freeze({ thim: 'genuine', certTable: 'genuine',
      messageMode: 'deliver', lastResponse: null, relayed: Object.freeze([]) }) });
}

/** The UVM's memory at launch (the firmware's stream for the guest; DEBUG from the policy). */
export function launchMemory(seed: string, context: GuestContext): GuestMemory {
  const debug = ((context.policy >> 19n) & 1n) === 1n;
  return memo('world/launch-memory', `${seed}/${context.vmpck.join('')}/${debug}`, () =>
    launchGuestMemory({ rng: Rng.fromSeed(seed).fork('snp').fork('guest').fork('guest0'),
      asid: 1, vmpck: context.vmpck, debug }), 64);
}

/** The token service's answer, memoised by content (config, request body, time). */
function attestMemo(config: TokenServiceConfig, body: JsonObject, tick: number) {
  const key = sha256Hex(`${canonicalJson(config)}\n${canonicalJson(body)}\n${tick}`);
  return memo('world/attestation-token', key, () => attestSevSnpVm(config, body, tick), 256);
}

/** The guest's unwrap of a release (an RSA private operation), memoised by content. */
function unwrapMemo(release: JsonObject, key: RsaKeyPair): Uint8Array | undefined {
  const digest = sha256Hex(`${canonicalJson(release)}\n${key.publicJwk.n}`);
  const material = memo('world/attestation-unwrap', digest, () => {
    const bytes = unwrapRelease(release, key.privateKey);
    return bytes === undefined ? undefined : toHex(bytes);
  }, 256);
  return material === undefined ? undefined : hexBytes(material);
}

// ---------------------------------------------------------------------------------------------
// The outcome of an attestation-side step

export type AttestationStopper = 'hypervisor' | 'firmware' | 'message' | 'io' | 'state'
  | 'verifier';

export type AttestationEvent = Readonly<{ source: 'guest' | 'snp' | 'host' | 'hypervisor' |
  'verifier'; type: string; data: Json }>;

export type AttestationOutcome = Readonly<{
  memory: GuestMemory | null;
  channel: ChannelState;
  attestation: AttestationState;
  outcome: 'ok' | 'refused';
  stoppedBy: AttestationStopper | null;
  reason: string;
  events: readonly AttestationEvent[];
  response: Json | null;
  /** Bytes for the world's content store (what the host relayed). */
  blobs: readonly Uint8Array[];
}>;

export type AttestationWorld = Readonly<{
  seed: string;
  config: AttestationConfig;
  firmware: FirmwareState;
  context: GuestContext | null;
  channel: ChannelState;
  memory: GuestMemory | null;
  attestation: AttestationState;
  /** The container's phase in the guest ('running', …), or null if it has none. */
  containerPhase: (id: string) => string | null;
  uvmPhase: string | null;
  tick: number;
  /** Bytes the world's content store holds under a digest. */
  load: (digest: Hex) => Uint8Array | undefined;
}>;

function failuresText(failures: readonly VerifyFailure[]): string {
  return failures.map((f) => `${f.code}: ${f.message}`).join('; ');
}

/** A helper to build outcomes without repeating the unchanged parts. */
class Outcome {
  readonly events: AttestationEvent[] = [];
  readonly blobs: Uint8Array[] = [];
  memory: GuestMemory | null;
  channel: ChannelState;
  attestation: AttestationState;
  constructor(readonly world: AttestationWorld) {
    this.memory = world.memory;
    this.channel = world.channel;
    this.attestation = world.attestation;
  }
  emit(source: AttestationEvent['source'], type: string, data: Json): void {
    this.events.push({ source, type, data });
  }
  done(outcome: 'ok' | 'refused', stoppedBy: AttestationStopper | null, reason: string,
    response: Json | null = null): AttestationOutcome {
    assert(outcome === 'ok' || stoppedBy !== null, 'a refusal names who stopped it');
    assert(reason.length > 0 || outcome === 'ok');
    return { memory: this.memory, channel: this.channel, attestation: this.attestation, outcome,
      stoppedBy, reason, events: this.events, response, blobs: this.blobs };
  }
  /** Keeps `text` in the content store; its digest. */
  keep(text: string): Hex {
    const bytes = new TextEncoder().encode(text);
    this.blobs.push(bytes);
    return contentDigest(bytes);
  }
  host(change: Partial<AttestationHost>): void {
    this.attestation = Object.freeze({ ...this.attestation,
      host: Object.freeze({ ...this.attestation.host, ...change }) });
  }
}

export { Outcome as AttestationOutcomeBuilder };

/** Runs `fn`; a SimError from a model is returned as a value (the caller reports it). */
export function tryModel<T>(fn: () => T): T | SimError {
  try {
    return fn();
  } catch (error) {
    if (error instanceof SimError) return error;
    throw error;
  }
}

export function sha256Hex(bytes: Uint8Array | string): Hex {
  return createHash('sha256').update(bytes).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Certificates the host hands the guest

/** The certificate set a host-chosen source names, built once per content. */
function certificateSetFor(world: AttestationWorld, source: Exclude<CertSource, 'corrupt'>) {
  const platform = world.firmware.platform;
  const key = `${world.seed}/${source}/${platform.chip_id}/${platform.reported_tcb}`;
  return memo('world/attestation-certs', key, () => {
    if (source === 'other_chip') {
      const seed = `${world.seed}/other-chip`;
      return buildCertificateSet({ seed, product: platform.product });
    }
    return buildCertificateSet({ seed: world.seed, product: platform.product, platform,
      ...(source === 'other_tcb' ? { tcb: platform.reported_tcb + 1n } : {}) });
  }, 64);
}

/** What a host that serves garbage from THIM hands over: a PEM block of 3 meaningless bytes. */
const CORRUPT_PEM = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

/** The VCEK chain PEM the guest sends to MAA, read from THIM or from the cert table. */
export function vcekChainFor(world: AttestationWorld, via: 'thim' | 'cert_table'):
  Readonly<{ pem: string } | { error: string }> {
  const source = via === 'thim' ? world.attestation.host.thim : world.attestation.host.certTable;
  if (source === 'corrupt') {
    if (via === 'thim') return { pem: CORRUPT_PEM };
    return { error: 'the certificate table the host supplied does not decode' };
  }
  const set = certificateSetFor(world, source);
  if (via === 'thim') return { pem: certificatesPem([set.endorsementCert, set.ask, set.ark]) };
  const table = tryModel(() => decodeCertTable(extendedReportCertTable(set)));
  if (table instanceof SimError) return { error: table.message };
  const order = ['vcek', 'ask', 'ark'];
  const ders = order.map((kind) => table.find((entry) => certKindOf(entry.guid) === kind)?.data);
  if (ders.some((der) => der === undefined)) return { error: 'the table lacks a VCEK, ASK or ARK' };
  return { pem: certificatesPem(ders as Uint8Array[]) };
}

// ---------------------------------------------------------------------------------------------
// The guest message (MSG_REPORT_REQ through VMPCK0)

const REQUEST_PAGE = 0x90_2000;
const RESPONSE_PAGE = 0x90_3000;

/** The guest asks the firmware for a report; the host forwards, withholds or replays. */
export function guestReport(o: Outcome, reportData: Uint8Array): Uint8Array | null {
  const world = o.world;
  assert(world.context !== null && o.memory !== null, 'a launched guest');
  const vmpckRead = guestReadVmpck(o.memory, 0);
  o.memory = vmpckRead.memory;
  if (!vmpckRead.ok) return null;
  const vmpck = vmpckRead.bytes;
  const seqno = o.channel.lastSeqno[0]! + 1n;
  const request = sealGuestMessage({ vmpck, vmpckIndex: 0, seqno, msgType: MSG_TYPE.REPORT_REQ,
    payload: encodeMsgReportReq({ report_data: reportData, vmpl: 0, key_sel: 0 }) });
  const placed = guestWrite(o.memory, { gpa: REQUEST_PAGE, offset: 0, private: false }, request);
  o.memory = placed.memory;
  if (!placed.ok) return null;
  o.emit('guest', 'MSG_REPORT_REQ', { vmpck: 0, seqno: Number(seqno),
    report_data: toHex(reportData.subarray(0, 32)) });
  const mode = world.attestation.host.messageMode;
  if (mode !== 'deliver') o.host({ messageMode: 'deliver' });
  if (mode === 'withhold') {
    o.emit('hypervisor', 'guest_message_withheld', { seqno: Number(seqno) });
    return null;
  }
  const answer = firmwareGuestRequest(world.firmware, o.channel, world.context, request);
  assert(answer.ok, 'the firmware answers a well-formed request with the right seqno');
  o.channel = answer.channel;
  const previous = world.attestation.host.lastResponse;
  const delivered = mode === 'replay' && previous !== null ? hexBytes(previous) : answer.response;
  o.host({ lastResponse: toHex(answer.response) });
  if (mode === 'replay') {
    o.emit('hypervisor', 'guest_message_replayed', { seqno: Number(seqno) + 1 });
  }
  return acceptResponse(o, vmpck, seqno, delivered);
}

/** The driver's checks on a response: AEAD under VMPCK0, seqno = request + 1, REPORT_RSP. */
function acceptResponse(o: Outcome, vmpck: Uint8Array, seqno: bigint, response: Uint8Array):
  Uint8Array | null {
  assert(o.memory !== null);
  const placed = guestWrite(o.memory, { gpa: RESPONSE_PAGE, offset: 0, private: false },
    response);
  o.memory = placed.memory;
  if (!placed.ok) return null;
  const opened = openGuestMessage(response, vmpck);
  const problem = !opened.ok ? opened.reason
    : opened.header.msg_seqno !== seqno + 1n
      ? `MSG_SEQNO ${opened.header.msg_seqno} is not ${seqno + 1n}`
      : opened.header.msg_type !== MSG_TYPE.REPORT_RSP ? 'not a MSG_REPORT_RSP' : null;
  if (problem !== null || !opened.ok) {
    o.attestation = Object.freeze({ ...o.attestation, vmpckDisabled: true });
    o.emit('guest', 'MSG_REPORT_RSP_rejected', { reason: problem ?? 'unreachable',
      vmpck_disabled: true });
    return null;
  }
  const rsp = decodeMsgReportRsp(opened.payload);
  o.emit('snp', 'MSG_REPORT_RSP', { status: rsp.status, report_id:
    toHex(rsp.report.subarray(0x140, 0x160)) });
  return rsp.status === 0 ? rsp.report : null;
}

// ---------------------------------------------------------------------------------------------
// The attest step

/** Preconditions: the guest runs, its memory answers, the container runs, VMPCK0 works. */
function attestPrecondition(o: Outcome, container: string): AttestationOutcome | null {
  const world = o.world;
  if (world.memory === null || world.context === null || world.uvmPhase === null) {
    return o.done('refused', 'hypervisor', 'no UVM is running');
  }
  const touched = guestTouch(world.memory);
  o.memory = touched.memory;
  if (touched.fault !== null) {
    return o.done('refused', 'hypervisor', `the guest is halted: ${touched.fault.kind} at GPA `
      + `0x${(touched.fault.gpa ?? 0).toString(16)} (${touched.fault.reason})`);
  }
  const phase = world.containerPhase(container);
  if (phase !== 'running') {
    return o.done('refused', 'state', `container ${container.slice(0, 12)} is ${phase ?? 'unknown'}`
      + ', not running');
  }
  if (world.attestation.vmpckDisabled) {
    return o.done('refused', 'message', 'the guest disabled VMPCK0 after a bad response: '
      + 'no more reports from this UVM');
  }
  return null;
}

/** The container's runtime data: its fresh wrapping key and (broker-nonce) the broker's nonce. */
function runtimeData(o: Outcome): { bytes: Uint8Array; key: RsaKeyPair } {
  let nonce: Hex | null = null;
  if (o.world.config.freshness === 'broker-nonce') {
    const issued = issueNonce(o.attestation.broker);
    nonce = issued.nonce;
    o.attestation = Object.freeze({ ...o.attestation, broker: issued.state });
    o.emit('verifier', 'nonce_issued', { nonce });
  }
  const key = poolKey(o.attestation.attempts);
  o.attestation = Object.freeze({ ...o.attestation, attempts: o.attestation.attempts + 1 });
  const jwk = { ...key.publicJwk, key_ops: ['encrypt'], kid: 'ContainerWrappingKey' };
  const document = nonce === null ? { keys: [jwk] } : { keys: [jwk], nonce };
  const bytes = new TextEncoder().encode(JSON.stringify(document));
  o.emit('guest', 'runtime_data', { sha256: sha256Hex(bytes), nonce });
  return { bytes, key };
}

function relay(o: Outcome, request: JsonObject, token: string | null,
  release: JsonObject | null): void {
  const entry: Relayed = Object.freeze({ request: o.keep(canonicalJson(request)),
    token: token === null ? null : o.keep(token),
    release: release === null ? null : o.keep(canonicalJson(release)) });
  const relayed = [...o.attestation.host.relayed, entry].slice(-RELAYED_KEPT);
  o.host({ relayed: Object.freeze(relayed) });
}

/** A relayed text back from the store (the world keeps every blob it names). */
export function relayedText(world: Pick<AttestationWorld, 'load'>, digest: Hex): string {
  const bytes = world.load(digest);
  assert(bytes !== undefined, 'the store holds what the host relayed');
  return new TextDecoder().decode(bytes);
}

/** `attest`: the container runs the SKR flow once. */
export function attestStep(world: AttestationWorld, container: string,
  via: 'thim' | 'cert_table'): AttestationOutcome {
  const o = new Outcome(world);
  const stopped = attestPrecondition(o, container);
  if (stopped !== null) return stopped;
  const data = runtimeData(o);
  const reportData = new Uint8Array(64);
  reportData.set(createHash('sha256').update(data.bytes).digest());
  const report = guestReport(o, reportData);
  if (report === null) return reportFailure(o);
  const chain = vcekChainFor(world, via);
  o.emit('host', via === 'thim' ? 'thim' : 'cert_table', { source: via === 'thim'
    ? world.attestation.host.thim : world.attestation.host.certTable });
  if ('error' in chain) return o.done('refused', 'io', chain.error);
  const body = sevSnpVmAttestRequest({ report, vcekCertChainPem: chain.pem,
    runtimeData: data.bytes });
  return tokenAndRelease(o, body, data.key, container);
}

function reportFailure(o: Outcome): AttestationOutcome {
  if (o.memory?.halted) {
    return o.done('refused', 'hypervisor', `the guest is halted: ${o.memory.halted.reason}`);
  }
  if (o.attestation.vmpckDisabled) {
    return o.done('refused', 'message', 'the guest rejected the guest-message response and '
      + 'disabled VMPCK0');
  }
  return o.done('refused', 'hypervisor', 'the host withheld the guest message: no report');
}

/** MAA, then AKV, then the key into the keyring. */
function tokenAndRelease(o: Outcome, body: JsonObject, key: RsaKeyPair, container: string):
  AttestationOutcome {
  const world = o.world;
  const token = attestMemo(world.config.tokenService, body, world.tick);
  if (!token.ok) {
    relay(o, body, null, null);
    o.emit('verifier', 'token_refused', { codes: token.failures.map((f) => f.code) });
    return o.done('refused', 'verifier', `token service: ${failuresText(token.failures)}`);
  }
  o.emit('verifier', 'token_issued', { jti: String(token.claims['jti']),
    hostdata: token.claims['x-ms-sevsnpvm-hostdata'] ?? null,
    is_debuggable: token.claims['x-ms-sevsnpvm-is-debuggable'] ?? null });
  const released = releaseKey(o.attestation.broker, world.config.keyName,
    { target: token.token }, world.tick);
  relay(o, body, token.token, released.ok ? released.release : null);
  if (!released.ok) {
    o.emit('verifier', 'release_refused', { codes: released.failures.map((f) => f.code),
      claims: released.failures.map((f) => (f.detail['claim'] ?? null) as Json) });
    return o.done('refused', 'verifier', `key broker: ${failuresText(released.failures)}`);
  }
  o.attestation = Object.freeze({ ...o.attestation, broker: released.state });
  const material = unwrapMemo(released.release, key);
  assert(material !== undefined, 'the guest opens a release wrapped to its own key');
  const slot = `released/${world.config.keyName}/${container}`;
  assert(o.memory !== null);
  const stored = guestStoreSecret(o.memory, slot, material);
  o.memory = stored.memory;
  if (!stored.ok) return o.done('refused', 'hypervisor', `the guest is halted: `
    + `${stored.fault.reason}`);
  o.attestation = Object.freeze({ ...o.attestation, released: Object.freeze({
    ...o.attestation.released, [container]: slot }) });
  o.emit('verifier', 'key_released', { key: world.config.keyName, wrapped_to: released.wrappedTo });
  o.emit('guest', 'key_stored', { slot });
  return o.done('ok', null, `key ${world.config.keyName} released into guest memory`,
    { key: world.config.keyName, slot });
}

// ---------------------------------------------------------------------------------------------
// The host's replays: it presents what it relayed before to the services itself

/** `replay_report` / `replay_token`: the host asks for the key with an old report or token. */
export function replayStep(world: AttestationWorld, what: 'report' | 'token'):
  AttestationOutcome {
  const o = new Outcome(world);
  const last = world.attestation.host.relayed.at(-1);
  if (last === undefined || (what === 'token' && last.token === null)) {
    return o.done('refused', 'state', `the host has no ${what} to replay`);
  }
  const request = JSON.parse(relayedText(world, last.request)) as JsonObject;
  let token = last.token === null ? null : relayedText(world, last.token);
  if (what === 'report') {
    const issued = attestMemo(world.config.tokenService, request, world.tick);
    if (!issued.ok) {
      return o.done('refused', 'verifier', `token service: ${failuresText(issued.failures)}`);
    }
    o.emit('verifier', 'token_issued', { jti: String(issued.claims['jti']), replayed: true,
      hostdata: issued.claims['x-ms-sevsnpvm-hostdata'] ?? null, is_debuggable:
        issued.claims['x-ms-sevsnpvm-is-debuggable'] ?? null });
    token = issued.token;
  }
  assert(token !== null, 'a token to present');
  const released = releaseKey(world.attestation.broker, world.config.keyName,
    { target: token }, world.tick);
  if (!released.ok) {
    o.emit('verifier', 'release_refused', { codes: released.failures.map((f) => f.code),
      claims: released.failures.map((f) => (f.detail['claim'] ?? null) as Json) });
    return o.done('refused', 'verifier', `key broker: ${failuresText(released.failures)}`);
  }
  o.attestation = Object.freeze({ ...o.attestation, broker: released.state });
  relay(o, request, token, released.release);
  o.emit('verifier', 'key_released', { key: world.config.keyName, wrapped_to: released.wrappedTo,
    to: 'host' });
  return o.done('ok', null, `the broker released ${world.config.keyName} wrapped to `
    + `${released.wrappedTo}: a key only the container that made the runtime data can open`);
}
