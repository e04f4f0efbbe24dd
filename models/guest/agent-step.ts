/**
 * Models: what one guest-agent step takes and gives (the world design note, "The guest agent"):
 * the I/O the world provides (the host's disks through the hypervisor, the content store), the
 * agent's options, and the step's outputs (new state, GCS response, the policy decision, the
 * refusal that stopped it, trace events, sealed scratch writes for the host's disks).
 * Real counterpart: the GCS's view of the world through its bridge, block devices and vsock.
 * Differs: the host's disks are read through pure queries (`AgentIo`) over the world state;
 * writes are returned as data for the world to apply, never performed here.
 * Invariants: a step's outputs are plain data; a refusal names its layer and the check or rule;
 * an I/O failure is a value (IoError), never an exception.
 */
import { assert } from '../../sim/kernel/assert.js';
import type { Hex } from '../../sim/kernel/bytes.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import type { SimErrorCode } from '../../sim/kernel/errors.js';
import type {
  Decision, EngineOptions, NullCommandReading, PolicyDialect,
} from '../policy/engine.js';
import type { PolicyMetadata } from '../policy/metadata.js';
import type { SecurityPolicy } from '../policy/policy-model.js';
import type { BridgeResponse } from './bridge-protocol.js';
import type { CheckName, CheckSwitches } from './confidential-checks.js';
import type { ScratchDisk } from './encrypted-scratch.js';
import type { AgentFault, GuestState } from './guest-state.js';

/** An I/O failure the world reports: nothing attached, withheld, not that kind of disk. */
export type IoError = Readonly<{ io_error: string }>;

export function isIoError(value: unknown): value is IoError {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, 'io_error');
}

/** Pure queries over the current world state (the world builds them per step). */
export type AgentIo = Readonly<{
  /** The bytes of the disk attached at `lun` as the guest reads them (image + host patches). */
  deviceBytes(lun: number): Uint8Array | IoError;
  /**
   * A content identifier of `deviceBytes(lun)`: equal ids mean equal bytes (e.g. the image
   * digest and a digest of the host's patches). Keys the memo of verified reads.
   */
  deviceId(lun: number): string | IoError;
  /** The sealed blocks of the disk at `lun` as the host stores them (scratch reads). */
  scratchDisk(lun: number): ScratchDisk | IoError;
  /** A blob of the content store (policies). */
  load(digest: Hex): Uint8Array | undefined;
  /**
   * The registry root hash a device presents when its computed root is `realRoot`, or null.
   * Non-null only for the world's stand-ins of real registry layers (models/host/images.ts):
   * a pristine stand-in presents the identity of the image it stands for; any change to its
   * top hash block changes `realRoot`, which then has no declaration. This is the one place a
   * root hash is declared rather than computed (real layers cannot be rebuilt here).
   */
  declaredRoot(realRoot: Hex): Hex | null;
}>;

export type AgentOptions = Readonly<{
  /** The framework the engine models: hcsshim HEAD or v0.14.1. */
  dialect: PolicyDialect;
  /** How the engine reads `command: null` (default: as the real framework does). */
  nullCommand?: NullCommandReading;
  /** Confidential checks switched off (absent = on). */
  checks: CheckSwitches;
}>;

/** The policy engine's entry point (models/policy evaluateEnforcementPoint's signature). */
export type PolicyEngine = (policy: SecurityPolicy, metadata: PolicyMetadata, rule: string,
  input: unknown, options?: EngineOptions) => Decision;

export type AgentEnv = Readonly<{
  options: AgentOptions;
  /** A fault the host injected (fail_next): the next real mount or unmount fails. */
  fault: AgentFault | null;
  /**
   * A test seam: another engine in place of models/policy's (a deliberately broken copy that
   * mutation tests expect the invariant to catch). Absent: the real engine.
   */
  engine?: PolicyEngine;
}>;

export const DEFAULT_AGENT_OPTIONS: AgentOptions = Object.freeze({
  dialect: 'head', checks: Object.freeze({}),
});

/** Where a request was stopped. */
export type RefusalLayer =
  | 'message'    // the bridge could not decode it (GUEST_BAD_MESSAGE)
  | 'structure'  // a Go-side confidential check (confidential-checks.ts)
  | 'policy'     // the policy engine denied it (or no policy is installed)
  | 'verity'     // dm-verity: no usable superblock, a read error
  | 'crypt'      // encrypted scratch: an integrity error
  | 'io'         // a device missing or withheld, an injected fault
  | 'state';     // the request does not fit the lifecycle (no such container, poisoned UVM)

export type Refusal = Readonly<{
  layer: RefusalLayer;
  /** The confidential check that refused, if one did. */
  check: CheckName | null;
  /** The enforcement point that denied, if the policy did. */
  rule: string | null;
  reason: string;
  /** The SimError code behind it, when there is one. */
  code: SimErrorCode | null;
}>;

export function refusal(layer: RefusalLayer, reason: string,
  more: Readonly<{ check?: CheckName; rule?: string; code?: SimErrorCode }> = {}): Refusal {
  assert(reason.length > 0, 'a refusal says why');
  assert(layer !== 'structure' || more.check !== undefined, 'a structural refusal names a check');
  return Object.freeze({ layer, check: more.check ?? null, rule: more.rule ?? null, reason,
    code: more.code ?? null });
}

/** A trace event in spec names; the world adds sequence number and tick. */
export type GuestEvent = Readonly<{ source: 'guest' | 'policy'; type: string; data: Json }>;

/** A block the agent wrote to a scratch disk: what the host will hold at (lun, index). */
export type DiskWrite = Readonly<{
  lun: number;
  index: number;
  /** Ciphertext ‖ tag (hex) when the disk is encrypted, the plaintext block otherwise. */
  block: Hex;
}>;

/** Content the world must keep in its store (the installed policy's bytes). */
export type StoredBlob = Readonly<{ digest: Hex; bytes: Uint8Array }>;

export type AgentStep = Readonly<{
  /** The input state object itself when the request was refused and nothing changed. */
  state: GuestState;
  response: BridgeResponse;
  /** The last policy decision the step asked for, or null. */
  decision: Decision | null;
  refusal: Refusal | null;
  events: readonly GuestEvent[];
  writes: readonly DiskWrite[];
  blobs: readonly StoredBlob[];
  /** The injected fault (env.fault) was consumed by this step. */
  faultUsed: boolean;
}>;
