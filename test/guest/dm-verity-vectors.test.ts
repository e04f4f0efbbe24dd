/**
 * Goal: `parma-sim dmverity format` does what `veritysetup format` 2.6.1 did for every vector in
 * ../shared/testdata/vectors/dm-verity.json (36: default, hcsshim and variant parameter sets, 1 to
 * 65536 blocks, and the two tar2ext4 layers), and `dmverity roothash` reads the same root hash back
 * from the written device, as hcsshim's guest does.
 * Method: each vector's recorded argv runs through the CLI in-process on its input (shipped, or
 * rebuilt from its recipe and checked against the recorded sha256) in a temp dir. Judged against
 * the recorded veritysetup output: the root hash, data and hash block counts, salt and UUID lines,
 * and the SHA-256 and size of the tree bytes (also hcsshim's MerkleTree bytes, where the vector
 * says hcsshim agrees with veritysetup). For tar2ext4 layers, `roothash IMAGE` (superblock
 * located through the ext4 superblock) must print hcsshim's ConvertAndComputeRootDigest value.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../support/cli.js';
import { shared, sharedTest, sharedTests } from '../support/requires.js';
import { loadVerityVectors, sha256Hex, vectorImage, type VerityVector } from './verity-vectors.js';

const SUITE = 'guest/dm-verity-vectors';
let loaded: readonly VerityVector[] | undefined;
const vectors = (): readonly VerityVector[] => loaded ??= loadVerityVectors();
let workdir = '';

test.before(() => { workdir = mkdtempSync(join(tmpdir(), 'parma-sim-verity-vectors-')); });
test.after(() => { rmSync(workdir, { recursive: true, force: true }); });

/** The recorded argv with the two device names made absolute inside `dir`. */
function argvIn(vector: VerityVector, dir: string): { argv: string[]; data: string; hash: string } {
  const args = [...vector.veritysetup_args];
  const data = join(dir, args.at(-2)!);
  const hash = join(dir, args.at(-1)!);
  return { argv: ['dmverity', ...args.slice(0, -2), data, hash], data, hash };
}

function line(stdout: string, label: string): string | undefined {
  return stdout.split('\n').find((l) => l.startsWith(label))?.slice(label.length);
}

async function checkVector(vector: VerityVector): Promise<void> {
  const dir = join(workdir, vector.id);
  mkdirSync(dir);
  const { argv, data, hash } = argvIn(vector, dir);
  writeFileSync(data, vectorImage(vector, shared('vectors', 'inputs')));
  assert.is(existsSync(hash), data === hash, 'a separate hash device starts absent');
  const result = await runCli(argv);
  assert.is(result.code, 0, result.stderr);
  assert.is(line(result.stdout, 'Root hash:      \t'), vector.expected_root_hex, 'root hash');
  assert.is(line(result.stdout, 'Data blocks:     \t'), String(vector.params.data_blocks));
  assert.is(line(result.stdout, 'Salt:            \t'), vector.params.salt_hex || '-');
  const uuid = vector.veritysetup_args.find((a) => a.startsWith('--uuid='))?.slice(7);
  const uuidLine = line(result.stdout, 'UUID:            \t');
  if (!vector.params.superblock) assert.is(uuidLine, '', 'no superblock, no UUID');
  else if (uuid !== undefined) assert.is(uuidLine, uuid, 'the UUID asked for');
  else assert.match(uuidLine ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-/);
  const hashDevice = new Uint8Array(readFileSync(hash));
  if (vector.hash_tree_size !== undefined) {
    assert.is(line(result.stdout, 'Hash blocks:     \t'), String(vector.hash_blocks));
    const hbs = vector.params.hash_block_size;
    const sbEnd = vector.params.hash_offset_bytes + (vector.params.superblock ? 512 : 0);
    const treeStart = Math.ceil(sbEnd / hbs) * hbs;   // cryptsetup VERITY_hash_offset_block
    const tree = hashDevice.subarray(treeStart, treeStart + vector.hash_tree_size);
    assert.is(tree.length, vector.hash_tree_size, 'the whole tree is on the hash device');
    assert.is(sha256Hex(tree), vector.hash_tree_sha256, 'tree bytes');
    if (vector.hcsshim_agrees_with_veritysetup === true) {
      assert.is(sha256Hex(tree), vector.hcsshim_tree_sha256, "hcsshim's MerkleTree bytes too");
    }
  }
  if (!vector.params.superblock) return;
  const appended = data === hash;
  const roothashArgv = vector.id.startsWith('tar2ext4-') ? [data]
    : appended ? [data, '--hash-offset', String(vector.params.hash_offset_bytes)] : [data, hash];
  const read = await runCli(['dmverity', 'roothash', ...roothashArgv]);
  assert.is(read.code, 0, read.stderr);
  assert.is(read.stdout, `${vector.expected_root_hex}\n`, 'root hash read back from the device');
}

sharedTest(`${SUITE}: the file holds the 36 documented vectors, ids unique`, () => {
  assert.is(vectors().length, 36);
  assert.is(new Set(vectors().map((v) => v.id)).size, 36);
});

sharedTests(`${SUITE}: each vector's root hash and tree, written and read back`, () => {
  for (const vector of vectors()) {
    test(`guest/dm-verity vector ${vector.id}: dmverity format prints veritysetup's root hash `
      + 'and writes its tree; roothash reads it back from the device', () => checkVector(vector));
  }
});

test.run();
