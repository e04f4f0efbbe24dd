/**
 * Models: the policy engine's state, hcsshim framework.rego "metadata" (data.metadata.*), and the
 * interpreter's metadata actions (add / update / remove). See shared/spec/policy.md section (c).
 * Real counterpart: regopolicyinterpreter's metadata store, updated as part of each query.
 * Differs: `issuers[issuer].feeds[feed]` entries also carry the fragment's namespace and svn (the
 *   Rego keeps only the extracted includes), so loading the same fragment twice can be refused;
 *   Go-side state (stdio flags, hostMounts) is not here.
 * Invariants: plain, readonly, JSON-serialisable records; every update copies only the touched
 *   record (structural sharing); keys are looked up as own properties only, so host-chosen keys
 *   such as `__proto__` or `constructor` are ordinary keys. Operations apply in order as the
 *   interpreter applies them: an `add` of an existing key fails, and the operations before it
 *   stay applied (the interpreter changes its data in place).
 */
import { assert } from '../../sim/kernel/assert.js';
import type { ExternalProcess, FragmentReference, PolicyContainer } from './policy-model.js';
import { DIALECTS, type PolicyDialect } from './dialect.js';

export type StartedEntry = Readonly<{ privileged: boolean }>;
export type ScratchEntry = Readonly<{ encrypted: boolean }>;

/** What one loaded fragment contributed (its selected `includes`), newest first per feed. */
export type LoadedFragment = Readonly<{
  namespace: string;
  svn: string | number;
  containers?: readonly PolicyContainer[];
  fragments?: readonly FragmentReference[];
  external_processes?: readonly ExternalProcess[];
}>;

export type IssuerEntry = Readonly<{ feeds: Readonly<Record<string, readonly LoadedFragment[]>> }>;

type Rec<T> = Readonly<Record<string, T>>;

export type PolicyMetadata = Readonly<{
  devices: Rec<string>;
  rw_devices: Rec<true>;
  matches: Rec<readonly PolicyContainer[]>;
  overlayTargets: Rec<true>;
  started: Rec<StartedEntry>;
  p9mounts: Rec<string>;
  scratch_mounts: Rec<ScratchEntry>;
  issuers: Rec<IssuerEntry>;
  /** `ostype` → "linux" | "windows": what the HEAD enforcer records at creation (is_linux). */
  operatingsystem: Rec<string>;
}>;

type MetadataValues = {
  devices: string;
  rw_devices: true;
  matches: readonly PolicyContainer[];
  overlayTargets: true;
  started: StartedEntry;
  p9mounts: string;
  scratch_mounts: ScratchEntry;
  issuers: IssuerEntry;
  operatingsystem: string;
};

export type MetadataName = keyof MetadataValues;

export const METADATA_NAMES: readonly MetadataName[] = Object.freeze([
  'devices', 'rw_devices', 'matches', 'overlayTargets', 'started', 'p9mounts', 'scratch_mounts',
    'issuers', 'operatingsystem',
]);

/** One metadata action, as a rule result lists it. */
export type MetadataOp = {
  [N in MetadataName]:
    | Readonly<{ name: N; action: 'add' | 'update'; key: string; value: MetadataValues[N] }>
    | Readonly<{ name: N; action: 'remove'; key: string }>;
}[MetadataName];

const NO_RECORDS = Object.freeze({
  devices: Object.freeze({}), rw_devices: Object.freeze({}), matches: Object.freeze({}),
  overlayTargets: Object.freeze({}), started: Object.freeze({}), p9mounts: Object.freeze({}),
  scratch_mounts: Object.freeze({}), issuers: Object.freeze({}),
});

const INITIAL: Readonly<Record<PolicyDialect, PolicyMetadata>> = Object.freeze({
  head: Object.freeze({ ...NO_RECORDS, operatingsystem: Object.freeze({ ostype: 'linux' }) }),
  'v0.14.1': Object.freeze({ ...NO_RECORDS, operatingsystem: Object.freeze({}) }),
});

assert(INITIAL.head.operatingsystem['ostype'] === DIALECTS.head.initialOsType);
assert(DIALECTS['v0.14.1'].initialOsType === null);

/**
 * The metadata of a freshly installed policy: every record empty, except that the HEAD enforcer
 * records its operating system (UpdateOSType) before the first query.
 */
export function initialMetadata(dialect: PolicyDialect): PolicyMetadata {
  return INITIAL[dialect];
}

/** The metadata of a policy freshly installed by the HEAD GCS: initialMetadata('head'). */
export function emptyMetadata(): PolicyMetadata {
  return INITIAL.head;
}

/** Own-property lookup: `__proto__`, `constructor` and friends are plain keys here. */
export function lookup<T>(record: Rec<T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function has(record: Rec<unknown>, key: string): boolean {
  return Object.hasOwn(record, key);
}

export type ApplyResult = Readonly<{
  /** The metadata after the operations that applied (all of them unless `error`). */
  metadata: PolicyMetadata;
  /** The interpreter's error for the operation that failed; the later ones never ran. */
  error?: string;
}>;

/**
 * Applies `ops` in order, as regopolicyinterpreter does: `add` to an existing key is an error,
 * `update` writes, `remove` deletes (an absent key is no error). On an error the operations before
 * it stay applied, since the interpreter changes its data in place.
 */
export function applyMetadataOps(metadata: PolicyMetadata,
    ops: readonly MetadataOp[]): ApplyResult {
  assert(ops.length <= 8, 'a rule emits a handful of metadata ops');
  if (ops.length === 0) return { metadata };
  const copies = new Map<MetadataName, Record<string, unknown>>();
  let error: string | undefined;
  for (const op of ops) {
    let record = copies.get(op.name);
    if (record === undefined) {
      record = { ...(metadata[op.name] as Rec<unknown>) };
      copies.set(op.name, record);
    }
    if (op.action === 'remove') { delete record[op.key]; continue; }
    if (op.action === 'add' && Object.hasOwn(record, op.key)) {
      error = `cannot add metadata value, key ${op.name}[${op.key}] already exists`;
      break;
    }
    Object.defineProperty(record, op.key, { value: op.value, enumerable: true, writable: true,
      configurable: true });
  }
  const next: Record<string, unknown> = { ...metadata };
  for (const [name, record] of copies) next[name] = record;
  assert(Object.keys(next).length === METADATA_NAMES.length,
    'metadata keeps exactly its named records');
  return error === undefined ? { metadata: next as PolicyMetadata }
    : { metadata: next as PolicyMetadata, error };
}

/** Every container a loaded fragment contributed, in issuer/feed key order (as Rego iterates). */
export function fragmentContainers(metadata: PolicyMetadata): readonly PolicyContainer[] {
  return collectFromFragments(metadata, (f) => f.containers);
}

export function fragmentExternalProcesses(metadata: PolicyMetadata): readonly ExternalProcess[] {
  return collectFromFragments(metadata, (f) => f.external_processes);
}

export function fragmentFragments(metadata: PolicyMetadata): readonly FragmentReference[] {
  return collectFromFragments(metadata, (f) => f.fragments);
}

function collectFromFragments<T>(metadata: PolicyMetadata, pick: (f: LoadedFragment) => readonly T[]
    | undefined): readonly T[] {
  const out: T[] = [];
  for (const issuer of Object.keys(metadata.issuers).sort()) {
    const feeds = metadata.issuers[issuer]!.feeds;
    for (const feed of Object.keys(feeds).sort()) {
      for (const fragment of feeds[feed]!) {
        const items = pick(fragment);
        if (items !== undefined) out.push(...items);
      }
    }
  }
  return out;
}
