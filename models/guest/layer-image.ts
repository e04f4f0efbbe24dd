/**
 * Models: a container layer as Confidential ACI ships it — a read-only filesystem image with its
 * dm-verity superblock and hash tree appended (hcsshim `dmverity-vhd create`: ext4 | superblock |
 * tree), and the guest side that mounts it (hcsshim internal/guest: ReadVeritySuperBlock,
 * CreateVerityTarget, then reads through the verity target).
 * Real counterpart: tar2ext4's ext4 image. Here the filesystem is parma-sim's own block format
 * (below): the same role — a header block whose size field tells the guest where the verity
 * superblock is, like ext4's blocks count — with a layout small enough to decode in full.
 * Differs: no symlinks, hard links, xattrs, whiteouts or timestamps; no VHD footer (the guest
 * never sees it); the superblock UUID is derived from the root hash (dmverity-vhd draws it); the
 * decoded metadata is kept in the mount (the guest's inode cache) while file contents are read
 * through verified block reads on every read.
 * Invariants: same files → same bytes → same root hash; every path is canonical, entries are
 * strictly sorted by UTF-8 bytes, every parent is a directory entry, files are laid back to back
 * in entry order from the first block after the name table, every byte past an end is zero.
 *
 * Layout, 4096-byte blocks:
 * | blocks                       | what                                                        |
 * |------------------------------|-------------------------------------------------------------|
 * | 0                            | LAYER_HEADER                                                |
 * | 1 … E                        | entry table: entry_count × LAYER_ENTRY (64 per block)       |
 * | E+1 … E+N                    | name table: the paths' UTF-8 bytes in entry order           |
 * | E+N+1 … data_blocks−1        | file contents, each from a block boundary, in entry order   |
 * | data_blocks                  | dm-verity superblock (512 bytes, zero to the block's end)   |
 * | data_blocks+1 …              | hash tree, top level first (sha256, 4096/4096, zero salt)   |
 */
import { assert } from '../../sim/kernel/assert.js';
import { bytesEqual, isAllZero, toHex, type Hex } from '../../sim/kernel/bytes.js';
import { SimError, isInputRefusal } from '../../sim/kernel/errors.js';
import { decodeLayout, defineLayout, encodeLayout } from '../../sim/kernel/layout.js';
import {
  formatVerity, readVerifiedBlock, verityTableFromDevice, writeVerityHashArea,
  type VerityParams, type VerityTable,
} from './dm-verity.js';

export const LAYER_BLOCK_BYTES = 4096;
export const LAYER_ENTRY_BYTES = 64;
export const LAYER_ENTRIES_PER_BLOCK = LAYER_BLOCK_BYTES / LAYER_ENTRY_BYTES;
export const LAYER_FORMAT_VERSION = 1;
/** Bounds on what a layer may hold (every loop over a decoded image is bounded by them). */
export const LAYER_MAX_ENTRIES = 1 << 20;
export const LAYER_PATH_MAX_BYTES = 4095;   // PATH_MAX less the NUL
export const LAYER_NAME_MAX_BYTES = 255;    // NAME_MAX
export const LAYER_MODE_MAX = 0o7777;       // permission, setuid/setgid and sticky bits
/** The header's magic, as text: a byte array here would be shared mutable state. */
export const LAYER_MAGIC_TEXT = 'PSIMLAYR';
const layerMagic = (): Uint8Array => new TextEncoder().encode(LAYER_MAGIC_TEXT);

/** LAYER_ENTRY.kind */
export const LAYER_KIND = Object.freeze({ dir: 1, file: 2 } as const);
export type LayerKind = keyof typeof LAYER_KIND;

/** The dm-verity parameters of every layer (SOURCES.md: hcsshim `dmverity-vhd`); salt all zero. */
export const LAYER_VERITY = Object.freeze({
  hashType: 1, hashAlgorithm: 'sha256', dataBlockSizeBytes: LAYER_BLOCK_BYTES,
  hashBlockSizeBytes: LAYER_BLOCK_BYTES, saltBytes: 32,
} as const);

function layerVerityParams(dataBlocks: number): VerityParams {
  const { saltBytes, ...rest } = LAYER_VERITY;
  return { ...rest, dataBlocks, salt: new Uint8Array(saltBytes) };
}

export const LAYER_HEADER = defineLayout({
  name: 'LAYER_HEADER', sizeBytes: LAYER_BLOCK_BYTES,
  errors: { badLength: 'GUEST_LAYER_BAD_HEADER', mbzNonzero: 'GUEST_LAYER_BAD_HEADER' },
}, [
  { name: 'magic',              offsetBytes: 0x00, sizeBytes: 8,    kind: 'bytes' },
  { name: 'format_version',     offsetBytes: 0x08, sizeBytes: 4,    kind: 'u32le' },
  { name: 'block_size',         offsetBytes: 0x0c, sizeBytes: 4,    kind: 'u32le' },
  // Blocks of the filesystem, this header included: the verity superblock is the next block.
  { name: 'data_blocks',        offsetBytes: 0x10, sizeBytes: 4,    kind: 'u32le' },
  { name: 'entry_count',        offsetBytes: 0x14, sizeBytes: 4,    kind: 'u32le' },
  { name: 'entry_table_blocks', offsetBytes: 0x18, sizeBytes: 4,    kind: 'u32le' },
  { name: 'name_table_bytes',   offsetBytes: 0x1c, sizeBytes: 4,    kind: 'u32le' },
  { name: 'name_table_blocks',  offsetBytes: 0x20, sizeBytes: 4,    kind: 'u32le' },
  { name: 'content_blocks',     offsetBytes: 0x24, sizeBytes: 4,    kind: 'u32le' },
  { name: 'reserved',           offsetBytes: 0x28, sizeBytes: 4056, kind: 'mbz' },
] as const);

export const LAYER_ENTRY = defineLayout({
  name: 'LAYER_ENTRY', sizeBytes: LAYER_ENTRY_BYTES,
  errors: { badLength: 'GUEST_LAYER_BAD_ENTRY', mbzNonzero: 'GUEST_LAYER_BAD_ENTRY' },
}, [
  { name: 'kind',        offsetBytes: 0x00, sizeBytes: 1,  kind: 'u8' },
  { name: 'reserved_1',  offsetBytes: 0x01, sizeBytes: 1,  kind: 'mbz' },
  { name: 'path_bytes',  offsetBytes: 0x02, sizeBytes: 2,  kind: 'u16le' },
  { name: 'mode',        offsetBytes: 0x04, sizeBytes: 4,  kind: 'u32le' },
  { name: 'uid',         offsetBytes: 0x08, sizeBytes: 4,  kind: 'u32le' },
  { name: 'gid',         offsetBytes: 0x0c, sizeBytes: 4,  kind: 'u32le' },
  { name: 'name_offset', offsetBytes: 0x10, sizeBytes: 4,  kind: 'u32le' },
  // Files: the block their content starts at (laid back to back); directories: 0.
  { name: 'first_block', offsetBytes: 0x14, sizeBytes: 4,  kind: 'u32le' },
  { name: 'size_bytes',  offsetBytes: 0x18, sizeBytes: 8,  kind: 'u64le' },
  { name: 'reserved_2',  offsetBytes: 0x20, sizeBytes: 32, kind: 'mbz' },
] as const);
assert(LAYER_ENTRIES_PER_BLOCK === 64, 'whole entries per block');
assert(LAYER_PATH_MAX_BYTES < 0x10000, 'path_bytes is a u16');

/** What a layer is built from: a file or a directory at a path; omitted fields take defaults. */
export type LayerNodeSpec =
  | Readonly<{ kind: 'file'; content: Uint8Array; mode?: number; uid?: number; gid?: number }>
  | Readonly<{ kind: 'dir'; mode?: number; uid?: number; gid?: number }>;
/** Absolute path → node. Parent directories that are not listed are added (0755, root:root). */
export type LayerFileTree = Readonly<Record<string, LayerNodeSpec>>;

/** One decoded entry: what the guest keeps of the layer's metadata. */
export type LayerEntry = Readonly<{
  path: string; kind: LayerKind; mode: number; uid: number; gid: number;
  firstBlock: number; sizeBytes: number;
}>;

export type LayerImage = Readonly<{
  /** The device the host attaches: filesystem | verity superblock | hash tree. */
  image: Uint8Array;
  /** What a policy lists for this layer. */
  rootHash: Hex;
  dataBlocks: number;
}>;

/** A mounted layer: plain data, the device bytes stay with the host. */
export type LayerMount = Readonly<{
  table: VerityTable;
  dataBlocks: number;
  entries: readonly LayerEntry[];
}>;

const DEFAULT_MODE: Readonly<Record<LayerKind, number>> = { dir: 0o755, file: 0o644 };
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function badPath(what: string, path: string): SimError {
  return new SimError('GUEST_LAYER_BAD_PATH', { what, path: path.slice(0, 200) },
    `layer: ${what}: ${JSON.stringify(path.slice(0, 200))}`);
}

function badEntry(what: string, detail: Readonly<Record<string, unknown>>): SimError {
  return new SimError('GUEST_LAYER_BAD_ENTRY', { what, ...detail }, `layer entry: ${what}`);
}

function badHeader(what: string, detail: Readonly<Record<string, unknown>> = {}): SimError {
  return new SimError('GUEST_LAYER_BAD_HEADER', { what, ...detail }, `layer header: ${what}`);
}

/** Checks `path` is canonical: "/" or "/a/b" with no empty, "." or ".." part and no NUL. */
export function checkLayerPath(path: string, bytes: Uint8Array = utf8.encode(path)): string {
  if (bytes.length > LAYER_PATH_MAX_BYTES) throw badPath('path longer than 4095 bytes', path);
  if (utf8Strict.decode(bytes) !== path) throw badPath('path is not well-formed UTF-8', path);
  if (path === '/') return path;
  if (!path.startsWith('/') || path.endsWith('/')) throw badPath('path not absolute', path);
  for (const part of path.slice(1).split('/')) {
    if (part === '' || part === '.' || part === '..') throw badPath('path not canonical', path);
    if (part.includes('\0')) throw badPath('NUL in path', path);
    if (utf8.encode(part).length > LAYER_NAME_MAX_BYTES) throw badPath('name over 255 bytes', path);
  }
  return path;
}

function parentOf(path: string): string {
  assert(path !== '/' && path.startsWith('/'), 'parentOf: a non-root absolute path');
  const cut = path.lastIndexOf('/');
  return cut === 0 ? '/' : path.slice(0, cut);
}

function comparePathBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

type Normalised = Readonly<{
  entry: Omit<LayerEntry, 'firstBlock' | 'sizeBytes'>; pathBytes: Uint8Array;
  content: Uint8Array | null;
}>;

function checkOwnership(path: string, mode: number, uid: number, gid: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > LAYER_MODE_MAX) {
    throw badEntry('mode outside 0..0o7777', { path, mode });
  }
  for (const [name, id] of [['uid', uid], ['gid', gid]] as const) {
    if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) {
      throw badEntry(`${name} outside 0..2^32-1`, { path, [name]: id });
    }
  }
}

/** The tree with defaults filled in, implicit parents and "/" added, sorted by UTF-8 bytes. */
function normaliseTree(tree: LayerFileTree): Normalised[] {
  const byPath = new Map<string, Normalised>();
  const add = (path: string, spec: LayerNodeSpec): void => {
    const mode = spec.mode ?? DEFAULT_MODE[spec.kind];
    const uid = spec.uid ?? 0;
    const gid = spec.gid ?? 0;
    checkOwnership(path, mode, uid, gid);
    const content = spec.kind === 'file' ? spec.content : null;
    if (spec.kind === 'file') assert(content instanceof Uint8Array, 'a file has bytes');
    byPath.set(path, {
      entry: { path, kind: spec.kind, mode, uid, gid }, pathBytes: utf8.encode(path), content,
    });
  };
  const paths = Object.keys(tree);
  if (paths.length > LAYER_MAX_ENTRIES) {
    throw new SimError('SIM_LIMIT_EXCEEDED', { entries: paths.length, max: LAYER_MAX_ENTRIES },
      `layer: more than ${LAYER_MAX_ENTRIES} entries`);
  }
  for (const path of paths) add(checkLayerPath(path), tree[path]!);
  if (!byPath.has('/')) add('/', { kind: 'dir' });
  for (const path of paths) {
    for (let parent = path; parent !== '/';) {
      parent = parentOf(parent);
      const known = byPath.get(parent);
      if (known === undefined) add(parent, { kind: 'dir' });
      else if (known.entry.kind !== 'dir') throw badPath('parent is not a directory', path);
    }
  }
  if (byPath.get('/')!.entry.kind !== 'dir') throw badPath('the root is not a directory', '/');
  const sorted = [...byPath.values()].sort((a, b) => comparePathBytes(a.pathBytes, b.pathBytes));
  assert(sorted[0]!.entry.path === '/', 'the root sorts first');
  return sorted;
}

/** The filesystem blocks (the part of the device dm-verity covers) of a file tree. */
export function encodeLayerFilesystem(tree: LayerFileTree): Uint8Array {
  const nodes = normaliseTree(tree);
  const entryTableBlocks = Math.ceil(nodes.length / LAYER_ENTRIES_PER_BLOCK);
  const nameTableBytes = nodes.reduce((sum, node) => sum + node.pathBytes.length, 0);
  const nameTableBlocks = Math.ceil(nameTableBytes / LAYER_BLOCK_BYTES);
  const contentBlocks = nodes.reduce((sum, node) =>
    sum + Math.ceil((node.content?.length ?? 0) / LAYER_BLOCK_BYTES), 0);
  const dataBlocks = 1 + entryTableBlocks + nameTableBlocks + contentBlocks;
  if (dataBlocks > 0xffff_ffff) {
    throw new SimError('SIM_LIMIT_EXCEEDED', { dataBlocks }, 'layer: more than 2^32-1 blocks');
  }
  const out = new Uint8Array(dataBlocks * LAYER_BLOCK_BYTES);
  out.set(encodeLayout(LAYER_HEADER, {
    magic: layerMagic(), format_version: LAYER_FORMAT_VERSION, block_size: LAYER_BLOCK_BYTES,
    data_blocks: dataBlocks, entry_count: nodes.length, entry_table_blocks: entryTableBlocks,
    name_table_bytes: nameTableBytes, name_table_blocks: nameTableBlocks,
    content_blocks: contentBlocks,
  }), 0);
  let nameOffset = 0;
  let block = 1 + entryTableBlocks + nameTableBlocks;
  const namesAt = (1 + entryTableBlocks) * LAYER_BLOCK_BYTES;
  nodes.forEach((node, index) => {
    const sizeBytes = node.content?.length ?? 0;
    out.set(encodeLayout(LAYER_ENTRY, {
      kind: LAYER_KIND[node.entry.kind], path_bytes: node.pathBytes.length, mode: node.entry.mode,
      uid: node.entry.uid, gid: node.entry.gid, name_offset: nameOffset,
      first_block: node.content === null ? 0 : block, size_bytes: BigInt(sizeBytes),
    }), LAYER_BLOCK_BYTES + index * LAYER_ENTRY_BYTES);
    out.set(node.pathBytes, namesAt + nameOffset);
    nameOffset += node.pathBytes.length;
    if (node.content !== null) {
      out.set(node.content, block * LAYER_BLOCK_BYTES);
      block += Math.ceil(sizeBytes / LAYER_BLOCK_BYTES);
    }
  });
  assert(block === dataBlocks, 'the contents end at the last block');
  assert(nameOffset === nameTableBytes, 'every name written');
  return out;
}

/**
 * A layer image: the filesystem, then the dm-verity superblock and tree appended as
 * `dmverity-vhd` writes them (`veritysetup format --hash-offset=<fs bytes>` on the same file).
 */
export function buildLayerImage(tree: LayerFileTree): LayerImage {
  const filesystem = encodeLayerFilesystem(tree);
  const dataBlocks = filesystem.length / LAYER_BLOCK_BYTES;
  const formatted = formatVerity(filesystem, {
    params: layerVerityParams(dataBlocks), hashOffsetBytes: filesystem.length, superblock: true,
    sameDevice: true,
  });
  const image = writeVerityHashArea(filesystem, formatted, LAYER_BLOCK_BYTES);
  assert(formatted.placement.hashStartBlock === dataBlocks + 1, 'the tree follows the superblock');
  assert(image.length === (dataBlocks + 1 + formatted.geometry.hashBlocks) * LAYER_BLOCK_BYTES,
    'filesystem | superblock | tree');
  return Object.freeze({ image, rootHash: toHex(formatted.rootHash), dataBlocks });
}

// ---------------------------------------------------------------------------------------------
// Decoding: the same code reads a raw image and, in the guest, verified blocks.

type ReadBlock = (index: number) => Uint8Array;

type LayerHeader = Readonly<{
  dataBlocks: number; entryCount: number; entryTableBlocks: number; nameTableBytes: number;
  nameTableBlocks: number; contentBlocks: number;
}>;

/** True when the device starts with a layer header's magic (whatever else it holds). */
export function hasLayerMagic(device: Uint8Array): boolean {
  const magic = layerMagic();
  return device.length >= magic.length && bytesEqual(device.subarray(0, magic.length), magic);
}

/** Decodes and cross-checks the header block. */
export function decodeLayerHeader(block: Uint8Array): LayerHeader {
  const { value } = decodeLayout(LAYER_HEADER, block);
  if (!bytesEqual(value.magic, layerMagic())) throw badHeader('not a parma-sim layer (magic)');
  if (value.format_version !== LAYER_FORMAT_VERSION) {
    throw badHeader('unknown format version', { formatVersion: value.format_version });
  }
  if (value.block_size !== LAYER_BLOCK_BYTES) {
    throw badHeader('block size is not 4096', { blockSize: value.block_size });
  }
  const header: LayerHeader = {
    dataBlocks: value.data_blocks, entryCount: value.entry_count,
    entryTableBlocks: value.entry_table_blocks, nameTableBytes: value.name_table_bytes,
    nameTableBlocks: value.name_table_blocks, contentBlocks: value.content_blocks,
  };
  if (header.entryCount < 1 || header.entryCount > LAYER_MAX_ENTRIES) {
    throw badHeader('entry count out of range', { entryCount: header.entryCount });
  }
  if (header.entryTableBlocks !== Math.ceil(header.entryCount / LAYER_ENTRIES_PER_BLOCK)) {
    throw badHeader('entry table size disagrees with the entry count', header);
  }
  if (header.nameTableBytes < header.entryCount
    || header.nameTableBytes > header.entryCount * LAYER_PATH_MAX_BYTES
    || header.nameTableBlocks !== Math.ceil(header.nameTableBytes / LAYER_BLOCK_BYTES)) {
    throw badHeader('name table size out of range', header);
  }
  if (header.dataBlocks
    !== 1 + header.entryTableBlocks + header.nameTableBlocks + header.contentBlocks) {
    throw badHeader('data blocks disagree with the table sizes', header);
  }
  return header;
}

function decodeEntry(
  bytes: Uint8Array, index: number, names: Uint8Array, cursor: { name: number; block: number },
): Readonly<{ entry: LayerEntry; pathBytes: Uint8Array }> {
  const { value } = decodeLayout(LAYER_ENTRY, bytes);
  const kind = value.kind === LAYER_KIND.dir ? 'dir' : value.kind === LAYER_KIND.file ? 'file'
    : undefined;
  if (kind === undefined) throw badEntry('unknown kind', { index, kind: value.kind });
  if (value.name_offset !== cursor.name || value.path_bytes === 0
    || cursor.name + value.path_bytes > names.length) {
    throw badEntry('name outside the name table or out of order', { index });
  }
  const pathBytes = names.subarray(cursor.name, cursor.name + value.path_bytes);
  cursor.name += value.path_bytes;
  let path: string;
  try {
    path = utf8Strict.decode(pathBytes);
  } catch (error) {
    if (!isInputRefusal(error)) throw error;
    throw badPath('path is not well-formed UTF-8', `#${index}`);
  }
  checkLayerPath(path, pathBytes);
  checkOwnership(path, value.mode, value.uid, value.gid);
  let firstBlock = 0;
  let sizeBytes = 0;
  if (kind === 'dir') {
    if (value.first_block !== 0 || value.size_bytes !== 0n) {
      throw badEntry('directory with content', { index, path });
    }
  } else {
    const blocks = (value.size_bytes + BigInt(LAYER_BLOCK_BYTES) - 1n) / BigInt(LAYER_BLOCK_BYTES);
    if (value.first_block !== cursor.block || BigInt(cursor.block) + blocks > 0xffff_ffffn) {
      throw badEntry('file content not where the layout puts it', { index, path });
    }
    firstBlock = cursor.block;
    sizeBytes = Number(value.size_bytes);
    cursor.block += Number(blocks);
  }
  return { entry: Object.freeze({ path, kind, mode: value.mode, uid: value.uid,
    gid: value.gid, firstBlock, sizeBytes }), pathBytes };
}

/** The concatenation of `count` blocks from `first`. */
function readBlocks(readBlock: ReadBlock, first: number, count: number): Uint8Array {
  const out = new Uint8Array(count * LAYER_BLOCK_BYTES);
  for (let i = 0; i < count; i++) out.set(readBlock(first + i), i * LAYER_BLOCK_BYTES);
  return out;
}

/**
 * Header and entries, every rule of the format checked except the file contents' padding.
 * `deviceBlocks` is how many blocks the device holds: checked before anything is allocated.
 */
function decodeLayerMetadata(
  readBlock: ReadBlock, deviceBlocks: number,
): Readonly<{ header: LayerHeader; entries: readonly LayerEntry[] }> {
  const header = decodeLayerHeader(readBlock(0));
  if (header.dataBlocks > deviceBlocks) {
    throw badHeader('the image ends before its last block',
      { dataBlocks: header.dataBlocks, deviceBlocks });
  }
  const table = readBlocks(readBlock, 1, header.entryTableBlocks);
  if (!isAllZero(table.subarray(header.entryCount * LAYER_ENTRY_BYTES))) {
    throw badEntry('bytes after the last entry are not zero', {});
  }
  const names = readBlocks(readBlock, 1 + header.entryTableBlocks, header.nameTableBlocks);
  if (!isAllZero(names.subarray(header.nameTableBytes))) {
    throw badEntry('bytes after the last name are not zero', {});
  }
  const cursor = { name: 0, block: 1 + header.entryTableBlocks + header.nameTableBlocks };
  const entries: LayerEntry[] = [];
  const directories = new Set<string>();
  let previous: Uint8Array | undefined;
  for (let index = 0; index < header.entryCount; index++) {
    const at = index * LAYER_ENTRY_BYTES;
    const { entry, pathBytes } = decodeEntry(table.subarray(at, at + LAYER_ENTRY_BYTES), index,
      names.subarray(0, header.nameTableBytes), cursor);
    if (index === 0 && (entry.path !== '/' || entry.kind !== 'dir')) {
      throw badPath('the first entry is not the root directory', entry.path);
    }
    if (previous !== undefined && comparePathBytes(previous, pathBytes) >= 0) {
      throw badPath('entries not strictly sorted', entry.path);
    }
    if (index > 0 && !directories.has(parentOf(entry.path))) {
      throw badPath('parent is not a directory entry', entry.path);
    }
    if (entry.kind === 'dir') directories.add(entry.path);
    previous = pathBytes;
    entries.push(entry);
  }
  if (cursor.name !== header.nameTableBytes || cursor.block !== header.dataBlocks) {
    throw badEntry('entries do not cover the name table and the contents exactly', {});
  }
  return { header, entries: Object.freeze(entries) };
}

/** The content of a file entry, with its padding checked. */
function readContent(readBlock: ReadBlock, entry: LayerEntry): Uint8Array {
  assert(entry.kind === 'file', 'content of a file');
  const blocks = readBlocks(readBlock, entry.firstBlock,
    Math.ceil(entry.sizeBytes / LAYER_BLOCK_BYTES));
  if (!isAllZero(blocks.subarray(entry.sizeBytes))) {
    throw badEntry('bytes after the end of a file are not zero', { path: entry.path });
  }
  return blocks.slice(0, entry.sizeBytes);
}

/** Blocks of a raw byte array; past its end is a bad header (the image ends early). */
function rawBlocks(data: Uint8Array, limitBlocks: number): ReadBlock {
  return (index) => {
    const start = index * LAYER_BLOCK_BYTES;
    if (index >= limitBlocks) {
      throw badHeader('the image ends before block', { block: index, haveBytes: data.length });
    }
    return data.subarray(start, start + LAYER_BLOCK_BYTES);
  };
}

/**
 * Decodes a layer filesystem (a whole image also works: the verity area is not read) back into
 * the normalised file tree, checking every rule of the format. Malformed input is a typed
 * GUEST_LAYER_* error.
 */
export function decodeLayerFilesystem(data: Uint8Array): LayerFileTree {
  const deviceBlocks = Math.floor(data.length / LAYER_BLOCK_BYTES);
  const readBlock = rawBlocks(data, deviceBlocks);
  const { header, entries } = decodeLayerMetadata(readBlock, deviceBlocks);
  assert(header.dataBlocks <= deviceBlocks, 'the contents are inside the image');
  const tree: Record<string, LayerNodeSpec> = {};
  for (const entry of entries) {
    const owner = { mode: entry.mode, uid: entry.uid, gid: entry.gid };
    tree[entry.path] = entry.kind === 'dir' ? { kind: 'dir', ...owner }
      : { kind: 'file', content: readContent(readBlock, entry), ...owner };
  }
  return tree;
}

// ---------------------------------------------------------------------------------------------
// The guest: root hash from the device, mount, verified reads

/**
 * The guest's view of the device's verity metadata (hcsshim ReadVeritySuperBlock): the header
 * block says where the filesystem ends, the superblock there gives the parameters, and the root
 * hash is the digest of the top hash block as the device holds it. Never a host claim.
 */
export function layerVerityTable(device: Uint8Array): VerityTable {
  const deviceBlocks = Math.floor(device.length / LAYER_BLOCK_BYTES);
  const header = decodeLayerHeader(rawBlocks(device, deviceBlocks)(0));
  const table = verityTableFromDevice({ data: device, hash: device },
    header.dataBlocks * LAYER_BLOCK_BYTES);
  if (table.version !== LAYER_VERITY.hashType
    || table.algorithm !== LAYER_VERITY.hashAlgorithm
    || table.data_block_size !== LAYER_VERITY.dataBlockSizeBytes
    || table.hash_block_size !== LAYER_VERITY.hashBlockSizeBytes
    || table.num_data_blocks !== header.dataBlocks) {
    throw new SimError('GUEST_VERITY_BAD_SUPERBLOCK',
      { what: 'not the layer parameters', dataBlocks: table.num_data_blocks },
      'dm-verity superblock: not sha256, 4096/4096, type 1 over the whole filesystem');
  }
  assert(table.hash_start_block === header.dataBlocks + 1, 'the tree follows the superblock');
  return table;
}

/** The root hash the guest reads from the device itself (what mount_device is asked about). */
export function readLayerRootHash(device: Uint8Array): Hex {
  return layerVerityTable(device).root_digest;
}

function verifiedBlocks(table: VerityTable, device: Uint8Array): ReadBlock {
  return (index) => readVerifiedBlock(table, { data: device, hash: device }, index);
}

/**
 * Mounts a layer: the verity table from the device, then the metadata read through verified
 * block reads and decoded. A tampered metadata block is GUEST_VERITY_READ_ERROR.
 */
export function mountLayer(device: Uint8Array): LayerMount {
  return mountLayerAt(layerVerityTable(device), device);
}

/**
 * The metadata of a layer read through verified block reads under a table the guest already
 * holds (the kernel keeps the table it was given at mount: a later change to the device's
 * superblock or top hash block does not change it, so reads fail instead).
 */
export function mountLayerAt(table: VerityTable, device: Uint8Array): LayerMount {
  const { header, entries } = decodeLayerMetadata(verifiedBlocks(table, device),
    table.num_data_blocks);
  assert(header.dataBlocks === table.num_data_blocks, 'the verified header agrees');
  return Object.freeze({ table, dataBlocks: header.dataBlocks, entries });
}

/** The entry at `path`, or undefined (binary search over the UTF-8 byte order). */
export function statLayerPath(mount: LayerMount, path: string): LayerEntry | undefined {
  const key = utf8.encode(path);
  let low = 0;
  let high = mount.entries.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = comparePathBytes(utf8.encode(mount.entries[middle]!.path), key);
    if (order === 0) return mount.entries[middle];
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

/**
 * A file's bytes, every block read through dm-verity against the mount's root hash: a block
 * tampered after mount is GUEST_VERITY_READ_ERROR, never wrong data.
 */
export function readLayerFile(mount: LayerMount, device: Uint8Array, path: string): Uint8Array {
  const entry = statLayerPath(mount, path);
  if (entry === undefined || entry.kind !== 'file') {
    throw new SimError('GUEST_LAYER_NO_SUCH_FILE', { path: path.slice(0, 200) },
      `layer: no file ${JSON.stringify(path.slice(0, 200))}`);
  }
  const content = readContent(verifiedBlocks(mount.table, device), entry);
  assert(content.length === entry.sizeBytes, 'the whole file');
  return content;
}
