/**
 * Goal: the explanations parma-sim adds to denials name exactly what went wrong (which layer paths
 * have no device, which target form plan9 wanted, which mountPathRegex a target missed, which
 * narrowing stage was undecidable or empty, a null command, the fields an input lacks), and the
 * inputs' own prefixes and regexes are the ones used (and a signal without argList is judged as
 * the empty argv). Also a v0.14.1 device mounted at a hostile target name leaves overlays alone. Written after mutation testing showed these strings and
 * branches of rules/overlay.ts, plan9.ts, devices.ts, narrowing.ts and container.ts untested.
 * Method: hand-built policies and GCS-shaped inputs (test/policy/engine-support.ts); every expected
 * note is written out in full here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { emptyMetadata, initialMetadata } from '../../models/policy/metadata.js';
import {
  ID, caps, container, createInput, env, hash, last, mountCalls, run, securityPolicy,
} from './engine-support.js';

const SUITE = 'policy/engine-rule-notes';
const c = container();
const policy = securityPolicy({ containers: [c] });
const overlaid = last(run(policy, mountCalls(c.layers, ID(1)))).metadata;

test(`${SUITE}: an overlay with one mounted and one unmounted layer path names only the `
  + 'unmounted one', () => {
  const d = evaluateEnforcementPoint(policy, overlaid, 'mount_overlay', { containerID: ID(2),
    layerPaths: ['/run/mounts/scsi/m7', '/run/mounts/scsi/m0'],
    target: `/run/gcs/c/${ID(2)}/rootfs` });
  assert.not.ok(d.allowed);
  assert.equal(d.reasons, ['no matching containers for overlay',
    'layer paths with no read-only device mounted: /run/mounts/scsi/m7']);
});

test(`${SUITE}: an overlay over mounted layers in the wrong order has only the framework's reason`,
  () => {
    const d = evaluateEnforcementPoint(policy, overlaid, 'mount_overlay', { containerID: ID(2),
      layerPaths: ['/run/mounts/scsi/m0', '/run/mounts/scsi/m1'],
      target: `/run/gcs/c/${ID(2)}/rootfs` });
    assert.equal([d.allowed, d.reasons], [false, ['no matching containers for overlay']]);
  });

test(`${SUITE}: v0.14.1: a device mounted at the target "undefined" does not disturb an overlay of `
  + 'other paths', () => {
  const options = { dialect: 'v0.14.1' } as const;
  const old = securityPolicy({ containers: [c], framework_version: '0.3.0' });
  const ds = run(old, [['mount_device', { target: 'undefined', deviceHash: hash(1) }],
    ['mount_device', { target: '/run/mounts/m0', deviceHash: hash(1) }],
    ['mount_device', { target: '/run/mounts/m1', deviceHash: hash(2) }],
    ['mount_overlay', { containerID: ID(3), layerPaths: ['/run/mounts/m1', '/run/mounts/m0'],
      target: `/run/gcs/c/${ID(3)}/rootfs` }]], initialMetadata('v0.14.1'), options);
  assert.equal(ds.map((d) => d.allowed), [true, true, true, true]);
});

test(`${SUITE}: plan9_mount uses the rootPrefix and mountPathPrefix the GCS sends`, () => {
  const custom = { target: `/custom/${ID(1)}/share/7`, rootPrefix: '/custom',
    mountPathPrefix: '/share/[0-9]+' };
  const d = evaluateEnforcementPoint(policy, overlaid, 'plan9_mount', custom);
  assert.ok(d.allowed, d.reasons.join(' | '));
  assert.is(d.metadata.p9mounts[custom.target], ID(1));
  const plain = evaluateEnforcementPoint(policy, overlaid, 'plan9_mount',
    { target: custom.target });
  assert.not.ok(plain.allowed, 'the GCS defaults want /run/gcs/c/<id>/mounts/m<N>');
});

test(`${SUITE}: a plan9 target of no container with an overlay says which form it wanted`, () => {
  const d = evaluateEnforcementPoint(policy, overlaid, 'plan9_mount',
    { target: '/run/gcs/c/nobody/mounts/m0' });
  assert.not.ok(d.allowed);
  assert.equal(d.reasons, ['plan9 target "/run/gcs/c/nobody/mounts/m0" is not '
    + '/run/gcs/c/<containerID>/mounts/m[0-9]+ for any container with an overlay']);
});

test(`${SUITE}: a mount_device target off mountPathRegex names the anchored regex and why HEAD `
  + 'denies it', () => {
  const d = evaluateEnforcementPoint(policy, emptyMetadata(), 'mount_device',
    { target: '/elsewhere', deviceHash: hash(1), mountPathRegex: '/run/mounts/scsi/m[0-9]+' });
  assert.not.ok(d.allowed);
  assert.equal(d.reasons, ['mountpoint invalid', 'target "/elsewhere" does not match '
    + 'mountPathRegex ^/run/mounts/scsi/m[0-9]+$ (HEAD checks mount targets; v0.14.1 did not, so '
    + 'older traces that mount elsewhere are denied)']);
});

test(`${SUITE}: rw_mount_device uses the mountPathRegex the GCS sends`, () => {
  const rw = { target: '/scratch/1', encrypted: true, ensureFilesystem: true, filesystem: 'ext4' };
  const custom = evaluateEnforcementPoint(policy, emptyMetadata(), 'rw_mount_device',
    { ...rw, mountPathRegex: '/scratch/[0-9]+' });
  assert.ok(custom.allowed, custom.reasons.join(' | '));
  const plain = evaluateEnforcementPoint(policy, emptyMetadata(), 'rw_mount_device', rw);
  assert.equal(plain.framework_reasons, ['mountpoint invalid']);
});

/** Two candidates over the same layers, an overlay for ID(5), and the policy flags given. */
function twoCandidates(a: typeof c, b: typeof c, flags: Record<string, boolean>) {
  const p = securityPolicy({ containers: [a, b], flags });
  return { p, md: last(run(p, mountCalls(a.layers, ID(5)))).metadata };
}

test(`${SUITE}: env dropping with two candidates that keep different variables is undecidable, `
  + 'and the note says so', () => {
  const { p, md } = twoCandidates(container({ env_rules: [env('A=1')] }),
    container({ env_rules: [env('B=1')] }), { allow_environment_variable_dropping: true });
  const d = evaluateEnforcementPoint(p, md, 'create_container',
    createInput(c, ID(5), { envList: ['A=1', 'B=1'] }));
  assert.not.ok(d.allowed);
  assert.ok(d.reasons.includes('environment variables undecidable: the largest env subsets the '
    + 'remaining candidates accept differ'), d.reasons.join(' | '));
});

test(`${SUITE}: capability dropping with two candidates that keep different capabilities is `
  + 'undecidable, and the note says so', () => {
  const { p, md } = twoCandidates(container({ capabilities: caps(['CAP_CHOWN']) }),
    container({ capabilities: caps(['CAP_KILL']) }), { allow_capability_dropping: true });
  const d = evaluateEnforcementPoint(p, md, 'create_container',
    createInput(c, ID(5), { capabilities: caps(['CAP_CHOWN', 'CAP_KILL']) }));
  assert.not.ok(d.allowed);
  assert.ok(d.framework_reasons!.includes('containers only distinguishable by capabilties'));
  assert.ok(d.reasons.includes('capabilities undecidable: the largest capability sets the '
    + 'remaining candidates accept differ'), d.reasons.join(' | '));
});

test(`${SUITE}: a null capabilities object under capability dropping leaves nothing to judge, `
  + 'and the note says so', () => {
  const p = securityPolicy({ containers: [c], flags: { allow_capability_dropping: true } });
  const d = evaluateEnforcementPoint(p, overlaid, 'create_container',
    createInput(c, ID(1), { capabilities: null }));
  assert.not.ok(d.allowed);
  assert.ok(d.reasons.includes('no capability list to judge: the request carries no capabilities '
    + 'object (null or absent), or no remaining candidate has capability sets'),
  d.reasons.join(' | '));
});

const NULL_NOTE = 'a candidate\'s command is null: the framework matches no argv against it '
  + '(count(null) is undefined); see the empty-argv null-command option';

test(`${SUITE}: one null-command candidate among two is explained, under the framework reading `
  + 'only', () => {
  const { p, md } = twoCandidates(container({ command: null }), c, {});
  const input = createInput(c, ID(5), { argList: ['/other'] });
  const strict = evaluateEnforcementPoint(p, md, 'create_container', input);
  assert.not.ok(strict.allowed);
  assert.ok(strict.reasons.includes(NULL_NOTE), strict.reasons.join(' | '));
  const lenient = evaluateEnforcementPoint(p, md, 'create_container', input,
    { nullCommand: 'empty-argv' });
  assert.not.ok(lenient.allowed);
  assert.not.ok(lenient.reasons.includes(NULL_NOTE), lenient.reasons.join(' | '));
});

test(`${SUITE}: a create input that lacks a field says the GCS always sends it`, () => {
  const { umask: _, ...rest } = createInput(c, ID(1));
  const d = evaluateEnforcementPoint(policy, overlaid, 'create_container', rest);
  assert.not.ok(d.allowed);
  assert.ok(d.reasons.includes('input lacks umask: the GCS always sends them; an absent field '
    + 'fails the checks that read it'), d.reasons.join(' | '));
});

test(`${SUITE}: a signal to a non-init process without argList is judged as the empty argv`, () => {
  const k = container({ exec_processes: [{ command: [], signals: [9] },
    { command: ['sh'], signals: [15] }] });
  const p = securityPolicy({ containers: [k] });
  const md = last(run(p, [...mountCalls(k.layers, ID(6)),
    ['create_container', createInput(k, ID(6))]])).metadata;
  const signal = (n: number) => evaluateEnforcementPoint(p, md, 'signal_container_process',
    { containerID: ID(6), signal: n, isInitProcess: false });
  assert.ok(signal(9).allowed, signal(9).reasons.join(' | '));
  assert.not.ok(signal(15).allowed, 'SIGTERM is for the sh process only');
});

test.run();
