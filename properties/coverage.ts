/**
 * Goal: decision coverage of a campaign — how often each enforcement point was asked, allowed and
 * denied, and how often each deny reason was given — against the catalogue of every reason each
 * point can give (framework.rego's `errors`, HEAD), so that a reason no campaign reaches is
 * listed rather than silently untested.
 * Method: the guest's policy events (source `policy`, type = the rule, data {allowed, reasons,
 * framework_reasons}) of every step are counted; a reason is normalised (names and versions in
 * it replaced by `…`); a denial with no framework reason counts as `(no framework reason)` (the
 * only form a flag rule's denial takes; elsewhere shown, not required) and one by the
 * closed-door enforcer as `(closed door)`. The catalogue is written from spec/policy.md
 * (c) and the framework's error strings; reasons and points the GCS cannot reach in this world
 * are listed apart, each with the reason why, and a test checks that they indeed stay unreached.
 */
import { assert } from '../sim/kernel/assert.js';
import type { TraceEvent } from '../sim/kernel/trace.js';

export type PointCoverage = {
  asked: number;
  allowed: number;
  denied: number;
  reasons: Map<string, number>;
};

export type DecisionCoverage = {
  points: Map<string, PointCoverage>;
  /** Refusals by the GCS's own confidential checks (structure layer), by check name. */
  checks: Map<string, number>;
  steps: number;
};

export const NO_FRAMEWORK_REASON = '(no framework reason)';
export const CLOSED_DOOR = '(closed door)';

/** Every deny reason of every enforcement point the GCS asks (HEAD). */
export const DENY_REASONS: Readonly<Record<string, readonly string[]>> = {
  mount_device: ['deviceHash not found', 'device already mounted at path', 'mountpoint invalid'],
  rw_mount_device: ['device already mounted at path', 'mountpoint invalid',
    'unencrypted scratch not allowed, non-readonly mount request for SCSI disk must request '
      + 'encryption',
    'ensureFilesystem must be set on rw device mounts',
    'rw device mounts uses a filesystem that is not allowed'],
  unmount_device: ['received read-only unmount request, but device provided is read-write',
    'no device at path to unmount'],
  rw_unmount_device: ['received read-write unmount request, but device provided is read-only',
    'no device at path to unmount'],
  mount_blockdev: ['blockdev mounts are not supported'],
  unmount_blockdev: ['blockdev mounts are not supported'],
  mount_overlay: ['overlay has already been mounted', 'no matching containers for overlay'],
  unmount_overlay: ['no overlay at path to unmount'],
  scratch_mount: ['scratch already mounted at path', 'unencrypted scratch not allowed'],
  create_container: ['container already started', 'privileged escalation not allowed',
    'invalid command', 'invalid env list: …', 'invalid env list',
    'missing required environment variable', 'invalid working directory',
    'invalid mount list: …', 'invalid noNewPrivileges', 'invalid user', 'invalid seccomp',
    'capabilities don\'t match', 'containers only distinguishable by allow_stdio_access',
    'containers only distinguishable by capabilties'],
  exec_in_container: ['invalid command', 'invalid env list: …',
    'missing required environment variable', 'invalid working directory',
    'invalid noNewPrivileges', 'invalid user', 'capabilities don\'t match'],
  exec_external: ['invalid command', 'invalid env list: …',
    'missing required environment variable', 'invalid working directory',
    'external processes only distinguishable by allow_stdio_access'],
  signal_container_process: ['target isn\'t allowed to receive the signal'],
  plan9_mount: ['device already mounted at path'],
  plan9_unmount: ['no device at path to unmount'],
  get_properties: [NO_FRAMEWORK_REASON],
  dump_stacks: [NO_FRAMEWORK_REASON],
  load_fragment: ['invalid fragment issuer', 'invalid fragment feed',
    'fragment svn is below the specified minimum',
    'fragment svn and the specified minimum are different types',
    'fragment framework_version is missing…', 'fragment framework_version is ahead…',
    'missing fragment svn', 'svn in header does not match svn in fragment',
    'fragment … is already loaded for this issuer and feed',
    '(refused before the rule: POLICY_FRAGMENT_RESERVED_NAMESPACE)'],
};

/** Reasons the GCS's own checks make unreachable (its check comes before the policy's). */
export const UNREACHABLE_REASONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  load_fragment: {
    'fragment namespace … is reserved': 'the envelope check refuses a reserved namespace before '
      + 'load_fragment is asked (POLICY_FRAGMENT_RESERVED_NAMESPACE)',
  },
  create_container: {
    'devices not supported': 'the GCS refuses extra Linux devices (no_extra_devices) before it '
      + 'asks the policy',
  },
  exec_in_container: {
    'container not started': 'the GCS finds no created container before it asks the policy',
  },
  shutdown_container: {
    'container not started': 'the GCS finds no created container before it asks the policy',
  },
  signal_container_process: {
    'container not started': 'the GCS finds no created container before it asks the policy',
  },
};

/** Enforcement points the GCS of this world never asks, and why. */
export const NOT_ASKED: Readonly<Record<string, string>> = {
  scratch_unmount: 'removing an overlay asks unmount_overlay only',
  runtime_logging: 'the GCS reads the flag once when the policy is installed (not modelled)',
  host_network: 'no request of this world asks for the host network',
};

const NORMALISE: readonly (readonly [RegExp, string])[] = [
  [/^([A-Z][A-Z0-9_]+): .*/s, '(refused before the rule: $1)'],
  [/^invalid env list: .*/s, 'invalid env list: …'],
  [/^invalid mount list: .*/s, 'invalid mount list: …'],
  [/^fragment framework_version is missing.*/s, 'fragment framework_version is missing…'],
  [/^fragment framework_version is ahead.*/s, 'fragment framework_version is ahead…'],
  [/^fragment framework_version .* is not a semantic version$/s,
    'fragment framework_version … is not a semantic version'],
  [/^fragment namespace .* is reserved$/s, 'fragment namespace … is reserved'],
  [/^fragment .* is already loaded for this issuer and feed$/s,
    'fragment … is already loaded for this issuer and feed'],
];

export function normaliseReason(reason: string): string {
  for (const [pattern, canonical] of NORMALISE) {
    if (pattern.test(reason)) return reason.replace(pattern, canonical);
  }
  return reason;
}

export function newCoverage(): DecisionCoverage {
  return { points: new Map(), checks: new Map(), steps: 0 };
}

function point(coverage: DecisionCoverage, rule: string): PointCoverage {
  let entry = coverage.points.get(rule);
  if (entry === undefined) {
    entry = { asked: 0, allowed: 0, denied: 0, reasons: new Map() };
    coverage.points.set(rule, entry);
  }
  return entry;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Counts the decisions and confidential-check refusals of one step's events. */
export function recordStep(coverage: DecisionCoverage, events: readonly TraceEvent[]): void {
  assert(events.length > 0, 'every step emits at least its action and result');
  coverage.steps++;
  for (const event of events) {
    const data = event.data as Readonly<Record<string, unknown>> | null;
    if (data === null || typeof data !== 'object') continue;
    if (event.source === 'guest' && event.type === 'refused' && typeof data['check'] === 'string') {
      bump(coverage.checks, data['check']);
    }
    if (event.source !== 'policy') continue;
    const entry = point(coverage, event.type);
    entry.asked++;
    if (data['allowed'] === true) {
      entry.allowed++;
      continue;
    }
    entry.denied++;
    if (data['enforcer'] === 'closed-door') {
      bump(entry.reasons, CLOSED_DOOR);
      continue;
    }
    const framework = Array.isArray(data['framework_reasons']) ? data['framework_reasons']
      : event.type === 'load_fragment' && Array.isArray(data['reasons']) ? data['reasons'] : [];
    if (framework.length === 0) bump(entry.reasons, NO_FRAMEWORK_REASON);
    for (const reason of framework) bump(entry.reasons, normaliseReason(String(reason)));
  }
}

/** Adds `other` into `into` (campaign shards). */
export function mergeCoverage(into: DecisionCoverage, other: DecisionCoverage): void {
  into.steps += other.steps;
  for (const [rule, p] of other.points) {
    const entry = point(into, rule);
    entry.asked += p.asked;
    entry.allowed += p.allowed;
    entry.denied += p.denied;
    for (const [reason, n] of p.reasons) entry.reasons.set(reason, (entry.reasons.get(reason)
      ?? 0) + n);
  }
  for (const [check, n] of other.checks) into.checks.set(check, (into.checks.get(check) ?? 0) + n);
}

export type Unreached = Readonly<{ point: string; reason: string | null }>;

/** Catalogue entries the campaign never hit (reason null: the point was never asked). */
export function unreached(coverage: DecisionCoverage): Unreached[] {
  const out: Unreached[] = [];
  for (const [rule, reasons] of Object.entries(DENY_REASONS)) {
    const entry = coverage.points.get(rule);
    if (entry === undefined || entry.asked === 0) {
      out.push({ point: rule, reason: null });
      continue;
    }
    for (const reason of reasons) {
      if ((entry.reasons.get(reason) ?? 0) === 0) out.push({ point: rule, reason });
    }
  }
  return out;
}

/**
 * Reasons the campaign gave that the catalogue does not list (the catalogue is then wrong). A
 * denial without any framework reason is shown in the table but not required: where the
 * framework's `errors` say nothing (a reused overlay target, a plan9 target no container owns,
 * an undecidable narrowing), the GCS reports an empty list.
 */
export function uncatalogued(coverage: DecisionCoverage): Unreached[] {
  const out: Unreached[] = [];
  for (const [rule, entry] of coverage.points) {
    for (const reason of entry.reasons.keys()) {
      if (reason === CLOSED_DOOR || reason === NO_FRAMEWORK_REASON) continue;
      if (!(DENY_REASONS[rule] ?? []).includes(reason)) out.push({ point: rule, reason });
    }
  }
  return out;
}

/** The coverage table: one line per point, then its reasons with counts; unreached listed. */
export function coverageTable(coverage: DecisionCoverage): string {
  const lines = [`decision coverage over ${coverage.steps} steps`,
    `${'enforcement point'.padEnd(26)} ${'asked'.padStart(8)} ${'allowed'.padStart(8)} `
      + `${'denied'.padStart(8)}`];
  const rules = [...new Set([...Object.keys(DENY_REASONS), ...coverage.points.keys()])].sort();
  for (const rule of rules) {
    const p = coverage.points.get(rule) ?? { asked: 0, allowed: 0, denied: 0, reasons: new Map() };
    lines.push(`${rule.padEnd(26)} ${String(p.asked).padStart(8)} ${String(p.allowed)
      .padStart(8)} ${String(p.denied).padStart(8)}`);
    const reasons = new Set([...(DENY_REASONS[rule] ?? []), ...p.reasons.keys()]);
    for (const reason of reasons) {
      const n = p.reasons.get(reason) ?? 0;
      lines.push(`    ${String(n).padStart(7)}  ${reason.length > 90 ? `${reason.slice(0, 89)}…`
        : reason}${n === 0 ? '   <- unreached' : ''}`);
    }
  }
  if (coverage.checks.size > 0) {
    lines.push('confidential checks (GCS, before the policy)');
    for (const [check, n] of [...coverage.checks].sort()) {
      lines.push(`    ${String(n).padStart(7)}  ${check}`);
    }
  }
  const missing = unreached(coverage);
  lines.push(missing.length === 0 ? 'every deny reason of every enforcement point was reached'
    : `unreached: ${missing.map((u) => `${u.point}${u.reason === null ? ' (never asked)'
      : `: ${u.reason}`}`).join('; ')}`);
  return lines.join('\n');
}
