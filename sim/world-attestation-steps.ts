/**
 * Models: the world's steps for issue 9's host powers and the guest kernel's part in them: the
 *   host reads (or, for a DEBUG guest, has the firmware decrypt), writes and remaps guest pages;
 *   chooses the THIM data, the certificate table and what happens to the next guest message;
 *   replays what it relayed; waits. The guest kernel touches its private working set before it
 *   does anything and keeps its scratch keys in its keyring (guest-private pages).
 * Real counterpart: KVM/QEMU with a hostile operator; the UVM's kernel.
 * Differs: see sim/world-attestation.ts.
 * Invariants: a host write the RMP refuses changes nothing; a halted guest answers nothing; the
 *   keyring holds exactly the guest's current scratch keys (removed ones are overwritten with
 *   zeros) — all in private pages.
 */
import { createHash } from 'node:crypto';
import { assert } from './kernel/assert.js';
import { hexBytes, toHex, type Hex } from './kernel/bytes.js';
import type { Json } from './kernel/canonical-json.js';
import { SimError } from './kernel/errors.js';
import {
  guestStoreSecret, guestTouch, hostDebugDecrypt, hostReadPage, hostRemap, hostWrite,
  type GuestMemory,
} from '../models/hypervisor/guest-memory.js';
import type { MemoryFault } from '../models/hypervisor/rmp.js';
import type { HostAction } from '../models/host/adversary.js';
import {
  AttestationOutcomeBuilder, attestStep, replayStep, tryModel, type AttestationOutcome,
  type AttestationWorld,
} from './world-attestation.js';

/**
 * Gate results by memory object: the RMP, the NPT and `halted` are part of the (immutable)
 * memory state, so the answer for one object never changes; only a new object is walked. This
 * is a cache of a pure function keyed by identity, as sim/world-codec.ts caches encodings.
 */
const gates = new WeakMap<GuestMemory, Readonly<{ memory: GuestMemory;
  fault: MemoryFault | null }>>();

/** The guest kernel runs only if its working set is still its own. */
export function guestMemoryGate(memory: GuestMemory | null):
  Readonly<{ memory: GuestMemory | null; fault: MemoryFault | null }> {
  if (memory === null) return { memory, fault: null };
  const known = gates.get(memory);
  if (known !== undefined) return known;
  const touched = guestTouch(memory);
  assert(touched.fault === null || touched.memory.halted !== null, 'a fault halts the guest');
  gates.set(memory, touched);
  return touched;
}

const SCRATCH_SLOT = 'scratch/';

/**
 * The keyring after the guest's scratch keys changed from `before` to `after`: keys that are new
 * or changed are stored (RMP-checked private writes), removed ones are overwritten with zeros.
 */
export function syncGuestSecrets(memory: GuestMemory | null,
  before: Readonly<Record<string, Hex>>, after: Readonly<Record<string, Hex>>):
  GuestMemory | null {
  if (memory === null || memory.halted !== null) return memory;
  let next = memory;
  for (const [target, key] of Object.entries(after)) {
    if (Object.hasOwn(before, target) && before[target] === key) continue;
    const written = guestStoreSecret(next, `${SCRATCH_SLOT}${target}`, hexBytes(key));
    next = written.memory;
    if (!written.ok) return next;
  }
  for (const [target, key] of Object.entries(before)) {
    if (Object.hasOwn(after, target)) continue;
    const zeroed = guestStoreSecret(next, `${SCRATCH_SLOT}${target}`,
      new Uint8Array(key.length / 2));
    next = zeroed.memory;
    if (!zeroed.ok) return next;
  }
  assert(next.halted !== null || Object.keys(after)
    .every((target) => `${SCRATCH_SLOT}${target}` in next.keyring.slots));
  return next;
}

// ---------------------------------------------------------------------------------------------
// Host memory powers

function readPage(world: AttestationWorld, gpa: number, debug: boolean): AttestationOutcome {
  const o = new AttestationOutcomeBuilder(world);
  if (world.memory === null) return o.done('refused', 'hypervisor', 'no UVM memory yet');
  const memory = world.memory;
  const bytes = tryModel(() => (debug ? hostDebugDecrypt(memory, gpa) : hostReadPage(memory,
    gpa)));
  if (bytes instanceof SimError) return o.done('refused', 'hypervisor', bytes.message);
  if (bytes === null) {
    return o.done('refused', 'firmware', 'SNP_DBG_DECRYPT refused (POLICY_FAILURE): the guest '
      + 'policy does not allow debugging, or the page is not the guest\'s');
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  o.emit('hypervisor', debug ? 'SNP_DBG_DECRYPT' : 'host_read_page', { gpa, sha256: digest });
  return o.done('ok', null, `read ${bytes.length} bytes`, { sha256: digest,
    head: toHex(bytes.subarray(0, 16)) });
}

function writePage(world: AttestationWorld, gpa: number, offset: number, bytes: Hex):
  AttestationOutcome {
  const o = new AttestationOutcomeBuilder(world);
  if (world.memory === null) return o.done('refused', 'hypervisor', 'no UVM memory yet');
  const memory = world.memory;
  const result = tryModel(() => hostWrite(memory, gpa, offset, hexBytes(bytes)));
  if (result instanceof SimError) return o.done('refused', 'hypervisor', result.message);
  if (result.fault !== null) {
    o.emit('hypervisor', 'rmp_fault', { gpa, kind: result.fault.kind });
    return o.done('refused', 'hypervisor', `RMP violation: ${result.fault.reason}`);
  }
  o.memory = result.memory;
  o.emit('hypervisor', 'host_write_page', { gpa, offset, length: bytes.length / 2 });
  return o.done('ok', null, `wrote ${bytes.length / 2} bytes into a shared page`);
}

function remap(world: AttestationWorld, action: Extract<HostAction, { kind: 'remap' }>):
  AttestationOutcome {
  const o = new AttestationOutcomeBuilder(world);
  if (world.memory === null) return o.done('refused', 'hypervisor', 'no UVM memory yet');
  const memory = world.memory;
  const result = tryModel(() => hostRemap(memory, action.gpa, action.to));
  if (result instanceof SimError) return o.done('refused', 'hypervisor', result.message);
  o.memory = result;
  o.emit('hypervisor', 'remap', { gpa: action.gpa, to: action.to as unknown as Json,
    spa: result.npt[`0x${action.gpa.toString(16)}`] ?? null });
  return o.done('ok', null, `GPA 0x${action.gpa.toString(16)} now maps another page`);
}

/** The issue-9 host actions and `attest`; undefined for the others. */
export function attestationOutcome(world: AttestationWorld, action: HostAction):
  AttestationOutcome | undefined {
  const o = new AttestationOutcomeBuilder(world);
  switch (action.kind) {
    case 'attest': return attestStep(world, action.container, action.via);
    case 'read_page': return readPage(world, action.gpa, action.debug);
    case 'write_page': return writePage(world, action.gpa, action.offset, action.bytes);
    case 'remap': return remap(world, action);
    case 'thim':
      o.host({ thim: action.source });
      return o.done('ok', null, `THIM now answers with ${action.source} certificates`);
    case 'cert_table':
      o.host({ certTable: action.source });
      return o.done('ok', null, `the certificate table now holds ${action.source} certificates`);
    case 'guest_message':
      o.host({ messageMode: action.mode });
      return o.done('ok', null, `the next guest message: ${action.mode}`);
    case 'replay_report': return replayStep(world, 'report');
    case 'replay_token': return replayStep(world, 'token');
    case 'wait': return o.done('ok', null, `waited ${action.ms} ms`);
    default: return undefined;
  }
}

/** One line of what an issue-9 action asks for (the world's timeline). */
export function describeAttestationAction(action: HostAction): string {
  const at = (gpa: number) => `GPA 0x${gpa.toString(16)}`;
  switch (action.kind) {
    case 'attest': return `container ${action.container.slice(0, 8)} attests (certificates `
      + `from ${action.via === 'thim' ? 'THIM' : 'the cert table'})`;
    case 'read_page':
      return `${action.debug ? 'debug-decrypt' : 'read'} guest page ${at(action.gpa)}`;
    case 'write_page':
      return `write ${action.bytes.length / 2} bytes into guest page ${at(action.gpa)}`;
    case 'remap': return action.to.kind === 'swap'
      ? `swap the pages behind ${at(action.gpa)} and ${at(action.to.gpa)}`
      : `remap ${at(action.gpa)} to a fresh page`;
    case 'thim': return `serve ${action.source} certificates from THIM`;
    case 'cert_table': return `put ${action.source} certificates in the cert table`;
    case 'guest_message': return `${action.mode} the next guest message`;
    case 'replay_report': return 'replay the last relayed report to the token service';
    case 'replay_token': return 'replay the last relayed token to the key broker';
    case 'wait': return `wait ${action.ms} ms`;
    default: return action.kind;
  }
}
