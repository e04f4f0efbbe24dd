/**
 * Models: framework.rego capability matching: capsList_ok, get_capabilities (defaults when the
 * policy says null), valid_caps_for_all (capability dropping with ties), and the default lists
 * (hcsshim securitypolicy: DefaultUnprivilegedCapabilities / DefaultPrivilegedCapabilities).
 * Real counterpart: the same Rego rules; defaults are data.defaultUnprivilegedCapabilities etc.
 * Differs: an absent `privileged` in the request counts as false here (Rego: undefined → deny).
 *   A container whose text lacks `capabilities` although its version has the field
 *   (`absent_fields`) has no capabilities at all (get_capabilities is undefined for it).
 * Invariants: 14 unprivileged defaults (inheritable and ambient empty); 41 privileged (every Linux
 *   capability up to CAP_CHECKPOINT_RESTORE) in all sets but ambient. Dropping only removes
 *   requested capabilities the policy lacks: the result still has to equal the allowed sets.
 */
import { assert } from '../../../sim/kernel/assert.js';
import type { CapabilitySets, PolicyContainer } from '../policy-model.js';
import { sameSortedList } from './env.js';
import { hasField } from './process.js';

/** The containerd default set (moby oci/caps/defaults.go), as confcom writes it. */
export const DEFAULT_UNPRIVILEGED_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
    'CAP_MKNOD',
  'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID',
    'CAP_SYS_CHROOT',
]);

/** Every capability of linux/capability.h, numbers 0..40 in order. */
export const DEFAULT_PRIVILEGED_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
    'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST',
    'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO',
    'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE',
    'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE',
    'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
    'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
]);

assert(DEFAULT_UNPRIVILEGED_CAPABILITIES.length === 14);
assert(DEFAULT_PRIVILEGED_CAPABILITIES.length === 41);
assert(new Set(DEFAULT_PRIVILEGED_CAPABILITIES).size === 41);
assert(DEFAULT_UNPRIVILEGED_CAPABILITIES.every((c) => DEFAULT_PRIVILEGED_CAPABILITIES.includes(c)));

export const CAPABILITY_SET_NAMES = ['bounding', 'effective', 'inheritable', 'permitted',
  'ambient'] as const;

const UNPRIVILEGED_SETS: CapabilitySets = Object.freeze({
  bounding: DEFAULT_UNPRIVILEGED_CAPABILITIES, effective: DEFAULT_UNPRIVILEGED_CAPABILITIES,
  inheritable: [], permitted: DEFAULT_UNPRIVILEGED_CAPABILITIES, ambient: [],
});

const PRIVILEGED_SETS: CapabilitySets = Object.freeze({
  bounding: DEFAULT_PRIVILEGED_CAPABILITIES, effective: DEFAULT_PRIVILEGED_CAPABILITIES,
  inheritable: DEFAULT_PRIVILEGED_CAPABILITIES, permitted: DEFAULT_PRIVILEGED_CAPABILITIES,
    ambient: [],
});

/**
 * get_capabilities: the policy's sets, or the defaults for (privileged request, allow_elevated).
 */
export function getCapabilities(container: PolicyContainer,
    privileged: boolean): CapabilitySets | undefined {
  if (!hasField(container, 'capabilities')) return undefined;
  if (container.capabilities !== null) return container.capabilities;
  return privileged && container.allow_elevated ? PRIVILEGED_SETS : UNPRIVILEGED_SETS;
}

/** capsList_ok: same size and mutual inclusion. */
export function capsListOk(allowed: readonly string[], requested: readonly string[]): boolean {
  if (allowed.length !== requested.length) return false;
  for (const cap of requested) if (!allowed.includes(cap)) return false;
  for (const cap of allowed) if (!requested.includes(cap)) return false;
  return true;
}

export function capsOk(allowed: CapabilitySets | undefined, requested: CapabilitySets): boolean {
  if (allowed === undefined) return false;
  for (const set of CAPABILITY_SET_NAMES) if (!capsListOk(allowed[set],
    requested[set])) return false;
  return true;
}

function filterByAllowed(allowed: CapabilitySets, requested: CapabilitySets): CapabilitySets {
  const pick = (set: (typeof CAPABILITY_SET_NAMES)[number]): readonly string[] =>
    [...new Set(requested[set].filter((cap) => allowed[set].includes(cap)))].sort();
  return { bounding: pick('bounding'), effective: pick('effective'),
    inheritable: pick('inheritable'), permitted: pick('permitted'), ambient: pick('ambient') };
}

function total(caps: CapabilitySets): number {
  let n = 0;
  for (const set of CAPABILITY_SET_NAMES) n += caps[set].length;
  return n;
}

function sameSets(a: CapabilitySets, b: CapabilitySets): boolean {
  for (const set of CAPABILITY_SET_NAMES) if (!sameSortedList(a[set], b[set])) return false;
  return true;
}

/**
 * What valid_caps_for_all gives. `ok`: caps_list. `tie`: the largest accepted sets differ
 * ("only distinguishable by capabilties"). `null-request`: caps_list is the request's JSON null,
 * which no container's sets equal ("capabilities don't match"). `none`: caps_list is undefined
 * (no capabilities in the request, or no candidate has capability sets): no error names it.
 */
export type CapsChoice =
  | Readonly<{ kind: 'ok'; caps: CapabilitySets }>
  | Readonly<{ kind: 'tie' }>
  | Readonly<{ kind: 'null-request' }>
  | Readonly<{ kind: 'none' }>;

/**
 * valid_caps_for_all: without dropping, the request as is; with dropping, each candidate's
 * accepted subset, and the largest must all be equal (else "only distinguishable by capabilties").
 * `requested` null is the JSON null the request carried; undefined means it had none.
 */
export function validCapsForAll(
  containers: readonly PolicyContainer[], requested: CapabilitySets | null | undefined,
    privileged: boolean, dropping: boolean,
): CapsChoice {
  assert(containers.length > 0, 'caps narrowing runs on a non-empty candidate list');
  if (requested === undefined) return { kind: 'none' };
  if (requested === null) return dropping ? { kind: 'none' } : { kind: 'null-request' };
  if (!dropping) return { kind: 'ok', caps: requested };
  let best: CapabilitySets | undefined;
  let bestTotal = -1;
  // Stryker disable next-line BooleanLiteral: the first candidate with sets resets it; none: unread
  let tie = false;
  for (const container of containers) {
    const allowed = getCapabilities(container, privileged);
    if (allowed === undefined) continue;   // its filter_capsList_for_single_container is undefined
    const filtered = filterByAllowed(allowed, requested);
    const n = total(filtered);
    if (n > bestTotal) { best = filtered; bestTotal = n; tie = false; continue; }
    if (n === bestTotal && !sameSets(filtered, best!)) tie = true;
  }
  // max([]) is undefined in Rego: no container had capabilities to compare with.
  if (best === undefined) return { kind: 'none' };
  return tie ? { kind: 'tie' } : { kind: 'ok', caps: best };
}
