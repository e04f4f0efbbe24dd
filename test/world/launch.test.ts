/**
 * Goal: the UVM launch goes through the hypervisor's driver and the firmware's launch context, and
 * the guest learns its own HOST_DATA and MEASUREMENT from a report it asks the firmware for
 * through the guest-message channel (issue 8 item 1). The host chooses every launch input: a
 * launch with another HOST_DATA or kernel gives the guest another report, a second launch is
 * refused by the firmware, inputs the store does not hold are refused by the host.
 * Method: expected values computed outside the world: HOST_DATA = SHA-256 of the policy bytes
 * (node:crypto), the measurement from `measureLaunch` (the sev-snp-measure fast path) over the
 * same inputs; the channel's sequence number is checked against the ABI's "request N, answer
 * N+1" rule.
 */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../sim/kernel/bytes.js';
import { defaultLaunch, step } from '../../sim/world.js';
import { storeGet } from '../../models/host/content-store.js';
import { measureLaunch } from '../../models/hypervisor/launch-measurement.js';
import { vcpuTypeSignature } from '../../models/hypervisor/vcpu-types.js';
import { generatedWorld, generatedWorldInputs } from './world-support.js';

test('world/launch: the guest\'s own report carries HOST_DATA = SHA-256(policy) and the launch ' +
  'measurement', () => {
  const world = generatedWorld(1);
  const launch = defaultLaunch(world);
  const out = step(world, { kind: 'launch', launch });
  assert.is(out.result.outcome, 'ok');
  const own = out.world.state.guest!.ownReport!;
  const policy = new TextEncoder().encode(generatedWorldInputs().policy);
  assert.is(own.host_data, createHash('sha256').update(policy).digest('hex'));
  const expected = measureLaunch({
    mode: 'snp', ovmf: storeGet(world.store, launch.firmware)!,
    kernel: storeGet(world.store, launch.kernel)!, initrd: storeGet(world.store, launch.initrd)!,
    append: launch.cmdline, vcpus: launch.vcpus, vcpuSig: vcpuTypeSignature('EPYC-Milan')!,
    vmmType: 'QEMU',
    guestFeatures: 0x1n,
  });
  assert.is(own.measurement, toHex(expected.digest));
  assert.is(out.world.state.channel.lastSeqno[0], 2n, 'request 1, response 2 on VMPCK0');
});

test('world/launch: the host\'s choice of HOST_DATA and kernel reaches the guest\'s report', () => {
  const world = generatedWorld(1);
  const base = defaultLaunch(world);
  const benign = step(world, { kind: 'launch', launch: base }).world.state.guest!.ownReport!;
  const other = step(world, { kind: 'launch', launch: { ...base, hostData: 'ab'.repeat(32) } })
    .world.state.guest!.ownReport!;
  assert.is(other.host_data, 'ab'.repeat(32));
  assert.is(other.measurement, benign.measurement);
  const cmdline = step(world, { kind: 'launch', launch: { ...base, cmdline: 'init=/bin/sh' } })
    .world.state.guest!.ownReport!;
  assert.is.not(cmdline.measurement, benign.measurement);
});

test('world/launch: a second launch is refused by the firmware and changes nothing', () => {
  const world = generatedWorld(1);
  const launched = step(world, { kind: 'launch', launch: defaultLaunch(world) }).world;
  const again = step(launched, { kind: 'launch', launch: defaultLaunch(world) });
  assert.is(again.result.outcome, 'refused');
  assert.is(again.result.stoppedBy, 'firmware');
  assert.match(again.result.reason, /INVALID_GUEST_STATE/);
  assert.is(again.world.state.guest, launched.state.guest);
  assert.is(again.world.state.launch, launched.state.launch);
});

test('world/launch: a kernel the store does not hold is refused by the host', () => {
  const world = generatedWorld(1);
  const out = step(world, { kind: 'launch',
    launch: { ...defaultLaunch(world), kernel: '00'.repeat(32) } });
  assert.is(out.result.stoppedBy, 'host');
  assert.is(out.world.state.guest, null);
});

test.run();
