/**
 * Models: everything the untrusted host can do to a confidential UVM, as one typed action union
 * (the Parma threat model, spec/policy.md a: the host controls the VMM, the disks, the bridge and
 * the order of everything): launch a UVM with inputs of its choice, send any bridge message in
 * any order with any fields, add, attach, detach, withhold, swap and rewrite disks, add images,
 * and make the next guest operation fail. The benign shim uses the same actions.
 * Real counterpart: hcsshim's host side (uvm.Create / SNP launch, the GCS bridge client, the SCSI
 * manager) and whatever a malicious host could run in its place.
 * Part 2 (issue 9) adds the memory and attestation powers: read (or, for a DEBUG guest, have the
 * firmware decrypt) and write any guest page, remap pages, choose the THIM data and the
 * extended-report certificate table the guest gets, withhold or replay guest-message responses,
 * replay an old report or token to the services, wait; and lets a container attest (`attest`).
 * Differs: one action is one step; faults are injected by name ("fail_next") rather than by
 * crashing devices.
 * Invariants: an action is plain JSON (traces record and replay it); `parseHostAction` accepts
 * exactly the shapes below and refuses anything else with HOST_BAD_INPUT, naming the field.
 */
import { assert } from '../../sim/kernel/assert.js';
import { isHexOf, type Hex } from '../../sim/kernel/bytes.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import { SimError } from '../../sim/kernel/errors.js';
import { checkDiskId, checkLun } from './storage.js';

/** The launch the host chooses (spec/snp.md c, d): every input by content digest. */
export type LaunchRequest = Readonly<{
  /** ContentStore digests of the OVMF flash image, kernel and initrd. */
  firmware: Hex;
  kernel: Hex;
  initrd: Hex;
  cmdline: string;
  vcpus: number;
  /** The SNP guest policy (u64) as hex text, e.g. "0x30000". */
  guestPolicy: string;
  /** HOST_DATA for LAUNCH_FINISH (32 bytes, hex). */
  hostData: Hex;
  /** ID block and ID auth info (hex) for LAUNCH_FINISH, or null for none. */
  idBlock: Readonly<{ idBlock: Hex; idAuth: Hex; authorKey: boolean }> | null;
}>;

/**
 * One GCS frame as the host sends it: the 16-byte header's message type and sequence id, and the
 * JSON body (models/guest/bridge-protocol.ts RawBridgeMessage).
 */
export type BridgeMessage = Readonly<{ type: number; id: number; message: Json }>;

/** What "fail_next" can break: the guest's next mount or unmount fails after the policy allowed
 * it (a bad superblock, a device error half-way through an unmount). */
export const FAULT_KINDS = ['mount', 'unmount'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type DiskSpec =
  | Readonly<{ kind: 'layer'; image: Hex }>
  | Readonly<{ kind: 'scratch'; blockCount: number }>;

/** A file tree the host turns into a layer image (hex file contents). */
export type ImageTreeSpec = Readonly<Record<string, Readonly<
  { kind: 'file'; content: Hex; mode?: number } | { kind: 'dir'; mode?: number }>>>;

/** A certificate source the host can hand the guest (THIM JSON or the cert table). */
export const CERT_SOURCES = ['genuine', 'other_chip', 'other_tcb', 'corrupt'] as const;
export type CertSourceName = (typeof CERT_SOURCES)[number];
/** What the host does with the next SNP guest message. */
export const MESSAGE_MODES = ['deliver', 'withhold', 'replay'] as const;
export type MessageModeName = (typeof MESSAGE_MODES)[number];

export type RemapSpec =
  | Readonly<{ kind: 'fresh'; fill: Hex }>
  | Readonly<{ kind: 'swap'; gpa: number }>;

export type HostAction =
  | Readonly<{ kind: 'launch'; launch: LaunchRequest }>
  | Readonly<{ kind: 'bridge'; message: BridgeMessage }>
  | Readonly<{ kind: 'add_disk'; disk: string; spec: DiskSpec }>
  | Readonly<{ kind: 'attach'; lun: number; disk: string }>
  | Readonly<{ kind: 'detach'; lun: number }>
  | Readonly<{ kind: 'withhold'; lun: number }>
  | Readonly<{ kind: 'tamper_block'; disk: string; block: number; bytes: Hex }>
  | Readonly<{ kind: 'swap_disks'; a: string; b: string }>
  | Readonly<{ kind: 'fail_next'; what: FaultKind }>
  | Readonly<{ kind: 'add_image'; tree: ImageTreeSpec }>
  | Readonly<{ kind: 'attest'; container: string; via: 'thim' | 'cert_table' }>
  | Readonly<{ kind: 'read_page'; gpa: number; debug: boolean }>
  | Readonly<{ kind: 'write_page'; gpa: number; offset: number; bytes: Hex }>
  | Readonly<{ kind: 'remap'; gpa: number; to: RemapSpec }>
  | Readonly<{ kind: 'thim'; source: CertSourceName }>
  | Readonly<{ kind: 'cert_table'; source: CertSourceName }>
  | Readonly<{ kind: 'guest_message'; mode: MessageModeName }>
  | Readonly<{ kind: 'replay_report' }>
  | Readonly<{ kind: 'replay_token' }>
  | Readonly<{ kind: 'wait'; ms: number }>;

export type HostActionKind = HostAction['kind'];

export const HOST_ACTION_KINDS: readonly HostActionKind[] = Object.freeze([
  'launch', 'bridge', 'add_disk', 'attach', 'detach', 'withhold', 'tamper_block', 'swap_disks',
  'fail_next', 'add_image', 'attest', 'read_page', 'write_page', 'remap', 'thim', 'cert_table',
  'guest_message', 'replay_report', 'replay_token', 'wait',
]);

/** Guest-physical addresses: 4 KiB aligned, below 2^48. */
const MAX_GPA = 2 ** 48;

function gpa(value: unknown, field: string): number {
  const address = int(value, field, 0, MAX_GPA - 1);
  if (address % 4096 !== 0) bad(field, 'must be 4 KiB aligned');
  return address;
}

function oneOf<T extends string>(value: unknown, field: string, options: readonly T[]): T {
  if (!(options as readonly unknown[]).includes(value)) {
    bad(field, `must be one of ${options.join(', ')}`);
  }
  return value as T;
}

function parseRemap(value: unknown): RemapSpec {
  const o = object(value, 'to');
  if (o['kind'] === 'fresh') return { kind: 'fresh', fill: hex(o['fill'], 'to.fill') };
  if (o['kind'] === 'swap') return { kind: 'swap', gpa: gpa(o['gpa'], 'to.gpa') };
  return bad('to.kind', 'must be "fresh" or "swap"');
}

/** The part-2 actions (memory and attestation); undefined for other kinds. */
function parseAttestationAction(o: Readonly<Record<string, unknown>>): HostAction | undefined {
  switch (o['kind']) {
    case 'attest': return { kind: 'attest', container: text(o['container'], 'container'),
      via: o['via'] === undefined ? 'thim' : oneOf(o['via'], 'via', ['thim', 'cert_table']) };
    case 'read_page': return { kind: 'read_page', gpa: gpa(o['gpa'], 'gpa'),
      debug: o['debug'] === undefined ? false : o['debug'] === true };
    case 'write_page': return { kind: 'write_page', gpa: gpa(o['gpa'], 'gpa'),
      offset: int(o['offset'], 'offset', 0, 4095), bytes: hex(o['bytes'], 'bytes') };
    case 'remap': return { kind: 'remap', gpa: gpa(o['gpa'], 'gpa'), to: parseRemap(o['to']) };
    case 'thim': return { kind: 'thim', source: oneOf(o['source'], 'source', CERT_SOURCES) };
    case 'cert_table':
      return { kind: 'cert_table', source: oneOf(o['source'], 'source', CERT_SOURCES) };
    case 'guest_message':
      return { kind: 'guest_message', mode: oneOf(o['mode'], 'mode', MESSAGE_MODES) };
    case 'replay_report': return { kind: 'replay_report' };
    case 'replay_token': return { kind: 'replay_token' };
    case 'wait': return { kind: 'wait', ms: int(o['ms'], 'ms', 0, 365 * 24 * 3600 * 1000) };
    default: return undefined;
  }
}

function bad(field: string, what: string): never {
  throw new SimError('HOST_BAD_INPUT', { field, what }, `host action: ${field}: ${what}`);
}

function object(value: unknown, field: string): Readonly<Record<string, unknown>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    bad(field, 'must be an object');
  }
  return value as Readonly<Record<string, unknown>>;
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') bad(field, 'must be a string');
  return value;
}

function hex(value: unknown, field: string, bytes?: number): Hex {
  if (typeof value !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(value)) {
    bad(field, 'must be lowercase hex');
  }
  if (bytes !== undefined && !isHexOf(value, bytes)) bad(field, `must be ${bytes} bytes`);
  return value;
}

function int(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    bad(field, `must be an integer ${min}..${max}`);
  }
  return value;
}

function isJson(value: unknown, depth: number): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((item) => isJson(item, depth + 1));
}

function parseLaunch(value: unknown): LaunchRequest {
  const o = object(value, 'launch');
  const guestPolicy = text(o['guestPolicy'], 'launch.guestPolicy');
  if (!/^0x[0-9a-f]{1,16}$/.test(guestPolicy)) bad('launch.guestPolicy', 'must be 0x + hex u64');
  const idBlockValue = o['idBlock'];
  let idBlock: LaunchRequest['idBlock'] = null;
  if (idBlockValue !== null) {
    const b = object(idBlockValue, 'launch.idBlock');
    if (typeof b['authorKey'] !== 'boolean') bad('launch.idBlock.authorKey', 'must be a boolean');
    idBlock = Object.freeze({ idBlock: hex(b['idBlock'], 'launch.idBlock.idBlock'),
      idAuth: hex(b['idAuth'], 'launch.idBlock.idAuth'), authorKey: b['authorKey'] });
  }
  return Object.freeze({
    firmware: hex(o['firmware'], 'launch.firmware', 32),
    kernel: hex(o['kernel'], 'launch.kernel', 32), initrd: hex(o['initrd'], 'launch.initrd', 32),
    cmdline: text(o['cmdline'], 'launch.cmdline'), vcpus: int(o['vcpus'], 'launch.vcpus', 1, 64),
    guestPolicy, hostData: hex(o['hostData'], 'launch.hostData', 32), idBlock,
  });
}

function parseTree(value: unknown): ImageTreeSpec {
  const o = object(value, 'tree');
  const out: Record<string, ImageTreeSpec[string]> = {};
  const paths = Object.keys(o);
  if (paths.length > 4096) bad('tree', 'at most 4096 entries');
  for (const path of paths) {
    const node = object(o[path], `tree[${JSON.stringify(path)}]`);
    const mode = node['mode'] === undefined ? undefined
      : int(node['mode'], `tree[${JSON.stringify(path)}].mode`, 0, 0o7777);
    if (node['kind'] === 'file') {
      out[path] = { kind: 'file', content: hex(node['content'], `tree[${path}].content`),
        ...(mode === undefined ? {} : { mode }) };
    } else if (node['kind'] === 'dir') {
      out[path] = { kind: 'dir', ...(mode === undefined ? {} : { mode }) };
    } else {
      bad(`tree[${JSON.stringify(path)}].kind`, 'must be "file" or "dir"');
    }
  }
  return Object.freeze(out);
}

function parseDiskSpec(value: unknown): DiskSpec {
  const o = object(value, 'spec');
  if (o['kind'] === 'layer') return { kind: 'layer', image: hex(o['image'], 'spec.image', 32) };
  if (o['kind'] === 'scratch') {
    return { kind: 'scratch', blockCount: int(o['blockCount'], 'spec.blockCount', 1, 1 << 20) };
  }
  return bad('spec.kind', 'must be "layer" or "scratch"');
}

function checkedField<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof SimError && error.code === 'HOST_BAD_INPUT') {
      bad(field, error.message);
    }
    throw error;
  }
}

/** A host action from JSON (a trace line, a scenario file): typed, or HOST_BAD_INPUT. */
export function parseHostAction(value: unknown): HostAction {
  const o = object(value, 'action');
  const kind = o['kind'];
  const lun = (): number => checkedField('lun', () => checkLun(o['lun']));
  const disk = (name: string): string => checkedField(name, () => checkDiskId(o[name]));
  let action: HostAction;
  switch (kind) {
    case 'launch': action = { kind, launch: parseLaunch(o['launch']) }; break;
    case 'bridge': {
      const message = object(o['message'], 'message');
      const type = int(message['type'], 'message.type', 0, 0xffff_ffff);
      const id = int(message['id'], 'message.id', 0, Number.MAX_SAFE_INTEGER);
      if (!isJson(message['message'], 0)) bad('message.message', 'must be JSON');
      action = { kind, message: { type, id, message: message['message'] as Json } };
      break;
    }
    case 'add_disk': action = { kind, disk: disk('disk'), spec: parseDiskSpec(o['spec']) }; break;
    case 'attach': action = { kind, lun: lun(), disk: disk('disk') }; break;
    case 'detach': action = { kind, lun: lun() }; break;
    case 'withhold': action = { kind, lun: lun() }; break;
    case 'tamper_block':
      action = { kind, disk: disk('disk'), block: int(o['block'], 'block', 0, 1 << 30),
        bytes: hex(o['bytes'], 'bytes') };
      break;
    case 'swap_disks': action = { kind, a: disk('a'), b: disk('b') }; break;
    case 'fail_next': {
      const what = o['what'];
      if (!(FAULT_KINDS as readonly unknown[]).includes(what)) {
        bad('what', `must be one of ${FAULT_KINDS.join(', ')}`);
      }
      action = { kind, what: what as FaultKind };
      break;
    }
    case 'add_image': action = { kind, tree: parseTree(o['tree']) }; break;
    default: {
      const attestation = parseAttestationAction(o);
      if (attestation === undefined) {
        return bad('kind', `must be one of ${HOST_ACTION_KINDS.join(', ')}`);
      }
      action = attestation;
    }
  }
  assert(action.kind === kind, 'the parsed action keeps its kind');
  return action;
}
