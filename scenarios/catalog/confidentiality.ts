/**
 * Goal: confidentiality and integrity of user data against the host (issue 10 §3, Parma's
 * guarantees, DESIGN invariant I6): the host reads the scratch disk, guest memory (VMPCK0 in the
 * secrets page) or the key released to a container; the host rewrites a scratch block.
 * Method: the benign deployment runs (through the key release where the secret is the key);
 * the host then looks at everything it can see — the world's host-visible view (DRAM as the
 * host reads it, its disks, the relayed attestation traffic; sim/world-view.ts) — for the
 * secret's bytes. The adaptive host tries the weaker setup first (unencrypted scratch) and
 * falls back when it is refused. Relaxed runs are the setups that really expose the secret: a
 * policy allowing unencrypted scratch, a guest launched with DEBUG (SNP_DBG_DECRYPT) and a key
 * whose release policy does not mind.
 * Invariants: the verdict comes from the host's view only, never from the guest's plaintext
 * state; a secret "found" is an exact byte match.
 */
import { assert } from '../../sim/kernel/assert.js';
import { hexBytes } from '../../sim/kernel/bytes.js';
import { readDiskBlock } from '../../models/host/storage.js';
import { guestContextOf } from '../../models/snp/launch/launch-context.js';
import { hostVisibleView } from '../../sim/world-view.js';
import type { World } from '../../sim/world.js';
import { allowed, blocked, defineScenario, type Outcome, type Scenario } from '../dsl.js';
import { outcomeOfStep, type ScenarioContext, type WorldDriver } from '../context.js';
import { editSettings } from '../host-actions.js';
import { standardWorkload } from '../workloads.js';
import { runThroughInit } from './paper.js';

const KEYRING_GPA = 0xa0_0000;
const DEBUG_POLICY = '0xb0000';

/** The names of the host-visible blobs that contain `secret`. */
export function hostSees(world: World, secret: Uint8Array): string[] {
  assert(secret.length >= 8, 'a secret long enough to match by accident only never');
  const needle = Buffer.from(secret);
  return hostVisibleView(world).filter((blob) => Buffer.from(blob.bytes).includes(needle))
    .map((blob) => blob.name);
}

/** Mount the scratch unencrypted if the policy lets it, else as the shim does. */
function adaptiveScratch(w: WorldDriver): boolean {
  const mount = w.runTo('mount the encrypted scratch');
  const plain = w.act(editSettings(mount, (s) => { delete s['Encrypted']; }),
    'try the scratch without dm-crypt', false);
  if (plain.outcome === 'ok') {
    w.skip();
    return true;
  }
  w.runPlanned();
  return false;
}

function readsScratch(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const clear = adaptiveScratch(w);
  runThroughInit(w, 'web');
  // The marker the guest writes when web's init starts: {"pid":N,"args":[...]}.
  const marker = new TextEncoder().encode('"args":["/usr/bin/web","--port","80"]}');
  const seen = hostSees(w.world, marker);
  ctx.emit('host', 'scan', { secret: 'init.started marker', seen });
  if (seen.length > 0) return allowed(`the host reads the guest's scratch files (${seen[0]})`);
  return blocked('crypt', `the host's scratch disk holds only AES-GCM ciphertext`
    + `${clear ? '' : ' (the policy refused unencrypted scratch)'}`);
}

function tamperedScratch(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  adaptiveScratch(w);
  const init = w.runTo('run the init process of web');
  const { storage } = w.world.state.host;
  const disk = storage.disks['scratch0'];
  assert(disk !== undefined && disk.kind === 'scratch', 'the sandbox scratch disk');
  const lun = Number(Object.keys(storage.attachments).find((l) =>
    storage.attachments[l]!.disk === 'scratch0'));
  // web's config.json: the last block written before its init starts.
  const index = Math.max(...Object.keys(disk.sealed).map(Number));
  const bytes = readDiskBlock(storage, w.world.store, lun, index);
  assert(bytes instanceof Uint8Array, 'the host reads its own disk');
  bytes[0] = bytes[0]! ^ 0x01;
  w.act({ kind: 'tamper_block', disk: 'scratch0', block: Number(index),
    bytes: Buffer.from(bytes).toString('hex') }, `flip a bit of scratch block ${index}`);
  const started = w.act(init, 'start web (the guest reads its config back)');
  return started.outcome === 'ok' ? allowed('the guest took the host\'s changed block as its own')
    : outcomeOfStep(started);
}

/** Runs the benign plan through the key release and has the host try to decrypt memory. */
function afterRelease(ctx: ScenarioContext): WorldDriver {
  const w = ctx.world({ workload: standardWorkload() });
  w.runTo('attest');
  w.runPlanned();
  w.act({ kind: 'read_page', gpa: KEYRING_GPA, debug: true },
    'SNP_DBG_DECRYPT the guest\'s keyring', false);
  w.act({ kind: 'read_page', gpa: KEYRING_GPA, debug: false }, 'read the keyring page', false);
  return w;
}

function readsMemory(ctx: ScenarioContext): Outcome {
  const w = afterRelease(ctx);
  const vmpck0 = hexBytes(guestContextOf(w.world.state.launch).vmpck[0]!);
  const seen = hostSees(w.world, vmpck0);
  ctx.emit('host', 'scan', { secret: 'VMPCK0', seen });
  if (seen.length > 0) return allowed(`the host reads VMPCK0 (${seen[0]})`);
  return blocked('rmp', 'guest-private pages read as ciphertext (SEV-SNP memory encryption); '
    + 'SNP_DBG_DECRYPT refused for a guest without DEBUG');
}

function readsReleasedKey(ctx: ScenarioContext): Outcome {
  const w = afterRelease(ctx);
  const key = Object.values(w.world.state.attestation.broker.keys)[0]!;
  const released = Object.keys(w.world.state.attestation.released).length;
  const seen = hostSees(w.world, hexBytes(key.material));
  ctx.emit('host', 'scan', { secret: `released key ${key.name}`, released, seen });
  if (seen.length > 0) return allowed(`the host reads the released key (${seen[0]})`);
  const relayed = w.world.state.attestation.host.relayed.filter((r) => r.release !== null);
  return blocked('rmp', `the key sits in guest-private memory (ciphertext to the host); the `
    + `${relayed.length} release payload(s) the host relayed are wrapped to the container's key`
    + (released === 0 ? ' (no key was released)' : ''));
}

export const CONFIDENTIALITY_SCENARIOS: readonly Scenario[] = [
  defineScenario({
    name: 'host-reads-scratch', group: 'confidentiality', kind: 'attack', tags: ['scratch'],
    threat: { summary: 'the host reads the files the guest writes to the scratch disk (it '
      + 'first tries to have the scratch mounted without dm-crypt)',
    references: ['Parma paper, guarantees (dm-crypt scratch)', 'issue 10 §3 confidentiality'] },
    expected: { kind: 'blocked', layer: 'crypt', reason: 'only AES-GCM ciphertext' },
    defence: { summary: 'scratch is encrypted under a key the guest draws; the policy refuses '
      + 'unencrypted scratch', relax: [{ kind: 'policy-flags',
      flags: { allowUnencryptedScratch: true } }] },
    body: readsScratch,
  }),
  defineScenario({
    name: 'tampered-scratch-block', group: 'confidentiality', kind: 'attack',
    tags: ['scratch', 'integrity'],
    threat: { summary: 'the host flips a bit of the container\'s config on the scratch disk',
      references: ['Parma paper, guarantees (dm-integrity)', 'issue 8 canonical attacks'] },
    expected: { kind: 'blocked', layer: 'crypt', reason: 'integrity' },
    defence: { summary: 'scratch blocks are authenticated (AES-GCM, dm-crypt + dm-integrity)',
      relax: [{ kind: 'policy-flags', flags: { allowUnencryptedScratch: true } }] },
    body: tamperedScratch,
  }),
  defineScenario({
    name: 'host-reads-guest-memory', group: 'confidentiality', kind: 'attack',
    tags: ['memory', 'rmp'],
    threat: { summary: 'the host reads guest memory for VMPCK0, the key of the guest\'s '
      + 'channel to the firmware', references: ['issue 9', 'issue 10 §3 confidentiality'] },
    expected: { kind: 'blocked', layer: 'rmp', reason: 'ciphertext' },
    defence: { summary: 'guest-private pages are encrypted with the VM\'s key; the firmware '
      + 'decrypts for the host only for DEBUG guests',
    relax: [{ kind: 'launch', what: 'a guest launched with DEBUG', guestPolicy: DEBUG_POLICY }] },
    body: readsMemory,
  }),
  defineScenario({
    name: 'host-reads-released-key', group: 'confidentiality', kind: 'attack',
    tags: ['memory', 'key-release'],
    threat: { summary: 'the host looks for the key released to web: in memory and in the '
      + 'release it relayed', references: ['issue 9', 'issue 10 §3 confidentiality'] },
    expected: { kind: 'blocked', layer: 'rmp', reason: 'guest-private memory' },
    defence: { summary: 'the key is wrapped to the container\'s key and kept in private pages; '
      + 'a DEBUG guest gets no key',
    relax: [{ kind: 'launch', what: 'a guest launched with DEBUG', guestPolicy: DEBUG_POLICY },
      { kind: 'key-broker', what: 'a release policy that ignores DEBUG', change: {
        dropClaims: ['x-ms-sevsnpvm-is-debuggable', 'x-ms-compliance-status'] } }] },
    body: readsReleasedKey,
  }),
];
