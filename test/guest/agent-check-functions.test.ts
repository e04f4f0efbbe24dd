/**
 * Goal: the Go-side confidential checks of confidential-checks.ts, called directly, accept exactly
 * the shapes hcsv2 accepts and refuse the rest with the check's name and a reason that shows the
 * offending value and the expected one; the table of checks names, for each, the hcsshim commit
 * of spec (e) that introduced it, the stage where it acts, and the rule it enforces.
 * Method: hand-written requests on both sides of each rule; the expected reasons and paths are
 * written out by hand from the rule (/run/gcs/c/<id>/..., spec d and e), and the commit of each
 * check is read off spec (e)'s list of known security bugs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CHECK_NAMES, CONFIDENTIAL_CHECKS, type CheckName, containerIdFailure, containerSettingsFailures,
  extraDevicesFailure, firstEnabled, hostnameFailure, mountOptionsFailure, overlayPathFailure,
  roFilesystemFailure, shareNameFailure,
} from '../../models/guest/confidential-checks.js';

const ID = 'ab'.repeat(32);
const SANDBOX = 'cd'.repeat(32);

test('guest/check-table: each check names the commit of spec (e) that introduced it', () => {
  const fixes: Record<CheckName, string> = {
    sequential_requests: '2e97c9bb3', container_id_format: 'df52d6665', bundle_path: 'df52d6665',
    rootfs_path: 'df52d6665', scratch_dir_path: 'df52d6665', overlay_paths: 'df52d6665',
    oci_hooks_nil: 'e118801ff', hostname_charset: '9c0a084a2', no_extra_devices: 'f13aaca71',
    scsi_mount_options: 'df52d6665', ro_filesystem_ext4: 'df52d6665',
    verity_from_device: 'df52d6665', policy_once: 'original', policy_host_data: 'original',
    share_name: 'df52d6665', exists_after_policy: '3f1758f95', unmount_in_use: '3f1758f95',
    metadata_rollback: '3f1758f95', unmount_poisons: '3f1758f95',
    delete_requires_stopped: '3f1758f95',
  };
  assert.equal([...CHECK_NAMES].sort(), Object.keys(fixes).sort());
  for (const name of CHECK_NAMES) assert.is(CONFIDENTIAL_CHECKS[name].fix, fixes[name], name);
});

test('guest/check-table: each check acts where the GCS acts: before or after the policy, on a '
  + 'failure, or in how requests are handled', () => {
  const after = ['share_name', 'exists_after_policy', 'unmount_in_use'];
  const onFailure = ['metadata_rollback', 'unmount_poisons'];
  for (const name of CHECK_NAMES) {
    const stage = name === 'sequential_requests' ? 'handling'
      : after.includes(name) ? 'after-policy'
        : onFailure.includes(name) ? 'on-failure' : 'before-policy';
    assert.is(CONFIDENTIAL_CHECKS[name].stage, stage, name);
  }
});

test('guest/check-table: each summary states the rule, in words from both halves of it', () => {
  const words: Record<CheckName, readonly string[]> = {
    sequential_requests: ['one at a time', 'interleaved with mounts'],
    container_id_format: ['64 hex', 'UVM ID'],
    bundle_path: ['OciBundlePath', '/run/gcs/c/<id>'],
    rootfs_path: ['Root.Path', 'overlay'],
    scratch_dir_path: ['ScratchDirPath', '/scratch/<id>'],
    overlay_paths: ['ContainerRootPath', 'ScratchPath is /run/gcs/c/<64 hex>'],
    oci_hooks_nil: ['Hooks must be absent', 'runc'],
    hostname_charset: ['hostname is [a-zA-Z0-9_.-]', '/etc/hosts'],
    no_extra_devices: ['no Linux device nodes'],
    scsi_mount_options: ['["ro"] for read-only', '[] for read-write'],
    ro_filesystem_ext4: ['are ext4'],
    verity_from_device: ['read from the device', 'VerityInfo'],
    policy_once: ['accepted once'],
    policy_host_data: ['SHA-256 of the policy', 'HOST_DATA', 'own report'],
    share_name: ['ShareName is [a-zA-Z0-9_.-]+', 'not . or ..'],
    exists_after_policy: ['exists only after', 'path-existence oracle'],
    unmount_in_use: ['used by an overlay', 'running container'],
    metadata_rollback: ['fails after the policy', 'rolls the policy metadata back'],
    unmount_poisons: ['fails half-way', 'creates and deletes are refused'],
    delete_requires_stopped: ['refused for a running container', 'still mounted'],
  };
  for (const name of CHECK_NAMES) {
    for (const w of words[name]) {
      assert.ok(CONFIDENTIAL_CHECKS[name].summary.includes(w), `${name}: ${w}`);
    }
  }
});

test('guest/check-fn: a container ID is the UVM ID or exactly 64 hex characters, anchored', () => {
  assert.is(containerIdFailure(ID, 'container'), null);
  assert.is(containerIdFailure(ID.toUpperCase(), 'container'), null);
  const long = containerIdFailure(`x${ID}`, 'sandbox');
  assert.is(long?.check, 'container_id_format');
  assert.is(long?.reason, `invalid sandbox id: "x${ID}" (must match ^[0-9a-fA-F]{64}$)`);
  assert.ok(containerIdFailure(`${ID}0`, 'container') !== null, 'one character too many');
  const huge = containerIdFailure('z'.repeat(200), 'container');
  assert.is(huge?.reason, `invalid container id: "${'z'.repeat(80)}" (must match `
    + '^[0-9a-fA-F]{64}$)', 'the reason shows the first 80 characters');
});

test('guest/check-fn: container settings are checked in hcsv2 order, each failure saying what '
  + 'was expected', () => {
  const bundle = `/run/gcs/c/${ID}`;
  const good = { ociBundlePath: bundle, rootPath: `${bundle}/rootfs`,
    scratchDirPath: `${bundle}/scratch/${ID}`, hooksPresent: false };
  assert.equal(containerSettingsFailures(SANDBOX, ID, good), []);
  assert.equal(containerSettingsFailures(SANDBOX, ID,
    { ...good, scratchDirPath: `/run/gcs/c/${SANDBOX}/scratch/${ID}` }), [], 'the sandbox scratch');
  const all = containerSettingsFailures(SANDBOX, ID, { ociBundlePath: '/tmp/b', rootPath: null,
    scratchDirPath: '/tmp/s', hooksPresent: true });
  assert.equal(all.map((f) => f.check),
    ['bundle_path', 'rootfs_path', 'scratch_dir_path', 'oci_hooks_nil']);
  assert.is(all[0]!.reason, `OciBundlePath "/tmp/b" must equal expected "${bundle}"`);
  assert.is(all[1]!.reason,
    `OCISpecification.Root.Path null must equal expected "${bundle}/rootfs"`);
  assert.is(all[2]!.reason, `ScratchDirPath "/tmp/s" must be either "${bundle}/scratch/${ID}" or `
    + `"/run/gcs/c/${SANDBOX}/scratch/${ID}"`);
  assert.is(all[3]!.reason, 'OCISpecification.Hooks must be nil.');
});

test('guest/check-fn: a hostname outside [a-zA-Z0-9_.-] is refused, quoted to 80 characters',
  () => {
  assert.is(hostnameFailure('web-1.example_A'), null);
  assert.is(hostnameFailure(''), null, 'no hostname: nothing is written');
  const bad = hostnameFailure(`h\n10.0.0.1 evil${'x'.repeat(100)}`);
  assert.is(bad?.check, 'hostname_charset');
  assert.is(bad?.reason, `hostname ${JSON.stringify(`h\n10.0.0.1 evil${'x'.repeat(100)}`
    .slice(0, 80))} has characters outside [a-zA-Z0-9_.-]`);
});

test('guest/check-fn: any device node is refused, the first four listed', () => {
  assert.is(extraDevicesFailure([]), null);
  const bad = extraDevicesFailure(['/dev/a', '/dev/b', '/dev/c', '/dev/d', '/dev/e']);
  assert.is(bad?.check, 'no_extra_devices');
  assert.is(bad?.reason, 'the OCI spec carries Linux devices (/dev/a, /dev/b, /dev/c, /dev/d): '
    + 'extra device nodes are not allowed');
});

test('guest/check-fn: combined layers go to /run/gcs/c/<id>/rootfs with a scratch under a 64-hex '
  + 'sandbox', () => {
  const rootfs = `/run/gcs/c/${ID}/rootfs`;
  assert.is(overlayPathFailure(ID, rootfs, ''), null, 'no scratch: read-only overlay');
  assert.is(overlayPathFailure(ID, rootfs, `/run/gcs/c/${SANDBOX}/scratch/${ID}`), null);
  const target = overlayPathFailure(ID, '/run/gcs/c/x/rootfs', '');
  assert.is(target?.reason, 'combined layers target "/run/gcs/c/x/rootfs" does not match '
    + `expected path "${rootfs}"`);
  for (const scratch of [`/run/gcs/c/short/scratch/${ID}`, `/tmp/c/${SANDBOX}/scratch/${ID}`,
    `/run/gcs/c/${SANDBOX}/scratch/${SANDBOX}`, `/run/gcs/c/${SANDBOX}/scratch/${ID}/..`]) {
    const bad = overlayPathFailure(ID, rootfs, scratch);
    assert.is(bad?.check, 'overlay_paths', scratch);
    assert.is(bad?.reason, `scratch path ${JSON.stringify(scratch)} must match `
      + `^/run/gcs/c/[0-9a-fA-F]{64}/scratch/${ID}$`);
  }
});

test('guest/check-fn: SCSI mount options are exactly ["ro"] when read-only and none otherwise',
  () => {
  assert.is(mountOptionsFailure(true, ['ro']), null);
  assert.is(mountOptionsFailure(false, []), null);
  for (const [readOnly, options] of [[true, []], [true, ['rw']], [true, ['ro', 'exec']],
    [false, ['ro']]] as const) {
    const bad = mountOptionsFailure(readOnly, options);
    assert.is(bad?.check, 'scsi_mount_options', JSON.stringify(options));
    assert.is(bad?.reason, `mount options ${JSON.stringify(options)} denied: expected `
      + `${readOnly ? '["ro"]' : '[]'} (ReadOnly=${readOnly})`);
  }
});

test('guest/check-fn: a read-only layer is ext4 or of unnamed type; a plan9 share name is a '
  + 'plain name', () => {
  assert.is(roFilesystemFailure(''), null);
  assert.is(roFilesystemFailure('ext4'), null);
  assert.is(roFilesystemFailure('xfs')?.reason,
    'filesystem must be ext4 for read-only scsi mounts');
  assert.is(shareNameFailure('share_1.a-b'), null);
  assert.is(shareNameFailure(`${'s'.repeat(100)}/`)?.reason,
    `invalid plan9 share name "${'s'.repeat(80)}"`, 'the name is quoted to 80 characters');
  for (const name of ['.', '..', '', 'a/b', '../x']) {
    const bad = shareNameFailure(name);
    assert.is(bad?.check, 'share_name', name);
    assert.is(bad?.reason, `invalid plan9 share name ${JSON.stringify(name)}`);
  }
});

test('guest/check-fn: the first failure whose check is on is the one reported', () => {
  const a = overlayPathFailure(ID, '/x', '');
  const b = shareNameFailure('..');
  assert.is(firstEnabled({}, [null, a, b]), a);
  assert.is(firstEnabled({ overlay_paths: false }, [null, a, b]), b);
  assert.is(firstEnabled({ overlay_paths: true }, [a]), a, 'true is on');
  assert.is(firstEnabled({ overlay_paths: false, share_name: false }, [a, b]), null);
});

test.run();
