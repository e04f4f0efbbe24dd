/**
 * Goal: I1, I2 and I3 of DESIGN.md "The invariant" as checks over a WorldView: the guest's
 * devices, overlays, containers, processes, plan9 shares, scratch encryption and loaded
 * fragments — judged against the installed policy as properties/policy-data.ts reads it. I4
 * (metadata against reality) is in properties/invariant-metadata.ts, the one checker allowed to
 * read the engine's metadata; I5–I7 (attestation, confidentiality, key release) in
 * properties/invariant-attestation.ts. STATE_INVARIANTS lists all seven in order.
 * Method: each check walks the records and returns the first violation, naming the object
 * (`container <id>`, `process <pid>`, `device <target>`, …). I1 and I2 bind each container to a
 * policy entry existentially: some entry must explain its layers (I1) and, the same entry, its
 * config and every process it ran (I2) — the narrowing the framework promises, stated as its
 * result. Rules about change (IDs never reused, the launch never changes) read `view.before`.
 */
import { assert } from '../sim/kernel/assert.js';
import type { Hex } from '../sim/kernel/bytes.js';
import type {
  ContainerRecord, GuestState, LoadedFragment, ProcessRecord,
} from '../models/guest/guest-state.js';
import type { ContainerData, ExternalProcessData, PolicyData } from './policy-data.js';
import {
  allowedCapabilities, capabilityProblem, envProblem, mountProblem, svnAtLeast, userProblem,
  type MountPlace,
} from './policy-semantics.js';
import type { Invariant, Verdict, WorldView } from './invariants.js';
import { I4_METADATA } from './invariant-metadata.js';
import {
  I5_ATTESTATION_BINDING, I6_CONFIDENTIALITY, I7_KEY_RELEASE,
} from './invariant-attestation.js';

const HOLDS: Verdict = Object.freeze({ kind: 'holds' });
const violated = (object: string, reason: string): Verdict =>
  Object.freeze({ kind: 'violated', object, reason });
/** Long hex (IDs, hashes) shortened for messages; paths kept whole. */
const short = (id: string): string => (/^[0-9a-f]{17,}$/.test(id) ? `${id.slice(0, 12)}…` : id);

// ---------------------------------------------------------------------------------------------
// Candidates: the policy's containers and those of fragments it lets in (spec c load_fragment)

type Candidates = Readonly<{ containers: readonly ContainerData[];
  external: readonly ExternalProcessData[] }>;

/** The fragment references in force: the policy's, and those loaded fragments add. */
function fragmentRefs(view: WorldView, policy: PolicyData): PolicyData['fragments'] {
  const refs = [...policy.fragments];
  const loaded = Object.entries(view.guest?.fragments ?? {});
  for (const [digest, fragment] of loaded) {
    const data = view.fragments[digest];
    if (data !== undefined && includes(refs, fragment, 'fragments')) refs.push(...data.fragments);
  }
  return refs;
}

function includes(refs: PolicyData['fragments'], f: LoadedFragment, what: string): boolean {
  return refs.some((r) => r.issuer === f.issuer && r.feed === f.feed && r.includes.includes(what));
}

export function candidatesOf(view: WorldView, policy: PolicyData): Candidates {
  const containers = [...policy.containers];
  const external = [...policy.external_processes];
  const refs = fragmentRefs(view, policy);
  for (const [digest, fragment] of Object.entries(view.guest?.fragments ?? {})) {
    const data = view.fragments[digest];
    if (data === undefined) continue;
    if (includes(refs, fragment, 'containers')) containers.push(...data.containers);
    if (includes(refs, fragment, 'external_processes')) external.push(...data.external_processes);
  }
  return { containers, external };
}

// ---------------------------------------------------------------------------------------------
// I1: container integrity

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Policy entries whose layers (base first) are `topFirst` reversed. */
function entriesWithLayers(candidates: Candidates, topFirst: readonly Hex[]): ContainerData[] {
  const baseFirst = [...topFirst].reverse();
  return candidates.containers.filter((c) => sameList(c.layers, baseFirst));
}

function created(record: ContainerRecord): boolean {
  return record.context.config !== null;
}

function checkI1(view: WorldView): Verdict {
  const guest = view.guest;
  const policy = view.policy;
  if (guest === null || policy === null) return HOLDS;   // no policy: I3 checks emptiness
  const candidates = candidatesOf(view, policy);
  const allLayers = new Set(candidates.containers.flatMap((c) => c.layers));
  for (const device of Object.values(guest.devices)) {
    // rootHash is the root the device presented (its own tree's, or for a pristine stand-in of
    // a registry layer the root it stands for); every read is verified against its own tree.
    if (device.kind === 'ro_verity' && !allLayers.has(device.rootHash)) {
      return violated(`device ${device.target}`, `its verified root hash ${short(
        device.rootHash)} is a layer of no policy container`);
    }
  }
  for (const overlay of Object.values(guest.overlays)) {
    if (overlay.broken) continue;
    for (const layer of overlay.layers) {
      const device = guest.devices[layer.path];
      if (device?.kind !== 'ro_verity' || device.rootHash !== layer.rootHash) {
        return violated(`overlay ${overlay.target}`, `layer ${layer.path} is not the verified `
          + `device with root hash ${short(layer.rootHash)}`);
      }
    }
    const hashes = overlay.layers.map((l) => l.rootHash);
    if (entriesWithLayers(candidates, hashes).length === 0) {
      return violated(`overlay ${overlay.target}`, `its layers (top first ${hashes.map(short)
        .join(', ')}) are, in this order, the layers of no policy container`);
    }
  }
  for (const [id, record] of Object.entries(guest.containers)) {
    if (!created(record)) continue;
    const layers = record.context.layers;
    if (layers === null || entriesWithLayers(candidates, layers).length === 0) {
      return violated(`container ${short(id)}`, 'its rootfs layers at create are, in this order, '
        + 'the layers of no policy container');
    }
    if (record.value === 'running') {
      const overlay = Object.values(guest.overlays).find((o) => o.target
        === record.context.rootfs);
      if (overlay === undefined || !sameList(overlay.layers.map((l) => l.rootHash), layers)) {
        return violated(`container ${short(id)}`, 'it runs on a rootfs that is no longer the '
          + 'overlay it was created on');
      }
    }
  }
  return HOLDS;
}

// ---------------------------------------------------------------------------------------------
// I2: execution integrity

function placeOf(guest: GuestState, id: string, record: ContainerRecord): MountPlace {
  const sandbox = record.context.sandboxId;
  return { containerId: id, sandboxRoot: sandbox === null ? null : `/run/gcs/c/${sandbox}`,
    plan9Targets: Object.keys(guest.plan9) };
}

/** Why `record`'s config does not fit `entry` (init process included), or null. */
function configProblem(entry: ContainerData, record: ContainerRecord,
  place: MountPlace): string | null {
  const c = record.context.config!;
  if (entry.command === null || !sameList(c.args, entry.command)) return `argv ${JSON.stringify(
    c.args)} is not the entry's command`;
  const env = envProblem(entry.env_rules, c.env);
  if (env !== null) return env;
  if (c.cwd !== entry.working_dir) return `working directory ${c.cwd} is not the entry's`;
  const user = userProblem(entry.user, { user: c.user, groups: c.groups, umask: c.umask });
  if (user !== null) return user;
  const caps = capabilityProblem(c.capabilities, allowedCapabilities(entry, c.privileged));
  if (caps !== null) return caps;
  if (entry.no_new_privileges && !c.noNewPrivileges) return 'no_new_privileges is not set';
  if (c.seccompProfileSHA256 !== entry.seccomp_profile_sha256) return 'another seccomp profile';
  if (c.privileged && !entry.allow_elevated) return 'privileged, but the entry does not allow '
    + 'elevation';
  const extra = c.devices.find((d) => d !== '/dev/sev-guest');
  if (extra !== undefined) return `device node ${extra} is not allowed`;
  if (record.context.stdio && !entry.allow_stdio_access) return 'stdio is wired to the host';
  for (const mount of c.mounts) {
    const problem = mountProblem(entry, mount, place, record.context.isSandbox);
    if (problem !== null) return problem;
  }
  return null;
}

function processProblem(entry: ContainerData, record: ContainerRecord,
  p: ProcessRecord): string | null {
  const c = record.context.config!;
  if (p.kind === 'init') {
    return p.pid === record.context.initPid && sameList(p.argv, c.args) && sameList(p.env, c.env)
      && p.cwd === c.cwd ? null : `init process ${p.pid} is not the created config`;
  }
  if (!entry.exec_processes.some((e) => sameList(e.command, p.argv))) {
    return `exec ${JSON.stringify(p.argv)} is no exec_process of the entry`;
  }
  const env = envProblem(entry.env_rules, p.env);
  if (env !== null) return `exec ${p.pid}: ${env}`;
  if (p.cwd !== entry.working_dir) return `exec ${p.pid}: working directory ${p.cwd}`;
  const user = userProblem(entry.user, { user: p.user, groups: p.groups, umask: null });
  if (user !== null) return `exec ${p.pid}: ${user}`;
  if (entry.no_new_privileges && !p.noNewPrivileges) return `exec ${p.pid}: no_new_privileges`;
  const caps = capabilityProblem(p.capabilities, allowedCapabilities(entry, c.privileged));
  return caps === null ? null : `exec ${p.pid}: ${caps}`;
}

function externalProblem(candidates: Candidates, p: ProcessRecord): string | null {
  const fits = candidates.external.filter((e) => sameList(e.command, p.argv)
    && e.working_dir === p.cwd);
  if (fits.length === 0) return `argv ${JSON.stringify(p.argv)} in ${p.cwd} is no external process`;
  const ok = fits.find((e) => envProblem(e.env_rules, p.env) === null
    && (!p.stdio || e.allow_stdio_access));
  return ok === undefined ? envProblem(fits[0]!.env_rules, p.env) ?? 'stdio is wired to the host'
    : null;
}

/**
 * Judgements of I2 by record identity: records are frozen and copied when they change, so a
 * judgement holds for as long as the same objects (and the same policy, fragments and plan9
 * shares) are there. It saves re-judging every container at every step; it changes no verdict.
 */
type Judged = Readonly<{ inputs: readonly unknown[]; problem: string | null }>;
const judgedContainers = new WeakMap<ContainerRecord, Judged>();
const judgedExternal = new WeakMap<ProcessRecord, Judged>();

function judged<K extends object>(cache: WeakMap<K, Judged>, key: K, inputs: readonly unknown[],
  judge: () => string | null): string | null {
  const known = cache.get(key);
  if (known !== undefined && known.inputs.length === inputs.length
    && known.inputs.every((x, i) => x === inputs[i])) return known.problem;
  const problem = judge();
  cache.set(key, { inputs, problem });
  return problem;
}

function containerProblem(candidates: Candidates, guest: GuestState, id: string,
  record: ContainerRecord, processes: readonly ProcessRecord[]): string | null {
  const place = placeOf(guest, id, record);
  let problem = 'no entry has its layers';
  const fits = entriesWithLayers(candidates, record.context.layers!).some((entry) => {
    const found = configProblem(entry, record, place)
      ?? processes.map((p) => processProblem(entry, record, p)).find((x) => x !== null) ?? null;
    if (found !== null) problem = found;
    return found === null;
  });
  return fits ? null : problem;
}

function checkI2(view: WorldView): Verdict {
  const guest = view.guest;
  const policy = view.policy;
  if (guest === null || policy === null) return HOLDS;
  const candidates = candidatesOf(view, policy);
  const context = [policy, guest.fragments, guest.plan9];
  const byContainer = new Map<string, ProcessRecord[]>();
  for (const p of Object.values(guest.processes)) {
    if (p.containerId === null) {
      const problem = judged(judgedExternal, p, context, () => externalProblem(candidates, p));
      if (problem !== null) return violated(`process ${p.pid}`, problem);
      continue;
    }
    const list = byContainer.get(p.containerId) ?? [];
    list.push(p);
    byContainer.set(p.containerId, list);
  }
  for (const [id, record] of Object.entries(guest.containers)) {
    if (!created(record) || record.context.layers === null) continue;
    const processes = byContainer.get(id) ?? [];
    const problem = judged(judgedContainers, record, [...context, id, ...processes],
      () => containerProblem(candidates, guest, id, record, processes));
    if (problem !== null) return violated(`container ${short(id)}`, 'no policy entry with its '
      + `layers allows what it runs: ${problem}`);
  }
  return HOLDS;
}

// ---------------------------------------------------------------------------------------------
// I3: state discipline

const RO_TARGET = /^\/run\/mounts\/scsi\/m[0-9]+$/;
const RW_TARGET = /^\/run\/gcs\/c\/[0-9a-f]{64}$/;

function emptyBeforePolicy(guest: GuestState): Verdict {
  const parts: [string, number][] = [['devices', Object.keys(guest.devices).length],
    ['overlays', Object.keys(guest.overlays).length],
    ['containers', Object.keys(guest.containers).length],
    ['processes', Object.keys(guest.processes).length],
    ['plan9 shares', Object.keys(guest.plan9).length],
    ['fragments', Object.keys(guest.fragments).length]];
  const held = parts.find(([, n]) => n > 0);
  return held === undefined ? HOLDS : violated('guest', `${held[1]} ${held[0]} exist before any `
    + 'policy is installed (the closed-door enforcer allows nothing)');
}

function targetsDiscipline(guest: GuestState, policy: PolicyData): Verdict {
  const used = new Map<string, string>();
  const claim = (target: string, what: string): Verdict => {
    const other = used.get(target);
    if (other !== undefined) {
      return violated(`mount target ${target}`, `used by ${other} and ${what}`);
    }
    used.set(target, what);
    return HOLDS;
  };
  for (const [key, device] of Object.entries(guest.devices)) {
    assert(device.target === key, 'devices are keyed by target');
    const shape = device.kind === 'ro_verity' ? RO_TARGET : RW_TARGET;
    if (!shape.test(device.target)) {
      return violated(`device ${device.target}`, 'mounted outside the paths the GCS mounts at');
    }
    if (device.kind === 'rw_scratch' && !device.encrypted
      && !policy.flags.allow_unencrypted_scratch) {
      return violated(`device ${device.target}`, 'scratch is not encrypted and the policy does '
        + 'not allow unencrypted scratch');
    }
    const v = claim(device.target, `device ${device.kind}`);
    if (v.kind !== 'holds') return v;
  }
  for (const overlay of Object.values(guest.overlays)) {
    const v = claim(overlay.target, `overlay of ${short(overlay.containerId)}`);
    if (v.kind !== 'holds') return v;
    if (overlay.target !== `/run/gcs/c/${overlay.containerId}/rootfs`) {
      return violated(`overlay ${overlay.target}`, 'not at its container\'s rootfs path');
    }
    if (overlay.scratch !== null && !overlay.scratch.encrypted
      && !policy.flags.allow_unencrypted_scratch) {
      return violated(`overlay ${overlay.target}`, 'its scratch is not encrypted');
    }
  }
  for (const share of Object.values(guest.plan9)) {
    const v = claim(share.target, 'a plan9 share');
    if (v.kind !== 'holds') return v;
  }
  return HOLDS;
}

function fragmentsDiscipline(view: WorldView, policy: PolicyData): Verdict {
  const refs = fragmentRefs(view, policy);
  for (const [digest, f] of Object.entries(view.guest?.fragments ?? {})) {
    const module = view.fragments[digest];
    const svns = [f.svn, module?.svn ?? null].filter((s): s is string => s !== null);
    const named = refs.filter((r) => r.issuer === f.issuer && r.feed === f.feed);
    if (named.length === 0) {
      return violated(`fragment ${f.namespace}`, `issuer ${f.issuer} and feed ${f.feed} are not `
        + 'named by the policy');
    }
    if (svns.length === 0 || !named.some((r) => svns.every((s) => svnAtLeast(s, r.minimum_svn)))) {
      return violated(`fragment ${f.namespace}`, `svn ${svns.join('/') || '(none)'} is below `
        + `the minimum ${named.map((r) => r.minimum_svn).join('/')}`);
    }
  }
  return HOLDS;
}

function processDiscipline(guest: GuestState): Verdict {
  for (const [key, p] of Object.entries(guest.processes)) {
    if (key !== String(p.pid) || p.pid >= guest.nextPid) {
      return violated(`process ${key}`, 'pid bookkeeping: keyed by its pid, below nextPid');
    }
    if (p.containerId === null) continue;
    const record = guest.containers[p.containerId];
    if (record === undefined) return violated(`process ${p.pid}`, 'belongs to no container');
    if (p.status === 'running' && record.value !== 'running') {
      return violated(`process ${p.pid}`, `runs in container ${short(p.containerId)}, which is `
        + record.value);
    }
  }
  return HOLDS;
}

/** A container's lifecycle only moves forward. */
const PHASE_RANK: Readonly<Record<ContainerRecord['value'], number>> = {
  overlay_mounted: 0, created: 1, running: 2, exited: 3, deleted: 4,
};

/**
 * Container IDs are single-use: a created record keeps its config for ever (compared by
 * identity first — records are shared between steps — then by content, so views restored
 * from snapshots compare too).
 */
function idsDiscipline(view: WorldView): Verdict {
  const before = view.before?.guest;
  const guest = view.guest;
  if (before === null || before === undefined || guest === null) return HOLDS;
  for (const [id, old] of Object.entries(before.containers)) {
    const now = guest.containers[id];
    if (now === undefined) return violated(`container ${short(id)}`, 'its record disappeared');
    if (created(old) && now.context.config !== old.context.config
      && JSON.stringify(now.context.config) !== JSON.stringify(old.context.config)) {
      return violated(`container ${short(id)}`, 'created a second time (its ID was reused)');
    }
    if (PHASE_RANK[now.value] < PHASE_RANK[old.value]) {
      return violated(`container ${short(id)}`, `went back from ${old.value} to ${now.value}`);
    }
  }
  return HOLDS;
}

function checkI3(view: WorldView): Verdict {
  const guest = view.guest;
  if (guest === null) return HOLDS;
  if (guest.policy === null) return emptyBeforePolicy(guest);
  const policy = view.policy;
  if (policy === null) return violated('policy', 'the installed policy cannot be read');
  for (const verdict of [targetsDiscipline(guest, policy), fragmentsDiscipline(view, policy),
    processDiscipline(guest), idsDiscipline(view)]) {
    if (verdict.kind !== 'holds') return verdict;
  }
  return HOLDS;
}

// ---------------------------------------------------------------------------------------------

export const I1_CONTAINER_INTEGRITY: Invariant = {
  id: 'I1',
  statement: 'every verified layer device, overlay and created container\'s rootfs is, in '
    + 'order, the layers of a policy container',
  check: checkI1,
};

export const I2_EXECUTION_INTEGRITY: Invariant = {
  id: 'I2',
  statement: 'every container and process matches one policy entry (argv, env after dropping, '
    + 'cwd, user and groups, capabilities, no_new_privileges, seccomp, mounts, stdio), external '
    + 'processes an external_processes entry',
  check: checkI2,
};

export const I3_STATE_DISCIPLINE: Invariant = {
  id: 'I3',
  statement: 'mount targets are unique and where the GCS mounts; container IDs are single-use; '
    + 'scratch is encrypted unless allowed; fragments are loaded only under a named issuer, feed '
    + 'and minimum SVN; nothing exists before the policy',
  check: checkI3,
};

export const STATE_INVARIANTS: readonly Invariant[] = Object.freeze([
  I1_CONTAINER_INTEGRITY, I2_EXECUTION_INTEGRITY, I3_STATE_DISCIPLINE, I4_METADATA,
  I5_ATTESTATION_BINDING, I6_CONFIDENTIALITY, I7_KEY_RELEASE,
]);
