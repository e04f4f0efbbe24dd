/**
 * Goal: I4 of DESIGN.md — the policy engine's metadata agrees with reality after every step,
 * failed operations included (spec c "What makes the invariant inductive" 3: metadata changes
 * only through the rule that allowed the change, and the Go side keeps it equal to reality).
 * Method: the one checker allowed to read `GuestState.metadata` (a test enforces that no other
 * invariant module mentions it). Each metadata record is compared, key by key, with what the
 * guest actually holds: verified devices and their root hashes, RW devices, overlay targets,
 * the containers bound by `matches` and their layers, `started`, plan9 shares, scratch mounts
 * and loaded fragments. It imports only types, never engine code.
 */
import type { GuestState } from '../models/guest/guest-state.js';
import type { Invariant, Verdict } from './invariants.js';

const HOLDS: Verdict = Object.freeze({ kind: 'holds' });
const violated = (object: string, reason: string): Verdict =>
  Object.freeze({ kind: 'violated', object, reason });
/** Long hex (IDs, hashes) shortened for messages; paths kept whole. */
const short = (id: string): string => (/^[0-9a-f]{17,}$/.test(id) ? `${id.slice(0, 12)}…` : id);

function sameKeys(name: string, metadata: Readonly<Record<string, unknown>>,
  real: ReadonlySet<string>): Verdict {
  for (const key of Object.keys(metadata)) {
    if (!real.has(key)) return violated(`metadata.${name}[${short(key)}]`, 'recorded, but the '
      + 'guest holds no such mount');
  }
  for (const key of real) {
    if (!Object.hasOwn(metadata, key)) return violated(`${name} ${short(key)}`, 'mounted, but '
      + 'the metadata does not record it');
  }
  return HOLDS;
}

function devices(guest: GuestState): Verdict {
  const m = guest.metadata;
  const ro = new Map<string, string>();
  const rw = new Set<string>();
  for (const d of Object.values(guest.devices)) {
    if (d.kind === 'ro_verity') ro.set(d.target, d.rootHash);
    else rw.add(d.target);
  }
  const keys = sameKeys('devices', m.devices, new Set(ro.keys()));
  if (keys.kind !== 'holds') return keys;
  for (const [target, hash] of ro) {
    if (m.devices[target] !== hash) {
      return violated(`device ${target}`, `verified root hash ${short(hash)}, metadata says `
        + `${short(m.devices[target] ?? '')}`);
    }
  }
  return sameKeys('rw_devices', m.rw_devices, rw);
}

const ACTIVE = new Set(['overlay_mounted', 'created', 'running']);

function containers(guest: GuestState): Verdict {
  const m = guest.metadata;
  const overlays = sameKeys('overlayTargets', m.overlayTargets,
    new Set(Object.values(guest.overlays).map((o) => o.target)));
  if (overlays.kind !== 'holds') return overlays;
  for (const id of Object.keys(m.matches)) {
    const record = guest.containers[id];
    if (record === undefined) return violated(`metadata.matches[${short(id)}]`, 'binds an ID '
      + 'that never had an overlay');
    const layers = record.context.layers
      ?? guest.overlays[id]?.layers.map((l) => l.rootHash) ?? null;
    const baseFirst = layers === null ? null : [...layers].reverse();
    const wrong = baseFirst === null ? undefined : m.matches[id]!.find((c) =>
      c.layers.length !== baseFirst.length || c.layers.some((h, i) => h !== baseFirst[i]));
    if (wrong !== undefined) return violated(`container ${short(id)}`, 'metadata.matches binds '
      + 'it to a policy container whose layers are not its rootfs layers');
  }
  for (const [id, record] of Object.entries(guest.containers)) {
    if (ACTIVE.has(record.value) && !Object.hasOwn(m.matches, id)) {
      return violated(`container ${short(id)}`, `${record.value}, but metadata.matches has no `
        + 'candidates for it');
    }
    if (record.context.config !== null && !Object.hasOwn(m.started, id)) {
      return violated(`container ${short(id)}`, 'created, but metadata.started does not record '
        + 'it (its ID could be used again)');
    }
  }
  for (const id of Object.keys(m.started)) {
    if (guest.containers[id] === undefined && guest.pendingCreate?.containerId !== id) {
      return violated(`metadata.started[${short(id)}]`, 'no such container was ever created');
    }
  }
  return HOLDS;
}

function shares(guest: GuestState): Verdict {
  const m = guest.metadata;
  const plan9 = sameKeys('p9mounts', m.p9mounts, new Set(Object.keys(guest.plan9)));
  if (plan9.kind !== 'holds') return plan9;
  for (const overlay of Object.values(guest.overlays)) {
    const scratch = overlay.scratch;
    if (scratch === null) continue;
    const entry = m.scratch_mounts[scratch.path];
    if (entry === undefined || entry.encrypted !== scratch.encrypted) {
      return violated(`scratch ${scratch.path}`, 'mounted, but metadata.scratch_mounts does not '
        + 'record it as it is');
    }
  }
  for (const f of Object.values(guest.fragments)) {
    const feed = m.issuers[f.issuer]?.feeds[f.feed] ?? [];
    if (!feed.some((loaded) => loaded.namespace === f.namespace)) {
      return violated(`fragment ${f.namespace}`, 'loaded, but metadata.issuers does not record it');
    }
  }
  return HOLDS;
}

function checkI4(view: Parameters<Invariant['check']>[0]): Verdict {
  const guest = view.guest;
  if (guest === null || guest.policy === null) return HOLDS;
  for (const verdict of [devices(guest), containers(guest), shares(guest)]) {
    if (verdict.kind !== 'holds') return verdict;
  }
  return HOLDS;
}

export const I4_METADATA: Invariant = {
  id: 'I4',
  statement: 'the policy engine\'s metadata (devices, rw_devices, overlayTargets, matches, '
    + 'started, p9mounts, scratch_mounts, issuers) agrees with what the guest holds',
  check: checkI4,
};
