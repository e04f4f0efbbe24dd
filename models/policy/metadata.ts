/**
 * Models: the policy engine's state, hcsshim framework.rego "metadata" (data.metadata.*), and the
 * interpreter's metadata actions (add / update / remove). See shared/spec/policy.md section (c).
 * Real counterpart: regopolicyinterpreter's metadata store, updated as part of each query.
 * Differs: `issuers[issuer].feeds[feed]` entries also carry the fragment's namespace and svn (the
 *   Rego keeps only the extracted includes), so loading the same fragment twice can be refused;
 *   `operatingsystem` is not kept (Linux only); Go-side state (stdio flags, hostMounts) is not
 *   here.
 * Invariants: plain, readonly, JSON-serialisable records; every update copies only the touched
 *   record (structural sharing); keys are looked up as own properties only, so host-chosen keys
 *   such as `__proto__` or `constructor` are ordinary keys.
 */
import { assert } from '../../sim/kernel/assert.js';
import type { ExternalProcess, FragmentReference, PolicyContainer } from './policy-model.js';

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
};

export type MetadataName = keyof MetadataValues;

export const METADATA_NAMES: readonly MetadataName[] = Object.freeze([
  'devices', 'rw_devices', 'matches', 'overlayTargets', 'started', 'p9mounts', 'scratch_mounts',
    'issuers',
]);

/** One metadata action, as a rule result lists it. */
export type MetadataOp = {
  [N in MetadataName]:
    | Readonly<{ name: N; action: 'add' | 'update'; key: string; value: MetadataValues[N] }>
    | Readonly<{ name: N; action: 'remove'; key: string }>;
}[MetadataName];

const EMPTY: PolicyMetadata = Object.freeze({
  devices: Object.freeze({}), rw_devices: Object.freeze({}), matches: Object.freeze({}),
  overlayTargets: Object.freeze({}), started: Object.freeze({}), p9mounts: Object.freeze({}),
  scratch_mounts: Object.freeze({}), issuers: Object.freeze({}),
});

/** The metadata of a freshly installed policy: every record empty. */
export function emptyMetadata(): PolicyMetadata {
  return EMPTY;
}

/** Own-property lookup: `__proto__`, `constructor` and friends are plain keys here. */
export function lookup<T>(record: Rec<T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function has(record: Rec<unknown>, key: string): boolean {
  return Object.hasOwn(record, key);
}

export type ApplyResult =
  | Readonly<{ ok: true; metadata: PolicyMetadata }>
  | Readonly<{ ok: false; reason: string }>;

/**
 * Applies `ops` in order. Like the interpreter, `add` to an existing key and `remove` of an absent
 * key are errors: the whole query fails and the metadata stays as it was.
 */
export function applyMetadataOps(metadata: PolicyMetadata,
    ops: readonly MetadataOp[]): ApplyResult {
  assert(ops.length <= 8, 'a rule emits a handful of metadata ops');
  if (ops.length === 0) return { ok: true, metadata };
  const copies = new Map<MetadataName, Record<string, unknown>>();
  for (const op of ops) {
    let record = copies.get(op.name);
    if (record === undefined) {
      record = { ...(metadata[op.name] as Rec<unknown>) };
      copies.set(op.name, record);
    }
    const exists = Object.hasOwn(record, op.key);
    if (op.action === 'add' && exists) {
      return { ok: false, reason: `metadata ${op.name}[${op.key}] already exists` };
    }
    if (op.action === 'remove') {
      if (!exists) return { ok: false, reason: `metadata ${op.name}[${op.key}] does not exist` };
      delete record[op.key];
      continue;
    }
    Object.defineProperty(record, op.key, { value: op.value, enumerable: true, writable: true,
      configurable: true });
  }
  const next: Record<string, unknown> = { ...metadata };
  for (const [name, record] of copies) next[name] = record;
  assert(Object.keys(next).length === METADATA_NAMES.length,
    'metadata keeps exactly its named records');
  return { ok: true, metadata: next as PolicyMetadata };
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
  const issuers = Object.keys(metadata.issuers);
  if (issuers.length === 0) return [];
  const out: T[] = [];
  for (const issuer of issuers.sort()) {
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

/** Parses metadata supplied by a user (CLI --metadata): missing records are empty. */
export function metadataFromJson(value: unknown, fail: (message: string) => never): PolicyMetadata {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail('metadata must be a JSON object');
  }
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    if (!(METADATA_NAMES as readonly string[]).includes(key)) {
      fail(`metadata.${key} is not a metadata record`);
    }
  }
  for (const name of METADATA_NAMES) {
    const record = Object.hasOwn(source, name) ? source[name] : {};
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      fail(`metadata.${name} must be an object`);
    }
    out[name] = record;
  }
  return out as PolicyMetadata;
}
