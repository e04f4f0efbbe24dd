/**
 * Goal: `parma-sim dmverity` behaves as a command should for a new user: help exits 0, every bad
 * flag is one line on stderr with exit 2, a device it cannot use exits 30, a file it cannot read
 * exits 40, never a stack trace; `roothash` finds the superblock of a layer image by itself.
 * Method: the CLI in-process for the codes, as a real child process for what a shell sees; the
 * expected root of a layer image is buildLayerImage's, which `veritysetup verify` accepts in
 * dm-verity-veritysetup.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildLayerImage } from '../../models/guest/layer-image.js';
import { runCli, spawnCli } from '../support/cli.js';

let dir = '';
test.before(() => { dir = mkdtempSync(join(tmpdir(), 'parma-sim-dmverity-cli-')); });
test.after(() => { rmSync(dir, { recursive: true, force: true }); });

const data = (): string => {
  const path = join(dir, 'data.img');
  writeFileSync(path, new Uint8Array(8 * 4096).fill(3));
  return path;
};

test('dmverity cli: --help of the group and of each subcommand exits 0 and names the flags',
  async () => {
    const group = await runCli(['dmverity', '--help']);
    assert.is(group.code, 0);
    assert.match(group.stdout, 'format');
    assert.match(group.stdout, 'roothash');
    const format = await runCli(['dmverity', 'format', '--help']);
    assert.is(format.code, 0);
    for (const flag of ['--hash', '--data-block-size', '--hash-block-size', '--format', '--salt',
      '--uuid', '--data-blocks', '--hash-offset', '--no-superblock']) {
      assert.match(format.stdout, flag);
    }
    assert.is((await runCli(['dmverity', 'roothash', '-h'])).code, 0);
  });

const USAGE_ERRORS: readonly (readonly string[])[] = [
  [], ['nope'], ['format'], ['format', 'only-one'], ['format', '--bogus', 'a', 'b'],
  ['format', '--salt=abc', 'a', 'b'], ['format', '--uuid=not-a-uuid', 'a', 'b'],
  ['format', '--hash=md4', 'a', 'b'], ['format', '--data-block-size=4095', 'a', 'b'],
  ['format', '--hash-block-size=1048576', 'a', 'b'], ['format', '--format=2', 'a', 'b'],
  ['format', '--data-blocks=-1', 'a', 'b'], ['format', '--hash-offset=12', 'a', 'b'],
  ['roothash'], ['roothash', 'a', 'b', 'c'], ['roothash', '--hash-offset=x', 'a'],
  ['roothash', '--hash-offset=100', 'a'],
];

test('dmverity cli: each bad command line exits 2 with the reason on stderr and nothing on stdout',
  async () => {
    for (const argv of USAGE_ERRORS) {
      const result = await runCli(['dmverity', ...argv]);
      assert.is(result.code, 2, `${argv.join(' ')}: ${result.stderr}`);
      if (argv.length > 0) assert.is(result.stdout, '', argv.join(' '));
    }
  });

test('dmverity cli: an unreadable data device exits 40; an empty one exits 30', async () => {
  const missing = await runCli(['dmverity', 'format', join(dir, 'absent.img'), join(dir, 'h')]);
  assert.is(missing.code, 40, missing.stderr);
  assert.match(missing.stderr, 'absent.img');
  const empty = join(dir, 'empty.img');
  writeFileSync(empty, new Uint8Array(0));
  const refused = await runCli(['dmverity', 'format', empty, join(dir, 'empty.hash')]);
  assert.is(refused.code, 30, refused.stderr);
  assert.match(refused.stderr, 'GUEST_VERITY_BAD_PARAMS');
});

test('dmverity cli: roothash of bytes with no filesystem or superblock exits 30 as a process, '
  + 'without a stack trace', () => {
  const path = join(dir, 'noise.img');
  writeFileSync(path, new Uint8Array(20_000).fill(0x42));
  for (const argv of [[path], [path, '--hash-offset=4096'], [path, '--hash-offset=40960']]) {
    const result = spawnCli(['dmverity', 'roothash', ...argv]);
    assert.is(result.code, 30, `${argv.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, 'GUEST_VERITY_BAD_SUPERBLOCK');
    assert.not.match(result.stderr, '    at ');
  }
});

test('dmverity cli: roothash finds a layer image\'s superblock from its header and prints the '
  + 'root hash the layer was built with', async () => {
  const layer = buildLayerImage({ '/etc/passwd': { kind: 'file',
    content: new TextEncoder().encode('root:x:0:0::/root:/bin/sh\n') } });
  const path = join(dir, 'layer.img');
  writeFileSync(path, layer.image);
  const result = await runCli(['dmverity', 'roothash', path]);
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout, `${layer.rootHash}\n`);
});

test('dmverity cli: format without --salt or --uuid is reproducible (zero salt, derived UUID)',
  async () => {
    const input = data();
    const first = await runCli(['dmverity', 'format', input, join(dir, 'r1.hash')]);
    const second = await runCli(['dmverity', 'format', input, join(dir, 'r2.hash')]);
    assert.is(first.code, 0, first.stderr);
    assert.is(first.stdout.replace('r1.hash', 'r2.hash'), second.stdout);
    assert.match(first.stdout, `Salt:            \t${'00'.repeat(32)}\n`);
  });

test.run();
