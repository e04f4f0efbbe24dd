/**
 * Goal: what the guest's storage costs: the dm-verity tree of a 64 MiB image against one
 * node:crypto pass over the same bytes (the physical limit) and against the real `veritysetup
 * format` as a process; the memoised rebuild; verified block reads; a layer's build, mount and
 * file read; a scratch block's seal and open.
 * Method: medians of repeated runs in one process. The tree is timed cold (memo cleared before
 * each run) and warm (a memo hit still hashes the data once for its content key). veritysetup
 * and `parma-sim dmverity format` run as whole processes on the same file when veritysetup is
 * installed. Benchmarks never assert times.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clearMemo } from '../../sim/kernel/memo.js';
import {
  buildVerityTree, formatVerity, readVerifiedBlock, verityTableFromDevice, writeVerityHashArea,
  type VerityParams,
} from '../../models/guest/dm-verity.js';
import {
  buildLayerImage, mountLayer, readLayerFile, type LayerFileTree,
} from '../../models/guest/layer-image.js';
import {
  createScratchDevice, readScratchBlock, writeScratchBlock,
} from '../../models/guest/encrypted-scratch.js';
import { medianMs, opsPerSecond, type Bench, type BenchRow } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', '..', 'sim', 'cli.js');
const MIB = 1024 * 1024;
const IMAGE_BYTES = 64 * MIB;

function image(): Uint8Array {
  const period = new Uint8Array(251);
  for (let i = 0; i < 251; i++) period[i] = (i * 31 + 7) % 251;
  const out = new Uint8Array(IMAGE_BYTES);
  for (let at = 0; at < out.length; at += 251) {
    out.set(period.subarray(0, Math.min(251, out.length - at)), at);
  }
  return out;
}

const PARAMS: VerityParams = {
  hashType: 1, hashAlgorithm: 'sha256', dataBlockSizeBytes: 4096, hashBlockSizeBytes: 4096,
  salt: new Uint8Array(32), dataBlocks: IMAGE_BYTES / 4096,
};

async function processRows(data: Uint8Array, treeMs: number): Promise<BenchRow[]> {
  if (spawnSync('veritysetup', ['--version']).status !== 0) {
    return [{ name: 'veritysetup format: not installed', value: 0, unit: 'ms' }];
  }
  const dir = mkdtempSync(join(tmpdir(), 'parma-sim-verity-bench-'));
  try {
    const input = join(dir, 'data.img');
    writeFileSync(input, data);
    const flags = ['--salt=00', '--uuid=5a1d0000-0000-4000-8000-00000000beef', input];
    const theirs = await medianMs(() => spawnSync('veritysetup',
      ['format', ...flags, join(dir, 'a.hash')]), 5);
    const ours = await medianMs(() => spawnSync(process.execPath,
      [CLI, 'dmverity', 'format', ...flags, join(dir, 'b.hash')]), 5);
    return [
      { name: 'veritysetup format 64 MiB (whole process)', value: theirs, unit: 'ms' },
      { name: 'dmverity format 64 MiB (whole process)', value: ours, unit: 'ms',
        reference: { name: 'veritysetup', value: theirs, unit: 'ms' }, ratio: ours / theirs,
        note: 'ratio = ours / veritysetup (lower is better); in-process tree '
          + `${treeMs.toFixed(0)} ms` },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readRows(data: Uint8Array): BenchRow[] {
  const result = formatVerity(data, { params: PARAMS, hashOffsetBytes: 0, superblock: true,
    sameDevice: false });
  const hash = writeVerityHashArea(new Uint8Array(0), result, 4096);
  const table = verityTableFromDevice({ data, hash }, 0);
  let block = 0;
  const reads = opsPerSecond(() => {
    readVerifiedBlock(table, { data, hash }, block);
    block = (block * 7919 + 13) % PARAMS.dataBlocks;
  });
  return [{ name: 'verified 4 KiB read, 64 MiB device (3 hashes)', value: reads, unit: 'reads/s',
    note: `${(reads * 4096 / MIB).toFixed(0)} MiB/s` }];
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function layerTree(): LayerFileTree {
  const tree: Record<string, LayerFileTree[string]> = {
    '/etc/passwd': { kind: 'file', content: text('root:x:0:0:root:/root:/bin/sh\n') },
    '/etc/group': { kind: 'file', content: text('root:x:0:\n') },
  };
  for (let i = 0; i < 100; i++) {
    tree[`/usr/lib/file-${i}`] = { kind: 'file', content: new Uint8Array(10_000).fill(i) };
  }
  return tree;
}

async function layerRows(): Promise<BenchRow[]> {
  const tree = layerTree();
  const coldMs = await medianMs(() => {
    clearMemo('guest/verity-tree');
    buildLayerImage(tree);
  }, 9);
  const layer = buildLayerImage(tree);
  const mounts = opsPerSecond(() => mountLayer(layer.image));
  const mount = mountLayer(layer.image);
  const fileReads = opsPerSecond(() => readLayerFile(mount, layer.image, '/etc/passwd'));
  return [
    { name: 'layer build, 102 files, 1 MiB (cold memo)', value: coldMs, unit: 'ms' },
    { name: 'layer mount (root from device + metadata)', value: mounts, unit: 'mounts/s' },
    { name: 'layer file read /etc/passwd (verified)', value: fileReads, unit: 'reads/s' },
  ];
}

function scratchRows(): BenchRow[] {
  const key = new Uint8Array(32).fill(7);
  const block = new Uint8Array(4096).fill(1);
  let device = createScratchDevice(64);
  let index = 0;
  const writes = opsPerSecond(() => {
    device = writeScratchBlock(device, key, index, block);
    index = (index + 1) % 64;
  });
  const reads = opsPerSecond(() => {
    readScratchBlock(device, key, index);
    index = (index + 1) % 64;
  });
  return [
    { name: 'scratch write 4 KiB (AES-256-GCM seal, 64-block device)', value: writes,
      unit: 'writes/s' },
    { name: 'scratch read 4 KiB (open + check)', value: reads, unit: 'reads/s' },
  ];
}

async function run(): Promise<readonly BenchRow[]> {
  const data = image();
  const limitMs = await medianMs(() => createHash('sha256').update(data).digest(), 7);
  const coldMs = await medianMs(() => {
    clearMemo('guest/verity-tree');
    buildVerityTree(data, PARAMS);
  }, 7);
  const warmMs = await medianMs(() => buildVerityTree(data, PARAMS), 7);
  return [
    { name: 'physical limit: one SHA-256 pass over 64 MiB', value: limitMs, unit: 'ms' },
    { name: 'dm-verity tree, 64 MiB, sha256 4096/4096 (cold)', value: coldMs, unit: 'ms',
      reference: { name: 'one pass', value: limitMs, unit: 'ms' }, ratio: coldMs / limitMs,
      note: 'ratio = tree / one pass (lower is better; 16 K + 129 hashes of 4 KiB + salt)' },
    { name: 'dm-verity tree, 64 MiB, memo hit (content key)', value: warmMs, unit: 'ms',
      reference: { name: 'one pass', value: limitMs, unit: 'ms' }, ratio: warmMs / limitMs },
    ...await processRows(data, coldMs),
    ...readRows(data),
    ...await layerRows(),
    ...scratchRows(),
  ];
}

export const benches: Bench[] = [{ name: 'guest storage: dm-verity, layer images, scratch', run }];
