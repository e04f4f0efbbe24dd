/**
 * Models: the Go-side checks the Linux GCS makes in confidential mode before (or around) asking
 * the policy (spec d, e): hcsv2 checkValidContainerID, checkContainerSettings, the
 * CombinedLayers path checks, SCSI mount options, the SecurityPolicy binding to HOST_DATA, the
 * hostMounts use counts, the metadata rollback and the poisoned ("inconsistent") UVM.
 * Real counterpart: internal/guest/runtime/hcsv2/uvm.go and the hardening commits named in each
 * row of CONFIDENTIAL_CHECKS.
 * Differs: each check can be turned off (AgentOptions.checks) to model the agent before its fix,
 * for "defence relaxed" runs; the hostname charset and the share-name rule are the spec's
 * ([a-zA-Z0-9_.-]) [inferred], not read from hcsshim; `no_extra_devices` refuses on the Go side
 * before the policy is asked (HEAD's framework also denies them: "devices not supported").
 * Invariants: a check is a pure function of the request (and the state it names) returning the
 * first failure or null; checks never read the policy; every check has a row here and a test
 * showing it firing on the request its fix was about.
 */
import { assert } from '../../sim/kernel/assert.js';
import { UVM_CONTAINER_ID } from './guest-state.js';

export type CheckRow = Readonly<{
  /** What the check refuses, in one line. */
  summary: string;
  /** The hcsshim commit that introduced it (spec e). */
  fix: string;
  /** Where it acts: before the policy, after it, or on failure. */
  stage: 'before-policy' | 'after-policy' | 'on-failure' | 'handling';
}>;

/** One row per Go-side check; the keys are the names used in refusals and options. */
export const CONFIDENTIAL_CHECKS = Object.freeze({
  sequential_requests: { summary: 'requests are handled one at a time (Create cannot be '
    + 'interleaved with mounts)', fix: '2e97c9bb3', stage: 'handling' },
  container_id_format: { summary: 'container and sandbox IDs are 64 hex characters or the UVM '
    + 'ID', fix: 'df52d6665', stage: 'before-policy' },
  bundle_path: { summary: 'OciBundlePath is /run/gcs/c/<id>', fix: 'df52d6665',
    stage: 'before-policy' },
  rootfs_path: { summary: 'OCI Root.Path is /run/gcs/c/<id>/rootfs (binds the container to its '
    + 'overlay)', fix: 'df52d6665', stage: 'before-policy' },
  scratch_dir_path: { summary: 'ScratchDirPath is /run/gcs/c/<id or sandbox>/scratch/<id>',
    fix: 'df52d6665', stage: 'before-policy' },
  overlay_paths: { summary: 'CombinedLayers ContainerRootPath is /run/gcs/c/<id>/rootfs and '
    + 'ScratchPath is /run/gcs/c/<64 hex>/scratch/<id>', fix: 'df52d6665',
    stage: 'before-policy' },
  oci_hooks_nil: { summary: 'OCI Hooks must be absent (runc would run them in the guest)',
    fix: 'e118801ff', stage: 'before-policy' },
  hostname_charset: { summary: 'the OCI hostname is [a-zA-Z0-9_.-] (it is written into '
    + '/etc/hosts)', fix: '9c0a084a2', stage: 'before-policy' },
  no_extra_devices: { summary: 'the OCI spec carries no Linux device nodes', fix: 'f13aaca71',
    stage: 'before-policy' },
  scsi_mount_options: { summary: 'SCSI mount Options are exactly ["ro"] for read-only and [] '
    + 'for read-write', fix: 'df52d6665', stage: 'before-policy' },
  ro_filesystem_ext4: { summary: 'read-only SCSI layers are ext4', fix: 'df52d6665',
    stage: 'before-policy' },
  verity_from_device: { summary: 'the root hash is read from the device, never from the '
    + "host's VerityInfo", fix: 'df52d6665', stage: 'before-policy' },
  policy_once: { summary: 'a SecurityPolicy is accepted once', fix: 'original',
    stage: 'before-policy' },
  policy_host_data: { summary: 'SHA-256 of the policy must equal the HOST_DATA of the guest\'s '
    + 'own report', fix: 'original', stage: 'before-policy' },
  share_name: { summary: 'a plan9 ShareName is [a-zA-Z0-9_.-]+ and not . or ..',
    fix: 'df52d6665', stage: 'after-policy' },
  exists_after_policy: { summary: 'an unmount checks the path exists only after the policy '
    + 'allowed it (no path-existence oracle)', fix: '3f1758f95', stage: 'after-policy' },
  unmount_in_use: { summary: 'a device used by an overlay, or an overlay used by a running '
    + 'container, is not unmounted', fix: '3f1758f95', stage: 'after-policy' },
  metadata_rollback: { summary: 'a mount that fails after the policy allowed it rolls the '
    + 'policy metadata back', fix: '3f1758f95', stage: 'on-failure' },
  unmount_poisons: { summary: 'an unmount that fails half-way marks the UVM inconsistent: '
    + 'later mounts, unmounts, creates and deletes are refused', fix: '3f1758f95',
    stage: 'on-failure' },
  delete_requires_stopped: { summary: 'DeleteContainerState is refused for a running container '
    + 'or one whose overlay is still mounted', fix: '3f1758f95', stage: 'before-policy' },
} satisfies Record<string, CheckRow>);

export type CheckName = keyof typeof CONFIDENTIAL_CHECKS;
export const CHECK_NAMES: readonly CheckName[] =
  Object.freeze(Object.keys(CONFIDENTIAL_CHECKS) as CheckName[]);

/** Which checks are on: absent means on (the HEAD agent). */
export type CheckSwitches = Readonly<Partial<Record<CheckName, boolean>>>;

export function checkEnabled(switches: CheckSwitches, name: CheckName): boolean {
  assert(Object.hasOwn(CONFIDENTIAL_CHECKS, name), `a known check: ${name}`);
  return switches[name] !== false;
}

/** A check that refused: its name and the reason the GCS gives. */
export type CheckFailure = Readonly<{ check: CheckName; reason: string }>;

/** /run/gcs/c: guestpath.LCOWRootPrefixInUVM. */
export const LCOW_ROOT_PREFIX = '/run/gcs/c';
const CONTAINER_ID = /^[0-9a-fA-F]{64}$/;
const HOSTNAME = /^[a-zA-Z0-9_.-]*$/;
const SHARE_NAME = /^[a-zA-Z0-9_.-]+$/;

function failure(check: CheckName, reason: string): CheckFailure {
  assert(reason.length > 0, 'a failure says why');
  return Object.freeze({ check, reason });
}

/** hcsv2 checkValidContainerID: the UVM ID or 64 hex characters. */
export function containerIdFailure(id: string, idType: string): CheckFailure | null {
  if (id === UVM_CONTAINER_ID || CONTAINER_ID.test(id)) return null;
  return failure('container_id_format', `invalid ${idType} id: ${JSON.stringify(id.slice(0, 80))} `
    + '(must match ^[0-9a-fA-F]{64}$)');
}

export type ContainerSettingsView = Readonly<{
  ociBundlePath: string;
  rootPath: string | null;
  scratchDirPath: string;
  hooksPresent: boolean;
}>;

/** hcsv2 checkContainerSettings, in its order: bundle, rootfs, scratch dir, hooks. */
export function containerSettingsFailures(sandboxId: string, id: string,
  settings: ContainerSettingsView): readonly CheckFailure[] {
  const out: CheckFailure[] = [];
  const bundle = `${LCOW_ROOT_PREFIX}/${id}`;
  if (settings.ociBundlePath !== bundle) {
    out.push(failure('bundle_path', `OciBundlePath ${JSON.stringify(settings.ociBundlePath)} `
      + `must equal expected ${JSON.stringify(bundle)}`));
  }
  const rootfs = `${bundle}/rootfs`;
  if (settings.rootPath !== rootfs) {
    out.push(failure('rootfs_path', `OCISpecification.Root.Path ${
      JSON.stringify(settings.rootPath)} must equal expected ${JSON.stringify(rootfs)}`));
  }
  const own = `${bundle}/scratch/${id}`;
  const shared = `${LCOW_ROOT_PREFIX}/${sandboxId}/scratch/${id}`;
  if (settings.scratchDirPath !== own && settings.scratchDirPath !== shared) {
    out.push(failure('scratch_dir_path', `ScratchDirPath ${
      JSON.stringify(settings.scratchDirPath)} must be either ${JSON.stringify(own)} or ${
      JSON.stringify(shared)}`));
  }
  if (settings.hooksPresent) {
    out.push(failure('oci_hooks_nil', 'OCISpecification.Hooks must be nil.'));
  }
  return out;
}

/** The OCI hostname written into the sandbox's /etc/hosts and /etc/hostname. */
export function hostnameFailure(hostname: string): CheckFailure | null {
  if (HOSTNAME.test(hostname)) return null;
  return failure('hostname_charset', `hostname ${JSON.stringify(hostname.slice(0, 80))} has `
    + 'characters outside [a-zA-Z0-9_.-]');
}

export function extraDevicesFailure(devicePaths: readonly string[]): CheckFailure | null {
  if (devicePaths.length === 0) return null;
  return failure('no_extra_devices', `the OCI spec carries Linux devices (${
    devicePaths.slice(0, 4).join(', ')}): extra device nodes are not allowed`);
}

/** CombinedLayers add, confidential mode: the rootfs target and the scratch path shapes. */
export function overlayPathFailure(containerId: string, containerRootPath: string,
  scratchPath: string): CheckFailure | null {
  const rootfs = `${LCOW_ROOT_PREFIX}/${containerId}/rootfs`;
  if (containerRootPath !== rootfs) {
    return failure('overlay_paths', `combined layers target ${JSON.stringify(containerRootPath)} `
      + `does not match expected path ${JSON.stringify(rootfs)}`);
  }
  if (scratchPath === '') return null;
  const prefix = `${LCOW_ROOT_PREFIX}/`;
  // Stryker disable next-line StringLiteral: any other text fails the 64-hex sandbox test below
  const rest = scratchPath.startsWith(prefix) ? scratchPath.slice(prefix.length) : '';
  const sandbox = rest.slice(0, 64);
  if (!CONTAINER_ID.test(sandbox) || rest.slice(64) !== `/scratch/${containerId}`) {
    return failure('overlay_paths', `scratch path ${JSON.stringify(scratchPath)} must match `
      + `^/run/gcs/c/[0-9a-fA-F]{64}/scratch/${containerId}$`);
  }
  return null;
}

/** With a policy, the only mount option is "ro", present iff the mount is read-only. */
export function mountOptionsFailure(readOnly: boolean,
  options: readonly string[]): CheckFailure | null {
  const expected = readOnly ? ['ro'] : [];
  if (options.length === expected.length && options.every((o, i) => o === expected[i])) {
    return null;
  }
  return failure('scsi_mount_options', `mount options ${JSON.stringify(options)} denied: expected `
    + `${JSON.stringify(expected)} (ReadOnly=${readOnly})`);
}

export function roFilesystemFailure(filesystem: string): CheckFailure | null {
  if (filesystem === '' || filesystem === 'ext4') return null;
  return failure('ro_filesystem_ext4', 'filesystem must be ext4 for read-only scsi mounts');
}

export function shareNameFailure(shareName: string): CheckFailure | null {
  if (SHARE_NAME.test(shareName) && shareName !== '.' && shareName !== '..') return null;
  return failure('share_name',
    `invalid plan9 share name ${JSON.stringify(shareName.slice(0, 80))}`);
}

/** The first enabled failure of `failures` (a disabled check lets the request through). */
export function firstEnabled(switches: CheckSwitches,
  failures: readonly (CheckFailure | null)[]): CheckFailure | null {
  for (const f of failures) if (f !== null && checkEnabled(switches, f.check)) return f;
  return null;
}
