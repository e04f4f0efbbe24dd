/**
 * Goal: a layer image holds its files exactly, is content-addressed (same files → same bytes →
 * same root hash), gives the guest its root hash from the device itself, serves every file read
 * through dm-verity (a block changed after mount is a read error, never other bytes), and its
 * decoder refuses every malformed image with a typed GUEST_LAYER_* error.
 * Method: expected file contents are the inputs; hostile images are made by editing valid ones
 * (fields patched through the layout tables, bytes flipped by fast-check with fixed seeds). The
 * canonical-encoding law (an accepted image re-encodes to exactly its own bytes) makes "every
 * malformed image is refused" checkable on arbitrary mutations.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { roundTrip } from '../../sim/kernel/codec.js';
import { errorCode, SimError } from '../../sim/kernel/errors.js';
import { decodeLayout, encodeLayout } from '../../sim/kernel/layout.js';
import {
  LAYER_ENTRY, LAYER_HEADER, buildLayerImage, decodeLayerFilesystem, encodeLayerFilesystem,
  mountLayer, readLayerFile, readLayerRootHash, statLayerPath, type LayerFileTree,
} from '../../models/guest/layer-image.js';
import { VERITY_SUPERBLOCK, encodeVeritySuperblock, decodeVeritySuperblock }
  from '../../models/guest/dm-verity.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

const BUSYBOX_LIKE: LayerFileTree = {
  '/etc/passwd': { kind: 'file', content: text('root:x:0:0:root:/root:/bin/sh\n'
    + 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n'
    + 'app:x:1000:1000::/home/app:\n') },
  '/etc/group': { kind: 'file', content: text('root:x:0:\nnogroup:x:65534:\napp:x:1000:\n') },
  '/bin/sh': { kind: 'file', content: new Uint8Array(9000).map((_, i) => (i * 7) & 0xff),
    mode: 0o755 },
  '/home/app': { kind: 'dir', mode: 0o750, uid: 1000, gid: 1000 },
  '/home/app/.profile': { kind: 'file', content: text('export PATH=/bin\n'), uid: 1000,
    gid: 1000, mode: 0o600 },
  '/tmp': { kind: 'dir', mode: 0o1777 },
  '/empty': { kind: 'file', content: new Uint8Array(0) },
  '/srv/blocks': { kind: 'file', content: new Uint8Array(3 * 4096).fill(0xab) },
  '/usr/share/ünïcode-名前': { kind: 'file', content: text('utf-8 names\n') },
};

test('guest/layer-image: every file reads back exactly, with its mode and owner, after '
  + 'mount', () => {
  const layer = buildLayerImage(BUSYBOX_LIKE);
  const mount = mountLayer(layer.image);
  for (const [path, spec] of Object.entries(BUSYBOX_LIKE)) {
    const entry = statLayerPath(mount, path);
    assert.ok(entry !== undefined, path);
    assert.is(entry.kind, spec.kind, path);
    assert.is(entry.mode, spec.mode ?? (spec.kind === 'dir' ? 0o755 : 0o644), `${path} mode`);
    assert.is(entry.uid, spec.uid ?? 0, `${path} uid`);
    if (spec.kind === 'file') {
      assert.ok(Buffer.from(readLayerFile(mount, layer.image, path)).equals(spec.content), path);
    }
  }
});

test('guest/layer-image: parents not listed are directories 0755 owned by root, and "/" exists',
  () => {
    const mount = mountLayer(buildLayerImage(BUSYBOX_LIKE).image);
    for (const path of ['/', '/etc', '/usr', '/usr/share', '/srv']) {
      const entry = statLayerPath(mount, path);
      assert.equal(entry && { kind: entry.kind, mode: entry.mode, uid: entry.uid, gid: entry.gid },
        { kind: 'dir', mode: 0o755, uid: 0, gid: 0 }, path);
    }
    assert.is(statLayerPath(mount, '/nope'), undefined);
    assert.is(errorCode(() => readLayerFile(mount, new Uint8Array(0), '/etc')),
      'GUEST_LAYER_NO_SUCH_FILE');
  });

test('guest/layer-image: the same files in another order give the same bytes and root hash', () => {
  const a = buildLayerImage(BUSYBOX_LIKE);
  const b = buildLayerImage(Object.fromEntries(Object.entries(BUSYBOX_LIKE).reverse()));
  assert.ok(Buffer.from(a.image).equals(b.image));
  assert.equal(a.rootHash, b.rootHash);
});

test('guest/layer-image: one changed byte, mode or owner in any file changes the root hash', () => {
  const base = buildLayerImage(BUSYBOX_LIKE).rootHash;
  const variants: LayerFileTree[] = [
    { ...BUSYBOX_LIKE, '/etc/group': { kind: 'file', content: text('root:x:0:\nnogroup:x:65534:\n'
      + 'app:x:1001:\n') } },
    { ...BUSYBOX_LIKE, '/bin/sh': { kind: 'file', content: new Uint8Array(9000)
      .map((_, i) => (i * 7) & 0xff), mode: 0o4755 } },
    { ...BUSYBOX_LIKE, '/tmp': { kind: 'dir', mode: 0o1777, gid: 1 } },
    { ...BUSYBOX_LIKE, '/extra': { kind: 'dir' } },
  ];
  const roots = new Set(variants.map((v) => buildLayerImage(v).rootHash));
  assert.is(roots.size, variants.length);
  assert.not.ok(roots.has(base));
});

test('guest/layer-image: the guest reads the root hash from the device; a device whose tree was '
  + 'rebuilt under another salt reports its own (other) root hash', () => {
  const layer = buildLayerImage(BUSYBOX_LIKE);
  assert.equal(readLayerRootHash(layer.image), layer.rootHash);
  const sbAt = layer.dataBlocks * 4096;
  const superblock = decodeVeritySuperblock(layer.image.subarray(sbAt));
  const resalted = layer.image.slice();
  const salt = new Uint8Array(32).fill(1);
  resalted.set(encodeVeritySuperblock({ ...superblock, params: { ...superblock.params, salt } }),
    sbAt);
  assert.not.equal(readLayerRootHash(resalted), layer.rootHash);
  // …and it cannot even be mounted: the tree on the device was built with the zero salt.
  assert.is(errorCode(() => mountLayer(resalted)), 'GUEST_VERITY_READ_ERROR');
});

test('guest/layer-image: a superblock that is not sha256, 4096/4096, type 1 over the whole '
  + 'filesystem is refused at mount', () => {
  const layer = buildLayerImage(BUSYBOX_LIKE);
  const sbAt = layer.dataBlocks * 4096;
  const superblock = decodeVeritySuperblock(layer.image.subarray(sbAt));
  const edits = [
    { hashAlgorithm: 'sha1' }, { hashType: 0 as const }, { dataBlocks: layer.dataBlocks - 1 },
    { hashBlockSizeBytes: 1024 },
  ];
  for (const edit of edits) {
    const image = layer.image.slice();
    image.set(encodeVeritySuperblock({ ...superblock, params: { ...superblock.params, ...edit } }),
      sbAt);
    assert.is(errorCode(() => mountLayer(image)), 'GUEST_VERITY_BAD_SUPERBLOCK',
      JSON.stringify(edit));
  }
  const noSuperblock = layer.image.slice();
  noSuperblock.fill(0, sbAt, sbAt + 4096);
  assert.is(errorCode(() => readLayerRootHash(noSuperblock)), 'GUEST_VERITY_BAD_SUPERBLOCK');
});

test('guest/layer-image: a content block changed after mount makes that file a read error; the '
  + 'other files still read exactly', () => {
  const layer = buildLayerImage(BUSYBOX_LIKE);
  const mount = mountLayer(layer.image);
  const target = statLayerPath(mount, '/srv/blocks')!;
  const tampered = layer.image.slice();
  tampered[(target.firstBlock + 1) * 4096 + 5]! ^= 0xff;
  assert.is(errorCode(() => readLayerFile(mount, tampered, '/srv/blocks')),
    'GUEST_VERITY_READ_ERROR');
  const passwd = BUSYBOX_LIKE['/etc/passwd']!;
  assert.ok(passwd.kind === 'file' && Buffer.from(readLayerFile(mount, tampered, '/etc/passwd'))
    .equals(passwd.content));
});

test('guest/layer-image (property, seed 7): a byte flipped anywhere in the image after build '
  + 'never yields other file bytes: mount fails typed, or every read is exact or a read error',
() => {
  const layer = buildLayerImage(BUSYBOX_LIKE);
  const files = Object.entries(BUSYBOX_LIKE).filter(([, s]) => s.kind === 'file');
  fc.assert(fc.property(fc.nat(layer.image.length - 1), fc.integer({ min: 1, max: 255 }),
    (at, mask) => {
      const image = layer.image.slice();
      image[at]! ^= mask;
      let mount;
      try {
        mount = mountLayer(image);
      } catch (error) {
        assert.ok(error instanceof SimError && error.code.startsWith('GUEST_'), String(error));
        return;
      }
      // A changed tree block can give the device another root hash (mount_device then judges
      // it); under whichever root it is mounted, no read returns other bytes.
      let failed = 0;
      for (const [path, spec] of files) {
        try {
          const read = readLayerFile(mount, image, path);
          assert.ok(spec.kind === 'file' && Buffer.from(read).equals(spec.content), path);
        } catch (error) {
          assert.ok(error instanceof SimError && error.code === 'GUEST_VERITY_READ_ERROR');
          failed++;
        }
      }
      if (at < layer.dataBlocks * 4096) assert.ok(failed > 0, 'a changed content block fails');
    }), { seed: 7, numRuns: 300 });
});

test('guest/layer-image: the decoder gives back the normalised tree of any generated layer '
  + '(property, seed 11)', () => {
  const name = fc.stringMatching(/^[a-zA-Z0-9._-]{1,12}$/).filter((n) => n !== '.' && n !== '..');
  const node = fc.oneof(
    fc.record({ kind: fc.constant('file' as const), content: fc.uint8Array({ maxLength: 9000 }),
      mode: fc.integer({ min: 0, max: 0o7777 }), uid: fc.nat(70000), gid: fc.nat(70000) }),
    fc.record({ kind: fc.constant('dir' as const), mode: fc.integer({ min: 0, max: 0o7777 }) }));
  const tree = fc.dictionary(fc.array(name, { minLength: 1, maxLength: 3 })
    .map((parts) => `/d/${parts.join('/')}`), node, { maxKeys: 12 })
    .filter((t) => Object.keys(t).every((p) => Object.keys(t).every((q) =>
      !q.startsWith(`${p}/`) || t[p]!.kind === 'dir')));
  fc.assert(fc.property(tree, (files) => {
    const decoded = decodeLayerFilesystem(encodeLayerFilesystem(files));
    for (const [path, spec] of Object.entries(files)) {
      const got = decoded[path];
      assert.ok(got !== undefined && got.kind === spec.kind, path);
      assert.is(got.mode, spec.mode, path);
      if (spec.kind === 'file' && got.kind === 'file') {
        assert.ok(Buffer.from(got.content).equals(spec.content), path);
        assert.is(got.uid, spec.uid);
      }
    }
    assert.ok(Buffer.from(encodeLayerFilesystem(decoded)).equals(encodeLayerFilesystem(files)));
  }), { seed: 11, numRuns: 150 });
});

test('guest/layer-image (property, seed 23): a mutated filesystem is refused with a GUEST_LAYER_* '
  + 'error, or is the canonical encoding of what it decodes to', () => {
  const filesystem = encodeLayerFilesystem(BUSYBOX_LIKE);
  const metadataBytes = 3 * 4096;   // header, entry table, name table: where mutations bite
  const mutation = fc.oneof(
    fc.array(fc.tuple(fc.nat(metadataBytes - 1), fc.nat(255)), { minLength: 1, maxLength: 3 })
      .map((edits) => ({ edits, cut: undefined })),
    fc.array(fc.tuple(fc.nat(filesystem.length - 1), fc.nat(255)), { minLength: 1, maxLength: 3 })
      .map((edits) => ({ edits, cut: undefined })),
    fc.nat(filesystem.length - 1).map((cut) => ({ edits: [] as [number, number][], cut })));
  let refused = 0;
  fc.assert(fc.property(mutation, ({ edits, cut }) => {
    const bytes = filesystem.slice(0, cut);
    for (const [at, value] of edits) bytes[at] = value;
    let decoded: LayerFileTree;
    try {
      decoded = decodeLayerFilesystem(bytes);
    } catch (error) {
      assert.ok(error instanceof SimError && error.code.startsWith('GUEST_LAYER_'), String(error));
      refused++;
      return;
    }
    assert.ok(Buffer.from(encodeLayerFilesystem(decoded)).equals(bytes), 'canonical');
  }), { seed: 23, numRuns: 400 });
  assert.ok(refused > 200, `most mutations are refused (${refused})`);
});

/** Re-encodes the filesystem of BUSYBOX_LIKE with one header or entry field changed. */
function patched(what: 'header' | number, field: string, value: unknown): Uint8Array {
  const bytes = encodeLayerFilesystem(BUSYBOX_LIKE);
  if (what === 'header') {
    const { value: header } = decodeLayout(LAYER_HEADER, bytes.subarray(0, 4096));
    bytes.set(encodeLayout(LAYER_HEADER, { ...header, [field]: value }), 0);
  } else {
    const at = 4096 + what * 64;
    const { value: entry } = decodeLayout(LAYER_ENTRY, bytes.subarray(at, at + 64));
    bytes.set(encodeLayout(LAYER_ENTRY, { ...entry, [field]: value }), at);
  }
  return bytes;
}

test('guest/layer-image: each malformed field is refused with its own typed error', () => {
  const fs = encodeLayerFilesystem(BUSYBOX_LIKE);
  const cases: readonly (readonly [string, Uint8Array, string])[] = [
    ['bad magic', patched('header', 'magic', text('EXT4LAYR')), 'GUEST_LAYER_BAD_HEADER'],
    ['format version 2', patched('header', 'format_version', 2), 'GUEST_LAYER_BAD_HEADER'],
    ['block size 1024', patched('header', 'block_size', 1024), 'GUEST_LAYER_BAD_HEADER'],
    ['data blocks off by one', patched('header', 'data_blocks', fs.length / 4096 + 1),
      'GUEST_LAYER_BAD_HEADER'],
    ['no entries', patched('header', 'entry_count', 0), 'GUEST_LAYER_BAD_HEADER'],
    ['a reserved header byte', (() => { const b = fs.slice(); b[4000] = 1; return b; })(),
      'GUEST_LAYER_BAD_HEADER'],
    ['truncated', fs.subarray(0, fs.length - 4096), 'GUEST_LAYER_BAD_HEADER'],
    ['kind 3', patched(2, 'kind', 3), 'GUEST_LAYER_BAD_ENTRY'],
    ['mode 0o10000', patched(2, 'mode', 0o10000), 'GUEST_LAYER_BAD_ENTRY'],
    ['a directory with content', patched(1, 'size_bytes', 1n), 'GUEST_LAYER_BAD_ENTRY'],
    ['a file not where the layout puts it', patched(2, 'first_block', 9),
      'GUEST_LAYER_BAD_ENTRY'],
    ['a name out of order', patched(2, 'name_offset', 0), 'GUEST_LAYER_BAD_ENTRY'],
    ['a reserved entry byte', (() => { const b = fs.slice(); b[4096 + 64 + 40] = 1; return b; })(),
      'GUEST_LAYER_BAD_ENTRY'],
    ['a byte after the last name',
      (() => { const b = fs.slice(); b[3 * 4096 - 1] = 1; return b; })(),
      'GUEST_LAYER_BAD_ENTRY'],
  ];
  for (const [what, bytes, code] of cases) {
    assert.is(errorCode(() => decodeLayerFilesystem(bytes)), code, what);
  }
});

test('guest/layer-image: paths that are not canonical, sorted and under directories are refused',
  () => {
    const names = (fs: Uint8Array): Uint8Array => fs.subarray(2 * 4096, 3 * 4096);
    const swapFirstLetters =
      encodeLayerFilesystem({ '/ab': { kind: 'dir' }, '/ba': { kind: 'dir' } });
    names(swapFirstLetters).set(text('/ba/ab'), 1);   // "/", "/ba", "/ab": out of order
    const dotdot = encodeLayerFilesystem({ '/xx': { kind: 'dir' } });
    names(dotdot).set(text('/..'), 1);
    const orphan = encodeLayerFilesystem({ '/a/b': { kind: 'dir' } });
    names(orphan).set(text('/c/b'), 3);                // "/", "/a", "/c/b": no /c
    for (const bytes of [swapFirstLetters, dotdot, orphan]) {
      assert.is(errorCode(() => decodeLayerFilesystem(bytes)), 'GUEST_LAYER_BAD_PATH');
    }
    for (const path of ['relative', '/a/', '/a//b', '/a/./b', '/a/../b', '/nul\0', '/\uD800x']) {
      assert.is(errorCode(() => encodeLayerFilesystem({ [path]: { kind: 'dir' } })),
        'GUEST_LAYER_BAD_PATH', JSON.stringify(path));
    }
    assert.is(errorCode(() => encodeLayerFilesystem({
      '/f': { kind: 'file', content: new Uint8Array(1) }, '/f/g': { kind: 'dir' },
    })), 'GUEST_LAYER_BAD_PATH');
    assert.is(errorCode(() => encodeLayerFilesystem({ '/f': { kind: 'dir', uid: -1 } })),
      'GUEST_LAYER_BAD_ENTRY');
  });

test('guest/layer-image: a mount is plain data that round-trips through the state codec', () => {
  const layer = buildLayerImage(BUSYBOX_LIKE);
  const mount = mountLayer(layer.image);
  const copy = roundTrip(mount);
  assert.equal(copy, mount);
  assert.ok(Buffer.from(readLayerFile(copy, layer.image, '/etc/group')).equals(
    (BUSYBOX_LIKE['/etc/group'] as { content: Uint8Array }).content));
  assert.is(VERITY_SUPERBLOCK.sizeBytes, 512);
});

test.run();
