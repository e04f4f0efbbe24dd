/**
 * Goal: the v0.14.1 row of the dialect table (models/policy/dialect.ts) is what the engine
 * enforces: that framework has no rw_devices (a device recorded there is not "mounted" and an RO
 * unmount of it is "no device at path") and no sandbox /sys exception (the pause container may
 * not mount /sys rw unless elevated), while HEAD has both; HEAD's init-signal shim stops at
 * 0.4.1 exactly.
 * Method: hand-built policies and requests (test/policy/engine-support.ts) run under each
 * dialect; expected verdicts and reasons are spec policy.md (c) and (b) strings written by hand.
 * The v0.14.1 policy declares that framework's versions (api 0.10.0, framework 0.3.0).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PolicyContainer, SecurityPolicy } from '../../models/policy/policy-model.js';
import { evaluateEnforcementPoint, type Decision } from '../../models/policy/engine.js';
import { emptyMetadata, type PolicyMetadata } from '../../models/policy/metadata.js';
import type { PolicyDialect } from '../../models/policy/dialect.js';
import {
  ID, container, createInput, last, mountCalls, run, securityPolicy,
} from './engine-support.js';

const SUITE = 'policy/dialect-rows-behaviour';
const M3 = '/run/mounts/scsi/m3';
const RW = `/run/gcs/c/${'c'.repeat(64)}`;

const head = securityPolicy();
const old = securityPolicy({ api_version: '0.10.0', framework_version: '0.3.0' });

/** Metadata in which `target` is a read-write scratch device (as rw_mount_device records it). */
function withRwDevice(target: string): PolicyMetadata {
  return { ...emptyMetadata(), rw_devices: { [target]: true } };
}

function decide(policy: SecurityPolicy, metadata: PolicyMetadata, rule: string, input: unknown,
    dialect: PolicyDialect): Decision {
  return evaluateEnforcementPoint(policy, metadata, rule, input, { dialect });
}

test(`${SUITE}: v0.14.1 has no rw_devices: an RO mount over a scratch target is allowed there `
    + 'and denied at HEAD', () => {
  const metadata = withRwDevice(M3);
  const input = { target: M3, deviceHash: old.containers[0]!.layers[0] };
  const v14 = decide(old, metadata, 'mount_device', input, 'v0.14.1');
  assert.ok(v14.allowed, v14.reasons.join(' | '));
  assert.equal(v14.metadata.devices, { [M3]: input.deviceHash });
  const atHead = decide(head, metadata, 'mount_device', input, 'head');
  assert.is(atHead.allowed, false);
  assert.ok(atHead.reasons.includes('device already mounted at path'), atHead.reasons.join(' | '));
});

test(`${SUITE}: an RO unmount of a scratch device is "no device at path" in v0.14.1 and names `
    + 'the read-write device at HEAD', () => {
  const metadata = withRwDevice(RW);
  const v14 = decide(old, metadata, 'unmount_device', { unmountTarget: RW }, 'v0.14.1');
  assert.is(v14.allowed, false);
  assert.equal(v14.reasons, ['no device at path to unmount']);
  const atHead = decide(head, metadata, 'unmount_device', { unmountTarget: RW }, 'head');
  assert.is(atHead.allowed, false);
  assert.equal(atHead.reasons,
    ['received read-only unmount request, but device provided is read-write']);
});

const SYS_RW = { destination: '/sys', source: 'sysfs', type: 'sysfs',
  options: ['nosuid', 'noexec', 'nodev', 'rw'] };

function createSandbox(policy: SecurityPolicy, c: PolicyContainer, dialect: PolicyDialect,
    mounts: readonly object[]): Decision {
  return last(run(policy, [...mountCalls(c.layers, ID(1)),
    ['create_container', createInput(c, ID(1), { mounts, isSandboxContainer: true })]],
  emptyMetadata(), { dialect }));
}

test(`${SUITE}: v0.14.1 has no sandbox /sys exception: the pause container's rw /sys is denied `
    + 'there and allowed at HEAD', () => {
  const c = container();
  const v14 = securityPolicy({ api_version: '0.10.0', framework_version: '0.3.0',
    containers: [c] });
  assert.ok(createSandbox(v14, c, 'v0.14.1', []).allowed, 'the same request without /sys');
  const denied = createSandbox(v14, c, 'v0.14.1', [SYS_RW]);
  assert.is(denied.allowed, false);
  assert.ok(denied.reasons.some((r) => r.startsWith('invalid mount list:')),
    denied.reasons.join(' | '));
  assert.ok(createSandbox(securityPolicy({ containers: [c] }), c, 'head', [SYS_RW]).allowed);
});

function signalInit(framework_version: string, signal: number): boolean {
  const k = container({ signals: [15] });
  const policy = securityPolicy({ framework_version, containers: [k] });
  const started = last(run(policy, [...mountCalls(k.layers, ID(1)),
    ['create_container', createInput(k, ID(1))]]));
  assert.ok(started.allowed, started.reasons.join(' | '));
  return evaluateEnforcementPoint(policy, started.metadata, 'signal_container_process',
    { containerID: ID(1), signal, isInitProcess: true, argList: k.command }).allowed;
}

test(`${SUITE}: HEAD's init-signal shim covers 0.4.0 and stops at 0.4.1`, () => {
  assert.equal([signalInit('0.4.0', 9), signalInit('0.4.0', 15), signalInit('0.4.0', 2)],
    [true, true, false]);
  assert.equal([signalInit('0.4.1', 9), signalInit('0.4.1', 15)], [false, true]);
});

test.run();
