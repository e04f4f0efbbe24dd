/**
 * Goal: `parma-sim dmverity format` is a drop-in for the real `veritysetup format` (cryptsetup-bin,
 * which .ci/run installs): on generated images and parameters both print the same lines and leave
 * the same bytes on the hash device; what one refuses the other refuses. Layer images built by
 * parma-sim are valid dm-verity devices to `veritysetup verify`, and parma-sim's root hash is the
 * one veritysetup accepts.
 * Method: fast-check samples cases from a fixed seed (sizes with partial blocks, every hash
 * algorithm, both hash types, block sizes 512..65536, salts of 0..256 bytes, superblock or not,
 * hash offsets, the tree appended to the data device, --data-blocks); each case runs veritysetup
 * and the CLI in two directories and compares stdout (the directory names swapped) and every byte
 * of the devices. Skipped when veritysetup is absent, except in CI, where that is a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../sim/kernel/bytes.js';
import { buildLayerImage } from '../../models/guest/layer-image.js';
import { runCli, spawnCli } from '../support/cli.js';
import { testWith } from '../support/requires.js';

/** A test against the real veritysetup: skipped (and counted) without it; .ci/run has it. */
const live = (name: string, body: () => Promise<void> | void): void =>
  testWith('veritysetup', name, body);

let workdir = '';
test.before(() => { workdir = mkdtempSync(join(tmpdir(), 'parma-sim-veritysetup-')); });
test.after(() => { rmSync(workdir, { recursive: true, force: true }); });

type Case = Readonly<{
  dataBytes: number; seedByte: number; flags: readonly string[]; appended: boolean;
}>;

const BLOCK_SIZES = [512, 1024, 2048, 4096, 8192, 65536] as const;
const HASHES = ['sha256', 'sha1', 'sha224', 'sha384', 'sha512', 'sha3-256', 'sha3-512',
  'blake2b-512', 'SHA256'] as const;

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  blocks: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constantFrom(1, 2, 8, 64, 128, 129, 257)),
  extra: fc.integer({ min: 0, max: 4095 }),
  seedByte: fc.integer({ min: 0, max: 255 }),
  hash: fc.constantFrom(...HASHES),
  format: fc.constantFrom('0', '1'),
  dbs: fc.constantFrom(...BLOCK_SIZES),
  hbs: fc.constantFrom(...BLOCK_SIZES),
  salt: fc.oneof(fc.constant('-'), fc.uint8Array({ minLength: 1, maxLength: 256 }).map(toHex)),
  uuid: fc.uuid(),
  superblock: fc.boolean(),
  appended: fc.boolean(),
  hashOffsetBlocks: fc.integer({ min: 0, max: 3 }),
  dataBlocksLess: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
}).map((c) => {
  const dataBytes = c.blocks * 1024 + c.extra;
  const deviceBlocks = Math.floor(dataBytes / c.dbs);
  const dataBlocks = c.dataBlocksLess === undefined ? undefined
    : Math.max(1, deviceBlocks - c.dataBlocksLess);
  const flags = [`--hash=${c.hash}`, `--format=${c.format}`, `--data-block-size=${c.dbs}`,
    `--hash-block-size=${c.hbs}`, `--salt=${c.salt}`, `--uuid=${c.uuid}`];
  if (!c.superblock) flags.push('--no-superblock');
  if (dataBlocks !== undefined) flags.push(`--data-blocks=${dataBlocks}`);
  const usedBytes = (dataBlocks ?? deviceBlocks) * c.dbs;
  // Appended without a superblock, the tree starts at the hash block below the offset: keep the
  // offset on a hash block so it does not reach back into the data (see formatVerity).
  const align = c.superblock ? 4096 : Math.max(4096, c.hbs);
  const base = c.appended ? Math.ceil(usedBytes / align) * align : 0;
  const offset = base + c.hashOffsetBlocks * (c.superblock ? 512 : c.hbs);
  if (offset !== 0) flags.push(`--hash-offset=${offset}`);
  return { dataBytes, seedByte: c.seedByte, flags, appended: c.appended };
});

const CASES = fc.sample(caseArbitrary, { seed: 20260601, numRuns: 48 });

function imageOf(c: Case): Uint8Array {
  const out = new Uint8Array(c.dataBytes);
  for (let i = 0; i < out.length; i++) out[i] = (i * 131 + c.seedByte + (i >>> 12)) & 0xff;
  return out;
}

type Outcome = Readonly<{ code: number; stdout: string; data: Buffer; hash: Buffer | null }>;

function readOutcome(dir: string, code: number, stdout: string, appended: boolean): Outcome {
  const hashPath = join(dir, 'hash.img');
  let hash: Buffer | null = null;
  if (!appended) {
    try { hash = readFileSync(hashPath); } catch { hash = null; }
  }
  return { code, stdout, data: readFileSync(join(dir, 'data.img')), hash };
}

async function runBoth(c: Case, index: number): Promise<{ theirs: Outcome; ours: Outcome }> {
  const theirsDir = join(workdir, `case-${index}-veritysetup`);
  const oursDir = join(workdir, `case-${index}-parma`);
  const image = imageOf(c);
  for (const dir of [theirsDir, oursDir]) {
    mkdirSync(dir);
    writeFileSync(join(dir, 'data.img'), image);
  }
  const devices = (dir: string): string[] =>
    [join(dir, 'data.img'), join(dir, c.appended ? 'data.img' : 'hash.img')];
  const real = spawnSync('veritysetup', ['format', ...c.flags, ...devices(theirsDir)],
    { encoding: 'utf8' });
  const sim = await runCli(['dmverity', 'format', ...c.flags, ...devices(oursDir)]);
  return {
    theirs: readOutcome(theirsDir, real.status ?? -1, real.stdout, c.appended),
    ours: readOutcome(oursDir, sim.code, sim.stdout.replaceAll(oursDir, theirsDir), c.appended),
  };
}

live('guest/dm-verity + veritysetup: 48 generated cases give the same stdout and device bytes, '
  + 'or both refuse', async () => {
  let formatted = 0;
  for (const [index, c] of CASES.entries()) {
    const { theirs, ours } = await runBoth(c, index);
    const what = `case ${index}: ${c.flags.join(' ')} (${c.dataBytes} bytes)`;
    assert.is(ours.code === 0, theirs.code === 0, `${what}: both succeed or both refuse`);
    if (theirs.code !== 0) {
      assert.ok([2, 30].includes(ours.code), `${what}: refused as usage (2) or malformed (30)`);
      continue;
    }
    assert.is(ours.stdout, theirs.stdout, `${what}: stdout`);
    assert.ok(ours.data.equals(theirs.data), `${what}: data device bytes`);
    assert.ok(ours.hash === null ? theirs.hash === null : theirs.hash !== null
      && ours.hash.equals(theirs.hash), `${what}: hash device bytes`);
    formatted++;
  }
  assert.ok(formatted >= 30, `most cases format (${formatted} of ${CASES.length})`);
});

const REFUSED: readonly (readonly [string, readonly string[], number])[] = [
  ['a salt that is not hex', ['--salt=xyz'], 2],
  ['a salt over 256 bytes', [`--salt=${'00'.repeat(257)}`], 2],
  ['an unknown hash', ['--hash=md9'], 2],
  ['a block size that is not a power of two', ['--data-block-size=3000'], 2],
  ['hash type 2', ['--format=2'], 2],
  ['a superblock offset not a multiple of 512', ['--hash-offset=100'], 2],
  ['more data blocks than the device holds', ['--data-blocks=100'], 30],
  ['a superblock inside an I/O block past the end of a new hash device',
    ['--hash-block-size=1024', '--hash-offset=1536', '--data-blocks=1'], 30],
];

for (const [index, [what, flags, exit]] of REFUSED.entries()) {
  live(`guest/dm-verity + veritysetup: both refuse ${what}; parma-sim exits ${exit}`, async () => {
    const dir = join(workdir, `refused-${index}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'data.img'), new Uint8Array(37 * 4096).fill(7));
    const devices = [join(dir, 'data.img'), join(dir, 'hash.img')];
    const real = spawnSync('veritysetup', ['format', ...flags, ...devices], { encoding: 'utf8' });
    assert.is.not(real.status, 0, `veritysetup refuses: ${real.stdout}`);
    const sim = await runCli(['dmverity', 'format', ...flags, ...devices]);
    assert.is(sim.code, exit, sim.stderr);
    assert.is(sim.stdout, '');
  });
}

live('guest/dm-verity + veritysetup: the tree over the data device itself overlapping the data '
  + 'is refused by both', async () => {
  const dir = join(workdir, 'overlap');
  mkdirSync(dir);
  const data = join(dir, 'data.img');
  writeFileSync(data, new Uint8Array(37 * 4096));
  const flags = ['--salt=00', '--hash-offset=4096', data, data];
  assert.is.not(spawnSync('veritysetup', ['format', ...flags]).status, 0);
  const sim = spawnCli(['dmverity', 'format', ...flags]);
  assert.is(sim.code, 30, sim.stderr);
  assert.match(sim.stderr, 'overlaps');
});

live('guest/layer-image + veritysetup: veritysetup verify accepts a built layer under the root '
  + 'parma-sim reports, and rejects it after one byte changes', () => {
  const enc = new TextEncoder();
  const layer = buildLayerImage({
    '/etc/passwd': { kind: 'file', content: enc.encode('root:x:0:0:root:/root:/bin/sh\n') },
    '/etc/group': { kind: 'file', content: enc.encode('root:x:0:\n') },
    '/usr/bin/app': { kind: 'file', content: new Uint8Array(70_000).fill(0x5a), mode: 0o755 },
  });
  const path = join(workdir, 'layer.img');
  writeFileSync(path, layer.image);
  const offset = `--hash-offset=${layer.dataBlocks * 4096}`;
  const verify = (root: string): number | null =>
    spawnSync('veritysetup', ['verify', offset, path, path, root]).status;
  assert.is(verify(layer.rootHash), 0, 'the root hash parma-sim reports');
  const dump = spawnSync('veritysetup', ['dump', offset, path], { encoding: 'utf8' });
  assert.match(dump.stdout, `Data blocks:     \t${layer.dataBlocks}\n`);
  assert.match(dump.stdout, `Salt:            \t${'00'.repeat(32)}\n`);
  const tampered = layer.image.slice();
  tampered[5 * 4096 + 17]! ^= 1;
  writeFileSync(path, tampered);
  assert.is.not(verify(layer.rootHash), 0, 'one changed content byte');
});

test.run();
