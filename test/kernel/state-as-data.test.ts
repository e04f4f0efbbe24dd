/**
 * Goal: every model state the world will snapshot is plain data: it round-trips through the
 * canonical codec with an unchanged fingerprint, in this process and in another one; a restored
 * state behaves exactly as the original; nothing a model hands out can change what it does next;
 * and a cold memo gives the same bytes as a warm one.
 * Method: build each state from a seed (platform, firmware, launch context in every phase, guest
 * context, guest-message channel, policy metadata, RNG / clock / trace positions), round-trip it,
 * compare fingerprints and behaviour; recompute the fingerprints in a child `node` process from the
 * same seed and from bytes written here; flip every byte of every Uint8Array reachable from what
 * the models returned and request the next report again.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { guestStream, rootOf, snpStream } from '../support/snp.js';
import { REPO_ROOT } from '../support/paths.js';
import { toHex } from '../../sim/kernel/bytes.js';
import { VirtualClock } from '../../sim/kernel/clock.js';
import { decodeState, encodeState, fingerprint, roundTrip } from '../../sim/kernel/codec.js';
import { clearMemo, memoStats } from '../../sim/kernel/memo.js';
import { Rng } from '../../sim/kernel/rng.js';
import { Trace } from '../../sim/kernel/trace.js';
import {
  createFirmware, requestReport, signReport, signingKeyOf, type FirmwareState,
} from '../../models/snp/firmware.js';
import type { GuestContext } from '../../models/snp/guest-context.js';
import {
  NEW_CHANNEL, firmwareGuestRequest, sealGuestMessage,
} from '../../models/snp/guest-message-channel.js';
import { MSG_TYPE, encodeMsgReportReq } from '../../models/snp/guest-messages.js';
import {
  createLaunchContext, guestContextOf, snpLaunchFinish, snpLaunchStart, snpLaunchUpdate,
  type LaunchState,
} from '../../models/snp/launch/launch-context.js';
import { PAGE_TYPE } from '../../models/snp/launch/page-info.js';
import { createPlatform, type PlatformState } from '../../models/snp/platform.js';
import { GUEST_POLICY_QEMU_DEFAULT } from '../../models/snp/guest-policy.js';
import { hexBytes } from '../../sim/kernel/bytes.js';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { emptyMetadata, type PolicyMetadata } from '../../models/policy/metadata.js';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';

const SEED = 17;
const LAYER = '16b514057a06ad665f92c02863aca074fd5976c755d26bff16365299169e8415';
const POLICY_TEXT = `package policy
api_version := "0.10.0"
framework_version := "0.2.3"
containers := [{"command": ["/pause"], "env_rules": [], "layers": ["${LAYER}"], "mounts": [],
  "exec_processes": [], "signals": [], "allow_elevated": false, "working_dir": "/",
  "allow_stdio_access": false, "no_new_privileges": false, "seccomp_profile_sha256": "",
  "user": {"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [], "umask": "0022"},
  "capabilities": null}]
mount_device := data.framework.mount_device
mount_overlay := data.framework.mount_overlay
`;

type States = Readonly<{
  platform: PlatformState; firmware: FirmwareState; launch: readonly LaunchState[];
  guest: GuestContext; channel: unknown; metadata: PolicyMetadata; positions: unknown;
}>;

const PAGE = new Uint8Array(4096).fill(0x5a);

function launched(): readonly LaunchState[] {
  const platform = createPlatform({ rng: snpStream(SEED), product: 'Genoa' });
  const fresh = createLaunchContext();
  const started = snpLaunchStart(fresh, {
    policy: GUEST_POLICY_QEMU_DEFAULT, platform, current_tcb: platform.current_tcb,
    rng: guestStream(SEED),
  });
  const measured = snpLaunchUpdate(started, {
    page_type: PAGE_TYPE.NORMAL, gpa: 0x1000, lengthBytes: 4096, contents: PAGE,
  });
  const running = snpLaunchFinish(measured, { host_data: new Uint8Array(32).fill(7) });
  return [fresh, started, measured, running];
}

function reportRequest(guest: GuestContext): Uint8Array {
  return sealGuestMessage({
    vmpck: hexBytes(guest.vmpck[0]!), vmpckIndex: 0, seqno: 1n, msgType: MSG_TYPE.REPORT_REQ,
    payload: encodeMsgReportReq({ report_data: new Uint8Array(64), vmpl: 0, key_sel: 0 }),
  });
}

function buildStates(): States {
  const platform = createPlatform({ rng: snpStream(SEED), product: 'Genoa' });
  const firmware = createFirmware(rootOf(SEED), platform);
  const launch = launched();
  const guest = guestContextOf(launch[3]!);
  const exchange = firmwareGuestRequest(firmware, NEW_CHANNEL, guest, reportRequest(guest));
  assert.ok(exchange.ok);
  const policy = importSecurityPolicy(new TextEncoder().encode(POLICY_TEXT));
  const mounted = evaluateEnforcementPoint(policy, emptyMetadata(), 'mount_device', {
    target: '/run/mounts/scsi/m0', deviceHash: LAYER, mountPathRegex: '/run/mounts/scsi/m[0-9]+',
  });
  assert.ok(mounted.allowed);
  const rng = Rng.fromSeed(SEED).fork('host');
  rng.bytes(5);
  const clock = new VirtualClock(40);
  const trace = new Trace();
  trace.emit(clock.advance(2), 'sim', 'tick');
  return {
    platform, firmware, launch, guest, channel: exchange.channel, metadata: mounted.metadata,
    positions: { rng: rng.state(), clock: clock.state(), trace: trace.position() },
  };
}

const NAMES = ['platform', 'firmware', 'launch', 'guest', 'channel', 'metadata', 'positions'] as
  const;

for (const name of NAMES) {
  test(`kernel/state: the ${name} state round-trips through the codec with its fingerprint`, () => {
    const value = buildStates()[name];
    const back = roundTrip(value);
    assert.is(fingerprint(back), fingerprint(value));
    assert.is(toHex(encodeState(back)), toHex(encodeState(value)));
  });
}

test('kernel/state: a restored firmware and guest context give the same report bytes', () => {
  const { firmware, guest } = buildStates();
  const request = { report_data: new Uint8Array(64).fill(3), vmpl: 0, key_sel: 0 };
  const original = requestReport(firmware, { context: guest, senderVmpl: 0, request });
  const restored = requestReport(roundTrip(firmware), {
    context: roundTrip(guest), senderVmpl: 0, request,
  });
  assert.ok('value' in original && 'value' in restored);
  if (!('value' in original) || !('value' in restored)) return;
  assert.is(restored.value.unsigned, original.value.unsigned);
  assert.is(toHex(signReport(roundTrip(firmware), restored.value)),
    toHex(signReport(firmware, original.value)));
});

test('kernel/state: a restored launch context continues to the same measurement', () => {
  const [, started] = launched();
  const next = (state: LaunchState) => snpLaunchUpdate(state, {
    page_type: PAGE_TYPE.NORMAL, gpa: 0x2000, lengthBytes: 4096, contents: PAGE,
  });
  assert.is(next(roundTrip(started!)).context.ld, next(started!).context.ld);
  assert.is(fingerprint(next(roundTrip(started!))), fingerprint(next(started!)));
});

test('kernel/state: a restored RNG position draws the same numbers', () => {
  const positions = buildStates().positions as { rng: ReturnType<Rng['state']> };
  const restored = roundTrip(positions).rng;
  assert.is(toHex(Rng.fromState(restored).bytes(32)), toHex(Rng.fromState(positions.rng)
    .bytes(32)));
});

/** Every Uint8Array reachable from `value` (through objects, arrays, Maps and Sets). */
function byteArraysIn(value: unknown, out: Uint8Array[] = [], seen = new Set<unknown>()):
  Uint8Array[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return out;
  seen.add(value);
  if (value instanceof Uint8Array) {
    out.push(value);
    return out;
  }
  const children = value instanceof Map ? [...value.keys(), ...value.values()]
    : value instanceof Set ? [...value] : Object.values(value);
  for (const child of children) byteArraysIn(child, out, seen);
  return out;
}

test('kernel/state: flipping every byte a model handed out does not change the next report', () => {
  const { firmware, guest, launch } = buildStates();
  const request = { report_data: new Uint8Array(64).fill(9), vmpl: 0, key_sel: 0 };
  const ask = () => {
    const response = requestReport(firmware, { context: guest, senderVmpl: 0, request });
    assert.ok('value' in response);
    if (!('value' in response)) throw new Error('refused');
    return response;
  };
  const first = ask();
  const firstBytes = signReport(firmware, first.value);
  const handedOut = [first, firstBytes, firmware, guest, launch, request,
    signingKeyOf(firmware, 'vcek'), guestContextOf(launch[3]!)];
  const arrays = byteArraysIn(handedOut).filter((bytes) => bytes !== request.report_data);
  assert.ok(arrays.length >= 3, 'the test reaches some bytes to flip');
  for (const bytes of arrays) for (let i = 0; i < bytes.length; i++) bytes[i]! ^= 0xff;
  const second = ask();
  assert.is(second.value.unsigned, first.value.unsigned);
  clearMemo();   // no memoised signature either: the key itself must be intact
  const secondBytes = signReport(firmware, second.value);
  assert.is(toHex(secondBytes), toHex(firstBytes.map((b) => b ^ 0xff)));
});

test('kernel/state: a cold memo and a warm memo give the same fingerprints and report ' +
  'bytes', () => {
  clearMemo();
  const cold = buildStates();
  const coldReport = (() => {
    const response = requestReport(cold.firmware, {
      context: cold.guest, senderVmpl: 0,
      request: { report_data: new Uint8Array(64), vmpl: 0, key_sel: 0 },
    });
    return 'value' in response ? toHex(signReport(cold.firmware, response.value)) : 'refused';
  })();
  const missesAfterCold = Object.values(memoStats()).reduce((n, t) => n + t.misses, 0);
  const warm = buildStates();
  const warmResponse = requestReport(warm.firmware, {
    context: warm.guest, senderVmpl: 0,
    request: { report_data: new Uint8Array(64), vmpl: 0, key_sel: 0 },
  });
  const warmReport = 'value' in warmResponse
    ? toHex(signReport(warm.firmware, warmResponse.value)) : 'refused';
  const hitsAfterWarm = Object.values(memoStats()).reduce((n, t) => n + t.hits, 0);
  assert.ok(missesAfterCold > 0 && hitsAfterWarm > 0, 'the memo was exercised cold and warm');
  assert.is(fingerprint(warm), fingerprint(cold));
  assert.is(warmReport, coldReport);
});

test('kernel/state: another process builds the same states and reads our bytes back', () => {
  const states = buildStates();
  const dir = mkdtempSync(join(tmpdir(), 'parma-state-'));
  const bytesFile = join(dir, 'states.cbor');
  writeFileSync(bytesFile, encodeState(states));
  const here = pathToFileURL(join(REPO_ROOT, 'dist', 'test', 'kernel')).href;
  const script = `
    const codec = await import('${here}/../../sim/kernel/codec.js');
    const mod = await import('${here}/state-as-data.test.js?child');
    const fs = await import('node:fs');
    const read = codec.decodeState(new Uint8Array(fs.readFileSync(${JSON.stringify(bytesFile)})));
    process.stdout.write(JSON.stringify({ built: codec.fingerprint(mod.buildStatesForChild()),
      read: codec.fingerprint(read) }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, PARMA_STATE_CHILD: '1' }, encoding: 'utf8',
  });
  const child = JSON.parse(out) as { built: string; read: string };
  assert.is(child.read, fingerprint(states));
  assert.is(child.built, fingerprint(states));
  assert.ok(decodeState(encodeState(states)) !== states);
});

/** For the child process of the test above (it must not run the tests again). */
export function buildStatesForChild(): States {
  return buildStates();
}

if (process.env['PARMA_STATE_CHILD'] !== '1') test.run();
