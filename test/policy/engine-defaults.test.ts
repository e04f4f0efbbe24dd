/**
 * Goal: the enforcer's Go-side procedure around the policy query (spec (c) "Versioning", and
 * policy-decisions.SOURCES.md "Go-side decision procedure"), which the recorded vectors touch
 * only in part: an unknown rule; a policy without api_version; a point the dialect's api.rego
 * lacks; a point the policy does not bind, by its api_version (rule missing, default_results,
 * use_framework); constant bindings and their outputs. Written after mutation testing showed
 * these branches untested (reports/mutation).
 * Method: hand-built policies (test/policy/engine-support.ts) and one GCS-shaped input per point
 * (shapes as in ../shared/testdata/vectors/policy-decisions.json). Expected values come from the
 * spec's lists and hcsshim's api.rego default_results, never from the engine.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { emptyMetadata, initialMetadata } from '../../models/policy/metadata.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { RuleBinding } from '../../models/policy/policy-model.js';
import { ID, hash, securityPolicy } from './engine-support.js';

const SUITE = 'policy/engine-defaults';
const C = ID(1);

/** One input per enforcement point, shaped as the GCS sends it. */
const INPUT: Readonly<Record<string, unknown>> = {
  mount_device: { target: '/run/mounts/scsi/m3', deviceHash: hash(1) },
  rw_mount_device: { target: `/run/gcs/c/${C}`, encrypted: true, ensureFilesystem: true,
    filesystem: 'ext4' },
  mount_overlay: { containerID: C, layerPaths: ['/run/mounts/scsi/m3'],
    target: `/run/gcs/c/${C}/rootfs` },
  create_container: { containerID: C, argList: ['/app'], envList: [], workingDir: '/',
    sandboxDir: `/run/gcs/c/${C}/sandboxMounts`, hugePagesDir: `/run/gcs/c/${C}/hugepages`,
    mounts: [], privileged: false },
  unmount_device: { unmountTarget: '/run/mounts/scsi/m5' },
  rw_unmount_device: { unmountTarget: `/run/gcs/c/${C}` },
  mount_blockdev: { target: '/run/mounts/scsi/m87' },
  unmount_blockdev: { unmountTarget: '/run/mounts/scsi/m41' },
  unmount_overlay: { unmountTarget: `/run/gcs/c/${C}/rootfs` },
  exec_in_container: { containerID: C, argList: ['/bin/sh'], envList: [], workingDir: '/' },
  exec_external: { argList: ['bash'], envList: [], workingDir: '/' },
  shutdown_container: { containerID: C },
  signal_container_process: { containerID: C, signal: 15, isInitProcess: true, argList: ['/app'] },
  plan9_mount: { target: `/run/gcs/c/${C}/mounts/m0` },
  plan9_unmount: { unmountTarget: `/run/gcs/c/${C}/mounts/m0` },
  get_properties: {}, dump_stacks: {}, runtime_logging: {}, host_network: {},
  load_fragment: { issuer: 'did:x509:0:sha256:abc::eku:1.3.6.1.4.1.311.76.59.1.3',
    feed: 'contoso.azurecr.io/infra', namespace: 'infra' },
  scratch_mount: { target: `/run/gcs/c/${C}/scratch/${C}`, encrypted: true },
  scratch_unmount: { unmountTarget: `/run/gcs/c/${C}/scratch/${C}` },
};

// spec (c) Versioning: for a policy older than the point that does not bind it.
const DEFAULT_ALLOW = ['unmount_device', 'unmount_overlay', 'exec_in_container', 'exec_external',
  'shutdown_container', 'signal_container_process', 'plan9_mount', 'plan9_unmount',
  'get_properties', 'dump_stacks', 'runtime_logging', 'scratch_mount', 'scratch_unmount'];
const DEFAULT_DENY = ['mount_blockdev', 'unmount_blockdev', 'load_fragment', 'host_network'];
/** Points api 0.1.0 already has: a 0.1.0 policy that leaves them out is missing a rule. */
const SINCE_0_1_0 = ['mount_device', 'mount_overlay', 'create_container'];

/** A policy that binds none of the points (every query result is empty). */
const unbound = (api_version: string) => securityPolicy({ api_version, rules: {} });

test(`${SUITE}: an unknown rule is POLICY_UNKNOWN_RULE naming the rule and the known points`,
  () => {
    try {
      evaluateEnforcementPoint(securityPolicy(), emptyMetadata(), 'mount_everything', {});
      assert.unreachable('an unknown rule is refused');
    } catch (error) {
      assert.instance(error, SimError);
      const e = error as SimError;
      assert.is(e.code, 'POLICY_UNKNOWN_RULE');
      assert.equal(e.detail, { rule: 'mount_everything' });
      assert.match(e.message, /"mount_everything" is not an enforcement point/);
      assert.match(e.message, /mount_device, rw_mount_device, mount_overlay/);
    }
  });

test(`${SUITE}: a policy without api_version denies every point with one Go-side error and `
  + 'leaves the metadata object as it was', () => {
  const policy = securityPolicy({ api_version: '' });
  const metadata = initialMetadata('head');
  for (const [rule, input] of Object.entries(INPUT)) {
    const d = evaluateEnforcementPoint(policy, metadata, rule, input);
    assert.not.ok(d.allowed, rule);
    assert.is(d.source, 'go-error', rule);
    assert.equal(d.framework_reasons, ['policy does not define api_version'], rule);
    assert.equal(d.reasons, d.framework_reasons, rule);
    assert.equal(d.delta, []);
  }
  const unbound = evaluateEnforcementPoint(securityPolicy({ api_version: '', rules: {} }),
    metadata, 'get_properties', {});
  assert.ok(unbound.metadata === metadata, 'no query ran, nothing changed');
});

test(`${SUITE}: v0.14.1: a point its api.rego lacks is a Go-side "does not exist" error, though `
  + 'the policy binds it; HEAD evaluates the same request', () => {
  const policy = securityPolicy();
  for (const rule of ['rw_mount_device', 'rw_unmount_device', 'mount_blockdev']) {
    const old = evaluateEnforcementPoint(policy, initialMetadata('v0.14.1'), rule, INPUT[rule],
      { dialect: 'v0.14.1' });
    assert.not.ok(old.allowed, rule);
    assert.is(old.source, 'go-error');
    assert.equal(old.framework_reasons, [`enforcement point rule ${rule} does not exist`]);
    const head = evaluateEnforcementPoint(policy, initialMetadata('head'), rule, INPUT[rule]);
    assert.is(head.source, 'framework', `${rule} under HEAD is the framework's`);
  }
});

test(`${SUITE}: an unbound point of a 0.1.0 policy: the 0.1.0 points are "rule missing", the `
  + 'newer ones take api.rego\'s default_results', () => {
  const policy = unbound('0.1.0');
  const metadata = initialMetadata('head');
  for (const rule of SINCE_0_1_0) {
    const d = evaluateEnforcementPoint(policy, metadata, rule, INPUT[rule]);
    assert.not.ok(d.allowed);
    assert.is(d.source, 'rule-missing');
    assert.equal(d.framework_reasons, [`rule for ${rule} is missing from policy`]);
    assert.ok(d.metadata === metadata);
  }
  for (const rule of DEFAULT_ALLOW) {
    const d = evaluateEnforcementPoint(policy, metadata, rule, INPUT[rule]);
    assert.ok(d.allowed, `${rule} defaults to allowed`);
    assert.is(d.source, 'api-default', rule);
    assert.equal([d.delta, d.framework_reasons, d.reasons], [[], [], []], rule);
    assert.ok(d.metadata === metadata, rule);
  }
  for (const rule of DEFAULT_DENY) {
    const d = evaluateEnforcementPoint(policy, metadata, rule, INPUT[rule]);
    assert.not.ok(d.allowed, `${rule} defaults to denied`);
    assert.is(d.source, 'api-default');
    assert.ok(d.reasons.length > 0, 'a denial names a reason');
    assert.ok(d.metadata === metadata);
  }
});

test(`${SUITE}: a default deny the framework gives no error for explains itself by the point's `
  + 'introduction and the policy\'s older api_version', () => {
  // host_network with the flag set: the framework's reason rule has nothing to say.
  const policy = securityPolicy({ api_version: '0.1.0', rules: {},
    flags: { allow_host_network: true } });
  const d = evaluateEnforcementPoint(policy, initialMetadata('head'), 'host_network', {});
  assert.not.ok(d.allowed);
  assert.equal(d.framework_reasons, []);
  assert.equal(d.reasons, ['host_network was introduced in api 0.12.0; policy api_version 0.1.0 '
    + 'predates it and its default is deny']);
});

test(`${SUITE}: default_results outputs: exec_external keeps stdio closed; other defaults carry `
  + 'no outputs', () => {
  const metadata = initialMetadata('head');
  const external = evaluateEnforcementPoint(unbound('0.1.0'), metadata, 'exec_external',
    INPUT['exec_external']);
  assert.is(external.allow_stdio_access, false);
  const unmount = evaluateEnforcementPoint(unbound('0.1.0'), metadata, 'unmount_device',
    INPUT['unmount_device']);
  assert.equal([unmount.allow_stdio_access, unmount.add_module, unmount.env_list],
    [undefined, undefined, undefined]);
});

test(`${SUITE}: use_framework points (rw_mount_device, rw_unmount_device) unbound in an old `
  + 'policy are decided by the framework rule', () => {
  const policy = unbound('0.1.0');
  const metadata = initialMetadata('head');
  const mount = evaluateEnforcementPoint(policy, metadata, 'rw_mount_device',
    INPUT['rw_mount_device']);
  assert.ok(mount.allowed, 'an encrypted ext4 scratch under /run/gcs/c/<id> is allowed');
  assert.is(mount.source, 'framework');
  assert.ok(mount.delta.length > 0, 'the framework rule records the device');
  const wrong = evaluateEnforcementPoint(policy, metadata, 'rw_mount_device',
    { ...INPUT['rw_mount_device'] as object, target: '/elsewhere' });
  assert.not.ok(wrong.allowed);
  assert.is(wrong.source, 'framework');
  assert.ok(wrong.metadata === metadata);
});

test(`${SUITE}: constant bindings: a deny names itself; an allow carries its env_list, `
  + 'allow_stdio_access and add_module over the defaults, and ignores a non-string env_list',
() => {
  const withRules = (rules: Record<string, RuleBinding>) => securityPolicy({ rules });
  const metadata = initialMetadata('head');
  // get_properties with the flag set: the framework's reason rule has nothing to add.
  const deny = evaluateEnforcementPoint(withRules({ get_properties: { kind: 'constant',
    allowed: false, outputs: {} } }), metadata, 'get_properties', {});
  assert.not.ok(deny.allowed);
  assert.is(deny.source, 'constant');
  assert.equal(deny.reasons, ['get_properties is bound to a constant deny in the policy']);
  const framework = evaluateEnforcementPoint(withRules({ create_container: { kind: 'constant',
    allowed: false, outputs: {} } }), metadata, 'create_container', INPUT['create_container']);
  assert.ok(framework.reasons.length > 0 && !framework.allowed, 'the reason query still runs');
  const allow = evaluateEnforcementPoint(withRules({ create_container: { kind: 'constant',
    allowed: true, outputs: { env_list: ['A=1'], allow_stdio_access: true } } }), metadata,
  'create_container', INPUT['create_container']);
  assert.equal([allow.allowed, allow.source, allow.env_list, allow.allow_stdio_access],
    [true, 'constant', ['A=1'], true]);
  const plain = evaluateEnforcementPoint(withRules({ create_container: { kind: 'constant',
    allowed: true, outputs: { env_list: [1, 'B=2'] } } }), metadata, 'create_container',
  INPUT['create_container']);
  assert.is(plain.env_list, undefined, 'an env_list of non-strings is not one');
  assert.is(plain.allow_stdio_access, false, 'create_container\'s default closes stdio');
  const fragment = evaluateEnforcementPoint(withRules({ load_fragment: { kind: 'constant',
    allowed: true, outputs: { add_module: true } } }), metadata, 'load_fragment',
  INPUT['load_fragment']);
  assert.equal([fragment.allowed, fragment.add_module], [true, true]);
  const bare = evaluateEnforcementPoint(withRules({ load_fragment: { kind: 'constant',
    allowed: true, outputs: {} } }), metadata, 'load_fragment', INPUT['load_fragment']);
  assert.equal([bare.allowed, bare.add_module], [true, false], 'api.rego: add_module false');
  assert.ok(fragment.metadata === metadata && allow.metadata === metadata, 'no operations');
});

test(`${SUITE}: every point refuses input that is not a JSON object with POLICY_BAD_INPUT naming `
  + 'the point', () => {
  for (const rule of Object.keys(INPUT)) {
    for (const input of [null, 5, 'x', []]) {
      try {
        evaluateEnforcementPoint(securityPolicy(), emptyMetadata(), rule, input);
        assert.unreachable(`${rule} took ${JSON.stringify(input)}`);
      } catch (error) {
        assert.instance(error, SimError, rule);
        assert.equal([(error as SimError).code, (error as SimError).detail['rule']],
          ['POLICY_BAD_INPUT', rule]);
      }
    }
  }
});

test(`${SUITE}: a flag point whose flag is false is denied with a note naming the point and the `
  + 'flag', () => {
  const flags = { allow_properties_access: false, allow_dump_stacks: false,
    allow_runtime_logging: false, allow_host_network: false };
  const policy = securityPolicy({ flags });
  for (const [rule, flag] of [['get_properties', 'allow_properties_access'],
    ['dump_stacks', 'allow_dump_stacks'], ['runtime_logging', 'allow_runtime_logging'],
    ['host_network', 'allow_host_network']] as const) {
    const d = evaluateEnforcementPoint(policy, initialMetadata('head'), rule, {});
    assert.not.ok(d.allowed, rule);
    assert.equal(d.reasons, [`${rule} not allowed: policy ${flag} is false`]);
    const on = evaluateEnforcementPoint(securityPolicy({ flags: { [flag]: true } }),
      initialMetadata('head'), rule, {});
    assert.ok(on.allowed, `${rule} with ${flag}`);
  }
});

test(`${SUITE}: an overlay over layer paths with no device mounted says which paths`, () => {
  const d = evaluateEnforcementPoint(securityPolicy(), initialMetadata('head'), 'mount_overlay',
    { containerID: C, layerPaths: ['/run/mounts/scsi/m7', '/run/mounts/scsi/m8'],
      target: `/run/gcs/c/${C}/rootfs` });
  assert.not.ok(d.allowed);
  assert.equal(d.framework_reasons, ['no matching containers for overlay']);
  assert.ok(d.reasons.includes('layer paths with no read-only device mounted: '
    + '/run/mounts/scsi/m7,/run/mounts/scsi/m8'), d.reasons.join(' | '));
});

test(`${SUITE}: a decision names its source: the framework's allow and deny, the open door, and `
  + 'v0.14.1\'s failed metadata operation after an allowed query', () => {
  const policy = securityPolicy();
  const md = initialMetadata('head');
  const mount = evaluateEnforcementPoint(policy, md, 'mount_device', INPUT['mount_device']);
  const elsewhere = evaluateEnforcementPoint(policy, md, 'mount_device',
    { target: '/elsewhere', deviceHash: hash(1) });
  assert.equal([mount.allowed, mount.source, elsewhere.allowed, elsewhere.source],
    [true, 'framework', false, 'framework']);
  const open = evaluateEnforcementPoint(securityPolicy({ allow_all: true }), md, 'mount_device',
    { target: '/elsewhere', deviceHash: hash(9) });
  assert.equal([open.allowed, open.source], [true, 'allow-all']);
  // v0.14.1: the overlay query adds matches[id] before overlayTargets[target] fails (spec (c)).
  const old = initialMetadata('v0.14.1');
  const [first, second] = [ID(3), ID(4)].map((id) => ({ containerID: id,
    layerPaths: ['/run/mounts/scsi/m1', '/run/mounts/scsi/m0'], target: '/run/gcs/c/x/rootfs' }));
  const steps = [['mount_device', { target: '/run/mounts/scsi/m0', deviceHash: hash(1) }],
    ['mount_device', { target: '/run/mounts/scsi/m1', deviceHash: hash(2) }],
    ['mount_overlay', first], ['mount_overlay', second]] as const;
  let metadata = old;
  const ds = steps.map(([rule, input]) => {
    const d = evaluateEnforcementPoint(securityPolicy({ framework_version: '0.3.0' }), metadata,
      rule, input, { dialect: 'v0.14.1' });
    metadata = d.metadata;
    return d;
  });
  const reused = ds[3]!;
  assert.equal([ds[2]!.allowed, reused.allowed, reused.source], [true, false, 'framework']);
  assert.match(reused.framework_reasons![0]!, /^error applying metadata operations: cannot add/);
});

test.run();
