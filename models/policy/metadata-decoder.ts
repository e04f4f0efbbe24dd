/**
 * Models: reading the policy engine's state (framework.rego data.metadata) from JSON a user
 * supplies (`policy eval --metadata`, `policy simulate --metadata`, library callers). The JSON is
 * hostile: every record and every entry is checked for the shape the rules read.
 * Real counterpart: none; the GCS builds its metadata only through rule results. This is the
 *   boundary where parma-sim accepts state from outside.
 * Differs: a record that is absent takes the dialect's initial value (HEAD: operatingsystem
 *   {ostype: "linux"}); the real interpreter would hold whatever it was given.
 * Invariants: the result has exactly the METADATA_NAMES records; anything else is a
 *   POLICY_BAD_METADATA SimError whose message names the JSON path (`metadata.matches.c1`), never
 *   a raw exception; keys such as `__proto__` stay ordinary own keys.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { PolicyDialect } from './dialect.js';
import {
  METADATA_NAMES, initialMetadata, type IssuerEntry, type LoadedFragment, type MetadataName,
    type PolicyMetadata, type ScratchEntry, type StartedEntry,
} from './metadata.js';
import type { PolicyContainer } from './policy-model.js';
import { ShapeReader } from './shape-reader.js';

function failure(path: string, problem: string): SimError {
  return new SimError('POLICY_BAD_METADATA', { path }, `${path} ${problem}`);
}

const read = new ShapeReader(failure);

/** One record: an object whose every own value `each` reads. */
function record<T>(path: string, value: unknown,
    each: (path: string, item: unknown) => T): Readonly<Record<string, T>> {
  const source = read.object(path, value);
  const out: Record<string, T> = {};
  for (const key of Object.keys(source)) {
    Object.defineProperty(out, key, { value: each(`${path}.${key}`, source[key]), enumerable: true,
      writable: true, configurable: true });
  }
  return out;
}

function isTrue(path: string, value: unknown): true {
  if (value !== true) throw failure(path, 'must be true');
  return true;
}

function started(path: string, value: unknown): StartedEntry {
  const o = read.object(path, value);
  return { privileged: read.boolean(`${path}.privileged`, o['privileged']) };
}

function scratch(path: string, value: unknown): ScratchEntry {
  const o = read.object(path, value);
  return { encrypted: read.boolean(`${path}.encrypted`, o['encrypted']) };
}

function matches(path: string, value: unknown): readonly PolicyContainer[] {
  if (!Array.isArray(value)) throw failure(path, 'must be an array of policy containers');
  return read.list(path, value, (p, item) => read.container(p, item));
}

function loadedFragment(path: string, value: unknown): LoadedFragment {
  const o = read.object(path, value);
  const optional = <T>(key: string, each: (p: string, v: unknown) => T) =>
    o[key] === undefined ? {} : { [key]: read.list(`${path}.${key}`, o[key], each) };
  return {
    namespace: read.string(`${path}.namespace`, o['namespace']),
    svn: read.svn(`${path}.svn`, o['svn']),
    ...optional('containers', (p, v) => read.container(p, v)),
    ...optional('fragments', (p, v) => read.fragmentReference(p, v)),
    ...optional('external_processes', (p, v) => read.externalProcess(p, v)),
  };
}

function issuer(path: string, value: unknown): IssuerEntry {
  const o = read.object(path, value);
  return { feeds: record(`${path}.feeds`, o['feeds'], (p, feed) => {
    if (!Array.isArray(feed)) throw failure(p, 'must be an array of loaded fragments');
    return read.list(p, feed, loadedFragment);
  }) };
}

const RECORD_READERS: Readonly<Record<MetadataName, (path: string, value: unknown) => unknown>> = {
  devices: (p, v) => record(p, v, (q, x) => read.string(q, x)),
  rw_devices: (p, v) => record(p, v, isTrue),
  matches: (p, v) => record(p, v, matches),
  overlayTargets: (p, v) => record(p, v, isTrue),
  started: (p, v) => record(p, v, started),
  p9mounts: (p, v) => record(p, v, (q, x) => read.string(q, x)),
  scratch_mounts: (p, v) => record(p, v, scratch),
  issuers: (p, v) => record(p, v, issuer),
  operatingsystem: (p, v) => record(p, v, (q, x) => read.string(q, x)),
};

/**
 * Reads metadata JSON (already parsed). Absent records take `dialect`'s initial value; an unknown
 * record or a wrong shape anywhere is POLICY_BAD_METADATA naming the path.
 */
export function decodePolicyMetadata(value: unknown, dialect: PolicyDialect): PolicyMetadata {
  const source = read.object('metadata', value);
  for (const key of Object.keys(source)) {
    if (!(METADATA_NAMES as readonly string[]).includes(key)) {
      throw failure(`metadata.${key}`, `is not a metadata record (known: `
        + `${METADATA_NAMES.join(', ')})`);
    }
  }
  const initial = initialMetadata(dialect);
  const out: Record<string, unknown> = {};
  for (const name of METADATA_NAMES) {
    out[name] = Object.hasOwn(source, name)
      ? RECORD_READERS[name](`metadata.${name}`, source[name]) : initial[name];
  }
  assert(Object.keys(out).length === METADATA_NAMES.length);
  assert(Object.keys(RECORD_READERS).length === METADATA_NAMES.length);
  return out as PolicyMetadata;
}
