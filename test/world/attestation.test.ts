/**
 * Goal: issue 9 in the world: after the containers run, a container attests (REPORT_DATA =
 *   SHA-256 of its runtime data, a token whose x-ms-sevsnpvm claims equal the report, the key
 *   released into guest-private memory), and each canonical attack is stopped where it must be:
 *   a replayed report or token (the broker's nonce), a DEBUG guest, another HOST_DATA, another
 *   MEASUREMENT (the release policy, naming the claim), a host write (RMP fault), a host read
 *   (ciphertext), a remap (the guest halts before it computes), wrong THIM data or certificate
 *   table (the token service rejects the evidence), withheld or replayed guest-message responses.
 *   New steps snapshot, restore and replay like every other step.
 * Method: the generated two-container workload's benign run, cut at the shim's `attest` step;
 *   hostile actions through `step`. Claims are checked against the report bytes the host relayed
 *   at ABI offsets (attestation-fixture.ts), the released key against the broker's material read
 *   back by the guest through its RMP-checked keyring.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexBytes } from '../../sim/kernel/bytes.js';
import type { HostAction } from '../../models/host/adversary.js';
import { DEFAULT_WORKLOAD_FLAGS } from '../../models/host/confcom.js';
import { guestLoadSecret } from '../../models/hypervisor/guest-memory.js';
import { storeGet } from '../../models/host/content-store.js';
import {
  createWorld, deployBenign, fingerprint, replay, restore, runActions, snapshot, step, traceJsonl,
  type World,
} from '../../sim/world.js';
import { claimsFromReportBytes } from '../verifier/attestation-fixture.js';
import { generatedWorld, generatedWorldInputs, sharedPolicyWorld } from './world-support.js';
import { readFileSync } from 'node:fs';
import { readSourcesTable } from '../policy/sources-table.js';
import { shared, sharedTest } from '../support/requires.js';

const KEYRING_GPA = 0xa0_0000;
const DEBUG_POLICY = '0xb0000';   // QEMU's 0x30000 with DEBUG (bit 19)

type Cut = Readonly<{ world: World; actions: readonly HostAction[]; attest: HostAction }>;

/** The world just before the benign run's attest step (and the run's actions). */
function beforeAttest(world = generatedWorld(1), edit?: (a: HostAction) => HostAction): Cut {
  const run = deployBenign(world);
  const at = run.rows.findIndex((row) => row.note.startsWith('attest'));
  assert.ok(at > 0, 'the benign plan attests');
  const actions = run.actions.map((action) => (edit === undefined ? action : edit(action)));
  return { world: runActions(world, actions.slice(0, at)).world, actions, attest: actions[at]! };
}

function afterAttest(): Readonly<{ world: World; cut: Cut }> {
  const cut = beforeAttest();
  const out = step(cut.world, cut.attest);
  assert.is(out.result.outcome, 'ok', out.result.reason);
  return { world: out.world, cut };
}

function payload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as
    Record<string, unknown>;
}

/** The last request and token the host relayed (from the world's content store). */
function relayed(world: World): { request: Record<string, unknown>; token: string | null } {
  const last = world.state.attestation.host.relayed.at(-1)!;
  const text = (digest: string) => Buffer.from(storeGet(world.store, digest)!).toString('utf8');
  return { request: JSON.parse(text(last.request)) as Record<string, unknown>,
    token: last.token === null ? null : text(last.token) };
}

function relayedReport(world: World): Uint8Array {
  const last = relayed(world);
  const bundle = JSON.parse(Buffer.from(String(last.request['report']), 'base64url')
    .toString('utf8')) as { SnpReport: string };
  return new Uint8Array(Buffer.from(bundle.SnpReport, 'base64url'));
}

test('world/attestation: the benign run attests, with claims equal to the report and the key in ' +
  'guest memory', () => {
  const run = deployBenign(generatedWorld(1));
  const row = run.rows.find((r) => r.note.startsWith('attest'))!;
  assert.is(row.result.outcome, 'ok', row.result.reason);
  assert.equal(run.rows.filter((r) => r.result.outcome !== 'ok').map((r) => r.note), []);
  const { world } = afterAttest();
  const last = relayed(world);
  const claims = payload(last.token!);
  for (const [name, value] of Object.entries(claimsFromReportBytes(relayedReport(world)))) {
    assert.equal(claims[name], value, name);
  }
  assert.is(claims['x-ms-sevsnpvm-hostdata'], world.config.policy, 'HOST_DATA = SHA-256(policy)');
  assert.is(claims['x-ms-compliance-status'], 'azure-compliant-uvm');
  const slot = Object.values(world.state.attestation.released)[0]!;
  const read = guestLoadSecret(world.state.memory!, slot);
  assert.ok(read.ok);
  const material = world.state.attestation.broker.keys['container-key']!.material;
  assert.is(Buffer.from(read.bytes).toString('hex'), material);
});

test('world/attestation: REPORT_DATA is SHA-256 of the runtime data the token ' +
  'carries', async () => {
  const { world } = afterAttest();
  const last = relayed(world);
  const runtime = Buffer.from(String((last.request['runtimeData'] as { data: string }).data),
    'base64url');
  const { createHash } = await import('node:crypto');
  const expected = Buffer.concat([createHash('sha256').update(runtime).digest(), Buffer.alloc(32)]);
  assert.is(Buffer.from(relayedReport(world).subarray(0x50, 0x90)).toString('hex'),
    expected.toString('hex'));
  assert.equal(payload(last.token!)['x-ms-runtime'], JSON.parse(runtime.toString('utf8')));
});

test('world/attestation: a report replayed with its old nonce gets no key (VERIFY_NONCE)', () => {
  const { world } = afterAttest();
  const out = step(world, { kind: 'replay_report' });
  assert.is(out.result.outcome, 'refused');
  assert.is(out.result.stoppedBy, 'verifier');
  assert.match(out.result.reason,
    /^key broker: VERIFY_NONCE: x-ms-runtime carries a nonce that was already used/);
  const token = step(world, { kind: 'replay_token' });
  assert.match(token.result.reason, /VERIFY_NONCE/);
  const late = runActions(world, [{ kind: 'wait', ms: 9 * 3600 * 1000 },
    { kind: 'replay_token' }]).results[1]!;
  assert.match(late.reason, /^key broker: VERIFY_TOKEN_TIME/);
});

test('world/attestation: a DEBUG guest asking for the key is refused at ' +
  'x-ms-sevsnpvm-is-debuggable', () => {
  const cut = beforeAttest(generatedWorld(1), (a) => (a.kind === 'launch'
    ? { kind: 'launch', launch: { ...a.launch, guestPolicy: DEBUG_POLICY } } : a));
  const out = step(cut.world, cut.attest);
  assert.is(out.result.stoppedBy, 'verifier');
  assert.match(out.result.reason,
    /x-ms-sevsnpvm-is-debuggable is true, the release policy requires false/);
  assert.match(out.result.reason, /x-ms-compliance-status is absent/);
  assert.is(Object.keys(out.world.state.attestation.released).length, 0);
});

test('world/attestation: containers run under another policy (HOST_DATA) get no key', () => {
  const inputs = generatedWorldInputs({ ...DEFAULT_WORKLOAD_FLAGS, allowDumpStacks: true });
  const other = createWorld({ seed: 1, policy: inputs.policy, images: inputs.images });
  const world = generatedWorld(1);
  assert.is.not(other.config.policy, world.config.policy);
  const run = deployBenign(other);
  const at = run.rows.findIndex((row) => row.note.startsWith('attest'));
  const results = runActions(world, run.actions.slice(0, at + 1)).results;
  assert.ok(results.slice(0, at).every((r) => r.outcome === 'ok'), 'the host\'s policy runs');
  const out = results[at]!;
  assert.is(out.stoppedBy, 'verifier');
  assert.match(out.reason, new RegExp(`x-ms-sevsnpvm-hostdata is "${other.config.policy}", `
    + `the release policy requires "${world.config.policy}"`));
});

test('world/attestation: a UVM launched with another command line (MEASUREMENT) gets no ' +
  'key', () => {
  const cut = beforeAttest(generatedWorld(1), (a) => (a.kind === 'launch'
    ? { kind: 'launch', launch: { ...a.launch, cmdline: `${a.launch.cmdline} init=/bin/sh` } }
    : a));
  const out = step(cut.world, cut.attest);
  assert.is(out.result.stoppedBy, 'verifier');
  assert.match(out.result.reason,
    /x-ms-sevsnpvm-launchmeasurement is "[0-9a-f]{96}", the release policy requires/);
  assert.match(out.result.reason, /x-ms-compliance-status is absent/);
});

test('world/attestation: a host write to guest-private memory is an RMP fault that changes ' +
  'nothing', () => {
  const { world } = afterAttest();
  const out = step(world, { kind: 'write_page', gpa: KEYRING_GPA, offset: 0,
    bytes: '00'.repeat(32) });
  assert.is(out.result.stoppedBy, 'hypervisor');
  assert.match(out.result.reason, /^RMP violation: host write to SPA/);
  assert.ok(out.world.state.memory === world.state.memory, 'memory is the same object');
  assert.ok(out.world.state.guest === world.state.guest);
});

test('world/attestation: a host read of the keyring gives ciphertext, and debug decryption is ' +
  'refused', () => {
  const { world } = afterAttest();
  const material = world.state.attestation.broker.keys['container-key']!.material;
  const read = step(world, { kind: 'read_page', gpa: KEYRING_GPA, debug: false });
  assert.is(read.result.outcome, 'ok');
  const head = String((read.result.response as Record<string, unknown>)['head']);
  assert.is(head.length, 32);
  assert.not.ok(material.includes(head) || head === material.slice(0, 32));
  const debug = step(world, { kind: 'read_page', gpa: KEYRING_GPA, debug: true });
  assert.is(debug.result.stoppedBy, 'firmware');
  assert.match(debug.result.reason, /POLICY_FAILURE/);
});

test('world/attestation: after a remap the guest halts (#VC) and computes nothing more', () => {
  const { world, cut } = afterAttest();
  const remapped = step(world, { kind: 'remap', gpa: KEYRING_GPA, to: { kind: 'fresh',
    fill: 'ee'.repeat(64) } });
  assert.is(remapped.result.outcome, 'ok');
  const next = cut.actions.find((a) => a.kind === 'bridge')!;
  const bridge = step(remapped.world, next);
  assert.is(bridge.result.stoppedBy, 'hypervisor');
  assert.match(bridge.result.reason, /^the guest is halted: vc_not_validated/);
  assert.ok(bridge.world.state.guest === remapped.world.state.guest, 'the agent never ran');
  const attest = step(bridge.world, cut.attest);
  assert.is(attest.result.stoppedBy, 'hypervisor');
  assert.ok(attest.world.state.attestation.attempts === world.state.attestation.attempts);
});

test('world/attestation: wrong THIM data or certificate table is rejected by the token ' +
  'service', () => {
  const cut = beforeAttest();
  const cases: [HostAction, HostAction, RegExp, string][] = [
    [{ kind: 'thim', source: 'other_chip' }, cut.attest, /VERIFY_HWID_MISMATCH/, 'verifier'],
    [{ kind: 'thim', source: 'other_tcb' }, cut.attest, /VERIFY_TCB_MISMATCH/, 'verifier'],
    [{ kind: 'thim', source: 'corrupt' }, cut.attest, /VERIFY_BAD_EVIDENCE/, 'verifier'],
    [{ kind: 'cert_table', source: 'other_chip' }, { ...cut.attest, via: 'cert_table' } as
      HostAction, /VERIFY_HWID_MISMATCH/, 'verifier'],
    [{ kind: 'cert_table', source: 'corrupt' }, { ...cut.attest, via: 'cert_table' } as
      HostAction, /certificate table .* does not decode/, 'io'],
  ];
  for (const [setup, attest, reason, by] of cases) {
    const out = runActions(cut.world, [setup, attest]).results[1]!;
    assert.is(out.outcome, 'refused', JSON.stringify(setup));
    assert.is(out.stoppedBy, by, JSON.stringify(setup));
    assert.match(out.reason, reason);
  }
  const genuine = runActions(cut.world, [{ kind: 'cert_table', source: 'genuine' },
    { ...cut.attest, via: 'cert_table' } as HostAction]).results[1]!;
  assert.is(genuine.outcome, 'ok', 'the cert table path works with genuine certificates');
});

test('world/attestation: a withheld guest message gives no report; the next attempt works', () => {
  const cut = beforeAttest();
  const out = runActions(cut.world, [{ kind: 'guest_message', mode: 'withhold' }, cut.attest,
    cut.attest]);
  assert.is(out.results[1]!.stoppedBy, 'hypervisor');
  assert.match(out.results[1]!.reason, /withheld/);
  assert.is(out.results[2]!.outcome, 'ok', out.results[2]!.reason);
});

test('world/attestation: a replayed guest-message response is rejected and VMPCK0 is ' +
  'disabled', () => {
  const { world, cut } = afterAttest();
  const out = runActions(world, [{ kind: 'guest_message', mode: 'replay' }, cut.attest,
    cut.attest]);
  assert.is(out.results[1]!.stoppedBy, 'message');
  assert.match(out.results[1]!.reason, /rejected the guest-message response/);
  assert.ok(out.world.state.attestation.vmpckDisabled);
  assert.is(out.results[2]!.stoppedBy, 'message', 'no report after the driver gave up VMPCK0');
});

test('world/attestation: hostile part-2 actions are refused with HOST_BAD_INPUT by the ' +
  'parser', async () => {
  const { parseHostAction } = await import('../../models/host/adversary.js');
  const { errorCode } = await import('../../sim/kernel/errors.js');
  for (const action of [{ kind: 'read_page', gpa: 0x123 }, { kind: 'write_page', gpa: 0,
    offset: 4096, bytes: '' }, { kind: 'remap', gpa: 0, to: { kind: 'teleport' } },
  { kind: 'thim', source: 'mine' }, { kind: 'guest_message', mode: 'drop' },
  { kind: 'wait', ms: -1 }, { kind: 'attest' }]) {
    assert.is(errorCode(() => parseHostAction(action)), 'HOST_BAD_INPUT', JSON.stringify(action));
  }
});

test('world/attestation: attestation steps snapshot, restore and replay like the others', () => {
  const { world, cut } = afterAttest();
  const restored = restore(snapshot(world), world.store);
  assert.is(fingerprint(restored), fingerprint(world));
  const again = [{ kind: 'replay_report' } as HostAction, cut.attest];
  const a = runActions(world, again);
  const b = runActions(restored, again);
  assert.is(fingerprint(a.world), fingerprint(b.world));
  assert.equal(a.results, b.results);
  const start = generatedWorld(1);
  const actions = [...cut.actions.slice(0, cut.actions.indexOf(cut.attest) + 1),
    { kind: 'remap', gpa: KEYRING_GPA, to: { kind: 'swap', gpa: KEYRING_GPA + 0x1000 } } as
      HostAction, ...again];
  const run = runActions(start, actions);
  const replayed = replay(traceJsonl(start, run.events, run.world));
  assert.ok(replayed.matches, `differing events: ${replayed.differingEvents}`);
  assert.is(hexBytes(replayed.fingerprint).length, 32);
});

/** Shared policies with containers (the rows of SOURCES.md that load as policies). */
function sharedPolicyRows() {
  return readSourcesTable(shared('policies')).filter((row) => row.hostData !== undefined)
    .filter((row) => {
      const text = readFileSync(shared('policies', row.file), 'utf8');
      return /"layers"/.test(text) && !/@@/.test(text) && !/platform_rules/.test(text)
        && !row.file.endsWith('.json') && !row.file.includes('fragment');
    });
}

sharedTest('world/attestation: shared policies — the key is bound to the recorded HOST_DATA and '
  + 'attestation follows the deployment', () => {
  const table: string[] = [];
  const rows = sharedPolicyRows();
  assert.ok(rows.length > 0, 'SOURCES.md lists policies with containers');
  for (const row of rows) {
    const world = sharedPolicyWorld(row.file);
    assert.is(world.config.policy, row.hostData, `${row.file}: HOST_DATA = SHA-256(policy)`);
    const key = world.state.attestation.broker.keys['container-key']!;
    const hostdata = key.releasePolicy.anyOf[0]!.conditions
      .find((c) => c.claim === 'x-ms-sevsnpvm-hostdata');
    assert.is(hostdata?.equals, row.hostData, `${row.file}: the release policy names its hash`);
    const run = deployBenign(world);
    const at = run.rows.findIndex((r) => r.note.startsWith('attest'));
    if (at < 0) {
      table.push(`${row.file}: no deployable workload container`);
      continue;
    }
    const attest = run.actions[at]! as Extract<HostAction, { kind: 'attest' }>;
    const before = runActions(world, run.actions.slice(0, at)).world;
    const phase = before.state.guest?.containers[attest.container]?.value ?? 'none';
    const result = run.rows[at]!.result;
    if (phase === 'running') {
      assert.is(result.outcome, 'ok', `${row.file}: ${result.reason}`);
      const last = relayed(runActions(before, [attest]).world);
      assert.is(payload(last.token!)['x-ms-sevsnpvm-hostdata'], row.hostData, row.file);
    } else {
      assert.is(result.stoppedBy, 'state', `${row.file}: only the deployment stops it`);
      assert.match(result.reason, /not running/);
    }
    table.push(`${row.file}: container ${phase}; attest ${result.outcome}`
      + `${result.outcome === 'ok' ? '' : ` (${result.reason.slice(0, 50)})`}`);
  }
  if (process.env['PARMA_SIM_WORLD_TABLE'] !== undefined) console.log(table.join('\n'));
  // Not vacuous: real policies whose workloads run (policy_attestation, cri-containerd, the
  // simulator's sample) complete the whole attest → token → release flow.
  assert.ok(table.filter((line) => line.endsWith('attest ok')).length >= 3, table.join('\n'));
});

test.run();
