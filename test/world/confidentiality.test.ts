/**
 * Goal: confidentiality is checked, not assumed (issue 9, DESIGN invariant I6): after every step
 *   of the benign run and of each canonical attack, the host-visible view (sim/world-view.ts:
 *   memory as DRAM holds it, the host's disks, guest-message pages, relayed attestation traffic)
 *   holds none of the secrets the world has had so far — VMPCKs, the VM encryption key, scratch
 *   keys, plaintext scratch, the broker's key material, the containers' private wrapping keys —
 *   in raw, hex or base64 form. The simulator's trace names none of them either. A DEBUG guest is
 *   the documented exception: the firmware decrypts its memory for the host, so its VMPCKs and
 *   scratch keys are visible — but the key broker never releases to it.
 * Method: run each scenario step by step; after each step collect the world's secrets (unioned
 *   over the run, test/world/world-secrets.ts) and scan the view (test/support/secret-scan.ts).
 *   The scan is shown to be able to fail on a planted leak.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson } from '../../sim/kernel/canonical-json.js';
import type { HostAction } from '../../models/host/adversary.js';
import { deployBenign, step, type World } from '../../sim/world.js';
import { hostVisibleView } from '../../sim/world-view.js';
import { scanForSecrets, type SecretHit } from '../support/secret-scan.js';
import { generatedWorld } from './world-support.js';
import { SecretCollector } from './world-secrets.js';

const KEYRING_GPA = 0xa0_0000;

type Scan = Readonly<{ steps: number; secrets: string[]; hits: SecretHit[]; traceHits: SecretHit[];
  world: World }>;

/** Steps `actions`, scanning the host view and the trace after each one. */
function scanRun(start: World, actions: readonly HostAction[]): Scan {
  const collector = new SecretCollector();
  let world = start;
  const hits: SecretHit[] = [];
  const traceHits: SecretHit[] = [];
  actions.forEach((action, i) => {
    const out = step(world, action);
    world = out.world;
    collector.add(world);
    const secrets = collector.all();
    for (const hit of scanForSecrets(hostVisibleView(world), secrets)) {
      hits.push({ ...hit, blob: `step ${i} (${action.kind}): ${hit.blob}` });
    }
    const trace = out.events.map((event) => ({ name: `step ${i} event ${event.type}`,
      bytes: new TextEncoder().encode(canonicalJson(event)) }));
    traceHits.push(...scanForSecrets(trace, secrets));
  });
  return { steps: actions.length, secrets: collector.names(), hits, traceHits, world };
}

function benignActions(world = generatedWorld(1)): readonly HostAction[] {
  return deployBenign(world).actions;
}

function attestIndex(actions: readonly HostAction[]): number {
  const at = actions.findIndex((action) => action.kind === 'attest');
  assert.ok(at > 0);
  return at;
}

/** The benign run with `attack` inserted right after the attestation. */
function withAttack(attack: readonly HostAction[]): readonly HostAction[] {
  const actions = benignActions();
  const at = attestIndex(actions) + 1;
  return [...actions.slice(0, at), ...attack, ...actions.slice(at)];
}

test('world/confidentiality: the benign run shows the host no secret at any step', () => {
  const scan = scanRun(generatedWorld(1), benignActions());
  assert.equal(scan.hits, []);
  assert.equal(scan.traceHits, []);
  for (const kind of ['VMPCK0', 'VEK', 'scratch key', 'scratch plaintext', 'broker key',
    'wrapping key']) {
    assert.ok(scan.secrets.some((name) => name.startsWith(kind)), `the scan looked for ${kind}`);
  }
  assert.ok(scan.steps > 30);
});

const ATTACKS: Readonly<Record<string, readonly HostAction[]>> = {
  'replayed report': [{ kind: 'replay_report' }],
  'replayed token': [{ kind: 'replay_token' }],
  'host write': [{ kind: 'write_page', gpa: KEYRING_GPA, offset: 0, bytes: '00'.repeat(16) }],
  'host read': [{ kind: 'read_page', gpa: KEYRING_GPA, debug: false },
    { kind: 'read_page', gpa: 0x80_d000, debug: true }],
  'remap': [{ kind: 'remap', gpa: KEYRING_GPA, to: { kind: 'fresh', fill: 'ab'.repeat(8) } }],
  'swapped pages': [{ kind: 'remap', gpa: KEYRING_GPA, to: { kind: 'swap',
    gpa: KEYRING_GPA + 0x1000 } }],
  'wrong THIM': [{ kind: 'thim', source: 'other_chip' }],
  'replayed guest message': [{ kind: 'guest_message', mode: 'replay' }],
  'withheld guest message': [{ kind: 'guest_message', mode: 'withhold' }],
};

test('world/confidentiality: every canonical attack, at every step, shows the host no ' +
  'secret', () => {
  const attest = benignActions()[attestIndex(benignActions())]!;
  for (const [name, attack] of Object.entries(ATTACKS)) {
    const scan = scanRun(generatedWorld(1), withAttack([...attack, attest]));
    assert.equal(scan.hits, [], name);
    assert.equal(scan.traceHits, [], name);
  }
});

test('world/confidentiality: token-window freshness lets a replay through, still wrapped to the ' +
  'container', async () => {
  // Azure's own rule: the broker honours the replay, the host relays a payload it cannot open.
  const { createWorld } = await import('../../sim/world.js');
  const { generatedWorldInputs } = await import('./world-support.js');
  const inputs = generatedWorldInputs();
  const world = createWorld({ seed: 1, policy: inputs.policy, images: inputs.images });
  const windowed: World = { ...world, state: { ...world.state, attestation: {
    ...world.state.attestation, broker: { ...world.state.attestation.broker,
      freshness: 'token-window' } } } };
  const scan = scanRun(windowed, withAttack([{ kind: 'replay_token' }]));
  assert.ok(scan.world.state.attestation.host.relayed.filter((r) => r.release !== null).length >= 2,
    'two releases relayed: the container\'s and the host\'s replay');
  assert.equal(scan.hits, []);
});

test('world/confidentiality: a DEBUG guest exposes its memory to the host, and gets no key', () => {
  const actions = benignActions().map((a): HostAction => (a.kind === 'launch'
    ? { kind: 'launch', launch: { ...a.launch, guestPolicy: '0xb0000' } } : a));
  const scan = scanRun(generatedWorld(1), actions);
  const leaked = new Set(scan.hits.map((hit) => hit.secret.replace(/ \(.*$/, '')));
  assert.ok(leaked.has('VMPCK0'), 'SNP_DBG_DECRYPT shows the secrets page');
  assert.ok(scan.hits.every((hit) => hit.blob.includes('SNP_DBG_DECRYPT')),
    'only through the firmware\'s debug decryption');
  assert.not.ok([...leaked].some((name) => name.startsWith('broker key')), 'no key was released');
  assert.is(Object.keys(scan.world.state.attestation.released).length, 0);
});

test('world/confidentiality: the scan finds a secret planted in a shared page (it can ' +
  'fail)', () => {
  const actions = benignActions();
  const at = attestIndex(actions) + 1;
  const scan = scanRun(generatedWorld(1), actions.slice(0, at));
  const material = scan.world.state.attestation.broker.keys['container-key']!.material;
  const leaked = step(scan.world, { kind: 'write_page', gpa: 0x90_0000, offset: 8,
    bytes: material });
  assert.is(leaked.result.outcome, 'ok', 'the bridge page is shared: the host may write it');
  const collector = new SecretCollector();
  collector.add(leaked.world);
  const hits = scanForSecrets(hostVisibleView(leaked.world), collector.all());
  assert.ok(hits.some((hit) => hit.secret === 'broker key container-key'), JSON.stringify(hits));
});

test.run();
