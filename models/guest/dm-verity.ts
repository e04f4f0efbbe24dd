/**
 * Models: dm-verity (Linux Documentation/admin-guide/device-mapper/verity.rst) as cryptsetup's
 * `veritysetup format` builds it (cryptsetup 2.6.1 lib/verity: the hash tree, the 512-byte
 * superblock) and as the kernel's verity target checks a read: every hash on the path from a data
 * block to the root hash must match, or the read fails.
 * Real counterpart: `veritysetup format` on the host side; the dm-verity target (table
 * `<version> <data_dev> <hash_dev> <data_block_size> <hash_block_size> <num_data_blocks>
 * <hash_start_block> <algorithm> <root_digest> <salt>`) in the guest kernel.
 * Differs: devices are byte arrays; no forward error correction, no root-hash signature, no
 * `--ignore-corruption`/`--restart-on-corruption` modes (a mismatch is always a read error); a
 * verified block is not cached, so every read walks its whole path again. Hash algorithms are the
 * ones in VERITY_HASH_ALGORITHMS, not every kernel crypto hash.
 * Invariants: digest(block) = H(salt ‖ block) for hash type 1, H(block ‖ salt) for type 0; a hash
 * block holds 2^⌊log2(hash_block / digest)⌋ digests, each padded to a power of two in type 1 and
 * packed in type 0, the rest zero; the tree is written top level first; with one data block there
 * are no levels and the root is the data block's digest; the superblock is 512 bytes and the tree
 * starts at the first hash block after it.
 */
import { hash } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { bytesEqual, hexBytes, toHex, type Hex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { decodeLayout, defineLayout, encodeLayout } from '../../sim/kernel/layout.js';
import { memo } from '../../sim/kernel/memo.js';

/**
 * The hash algorithms parma-sim builds trees with: veritysetup's name (matched case-insensitively,
 * as cryptsetup's backend does) → node:crypto's name and the digest size in bytes.
 */
export const VERITY_HASH_ALGORITHMS: Readonly<Record<string, Readonly<{
  nodeName: string; digestBytes: number;
}>>> = Object.freeze({
  'sha1': { nodeName: 'sha1', digestBytes: 20 },
  'sha224': { nodeName: 'sha224', digestBytes: 28 },
  'sha256': { nodeName: 'sha256', digestBytes: 32 },
  'sha384': { nodeName: 'sha384', digestBytes: 48 },
  'sha512': { nodeName: 'sha512', digestBytes: 64 },
  'sha3-256': { nodeName: 'sha3-256', digestBytes: 32 },
  'sha3-512': { nodeName: 'sha3-512', digestBytes: 64 },
  'blake2b-512': { nodeName: 'blake2b512', digestBytes: 64 },
});

for (const entry of Object.values(VERITY_HASH_ALGORITHMS)) {
  assert(entry.digestBytes <= 64, 'the smallest hash block holds 8 digests of every algorithm');
}

/** cryptsetup VERITY_BLOCK_SIZE_OK: a power of two from 512 bytes to 512 KiB. */
export const VERITY_MIN_BLOCK_BYTES = 512;
export const VERITY_MAX_BLOCK_BYTES = 512 * 1024;
/** The largest salt the superblock can carry (its salt field). */
export const VERITY_MAX_SALT_BYTES = 256;
/** cryptsetup VERITY_MAX_LEVELS. */
export const VERITY_MAX_LEVELS = 63;
export const VERITY_SUPERBLOCK_BYTES = 512;
/** The superblock offset must be a multiple of this (cryptsetup VERITY_read_sb/write_sb). */
export const VERITY_SUPERBLOCK_ALIGN_BYTES = 512;

/** "verity\0\0" (made on use: a module-level byte array would be shared mutable state). */
const veritySignature = (): Uint8Array => Uint8Array.of(0x76, 0x65, 0x72, 0x69, 0x74, 0x79, 0, 0);

/** cryptsetup lib/verity/verity.c `struct verity_sb` (little-endian, packed, 512 bytes). */
export const VERITY_SUPERBLOCK = defineLayout({
  name: 'VERITY_SUPERBLOCK', sizeBytes: VERITY_SUPERBLOCK_BYTES,
  errors: { badLength: 'GUEST_VERITY_BAD_SUPERBLOCK', mbzNonzero: 'GUEST_VERITY_BAD_SUPERBLOCK' },
}, [
  { name: 'signature',       offsetBytes: 0x000, sizeBytes: 8,   kind: 'bytes' },
  { name: 'version',         offsetBytes: 0x008, sizeBytes: 4,   kind: 'u32le' },
  { name: 'hash_type',       offsetBytes: 0x00c, sizeBytes: 4,   kind: 'u32le' },
  { name: 'uuid',            offsetBytes: 0x010, sizeBytes: 16,  kind: 'bytes' },
  { name: 'algorithm',       offsetBytes: 0x020, sizeBytes: 32,  kind: 'bytes' },
  { name: 'data_block_size', offsetBytes: 0x040, sizeBytes: 4,   kind: 'u32le' },
  { name: 'hash_block_size', offsetBytes: 0x044, sizeBytes: 4,   kind: 'u32le' },
  { name: 'data_blocks',     offsetBytes: 0x048, sizeBytes: 8,   kind: 'u64le' },
  { name: 'salt_size',       offsetBytes: 0x050, sizeBytes: 2,   kind: 'u16le' },
  { name: 'pad1',            offsetBytes: 0x052, sizeBytes: 6,   kind: 'mbz' },
  { name: 'salt',            offsetBytes: 0x058, sizeBytes: 256, kind: 'bytes' },
  { name: 'pad2',            offsetBytes: 0x158, sizeBytes: 168, kind: 'mbz' },
] as const);
assert(VERITY_MAX_SALT_BYTES === 256, 'the salt field is 256 bytes');

/** The parameters of one dm-verity tree (veritysetup's flags, the superblock's fields). */
export type VerityParams = Readonly<{
  /** `--format`: 1 = normal, H(salt ‖ block); 0 = original Chrome OS, H(block ‖ salt). */
  hashType: 0 | 1;
  /** `--hash`, spelled as given (printed that way; the superblock stores it in lower case). */
  hashAlgorithm: string;
  dataBlockSizeBytes: number;
  hashBlockSizeBytes: number;
  dataBlocks: number;
  salt: Uint8Array;
}>;

/** One level of the tree; level 0 holds the digests of the data blocks. */
export type VerityLevel = Readonly<{
  /** First block of the level, counted from the start of the tree (the top level is at 0). */
  startBlock: number;
  blocks: number;
}>;

export type VerityGeometry = Readonly<{
  digestBytes: number;
  /** Bytes each digest takes in a hash block: a power of two in type 1, packed in type 0. */
  digestStrideBytes: number;
  hashesPerBlock: number;
  /** log2(hashesPerBlock). */
  hashesPerBlockBits: number;
  levels: readonly VerityLevel[];
  hashBlocks: number;
}>;

/**
 * The kernel's dm-verity table for one target (verity.rst: `<version> <dev> <hash_dev>
 * <data_block_size> <hash_block_size> <num_data_blocks> <hash_start_block> <algorithm> <digest>
 * <salt>`, the devices aside): what every verified read is checked against. Plain state; the root
 * digest and the salt are hex, as in the table line.
 */
export type VerityTable = Readonly<{
  version: 0 | 1;
  data_block_size: number;
  hash_block_size: number;
  num_data_blocks: number;
  /** Where the tree starts on the hash device, in hash blocks. */
  hash_start_block: number;
  algorithm: string;
  root_digest: Hex;
  salt: Hex;
}>;

/** The tree parameters of a table (fresh salt bytes). */
export function verityParamsOfTable(table: VerityTable): VerityParams {
  const params: VerityParams = {
    hashType: table.version, hashAlgorithm: table.algorithm,
    dataBlockSizeBytes: table.data_block_size, hashBlockSizeBytes: table.hash_block_size,
    dataBlocks: table.num_data_blocks, salt: hexBytes(table.salt),
  };
  assert(params.salt.length * 2 === table.salt.length, 'the salt is whole bytes');
  return params;
}

export function isVerityBlockSize(sizeBytes: number): boolean {
  return Number.isInteger(sizeBytes) && sizeBytes >= VERITY_MIN_BLOCK_BYTES
    && sizeBytes <= VERITY_MAX_BLOCK_BYTES && (sizeBytes & (sizeBytes - 1)) === 0;
}

/** The algorithm entry for a veritysetup hash name, or undefined if parma-sim has none. */
export function verityHashAlgorithm(
  name: string,
): Readonly<{ nodeName: string; digestBytes: number }> | undefined {
  const key = name.toLowerCase();
  return Object.hasOwn(VERITY_HASH_ALGORITHMS, key) ? VERITY_HASH_ALGORITHMS[key] : undefined;
}

function badParams(what: string, detail: Readonly<Record<string, unknown>>): SimError {
  return new SimError('GUEST_VERITY_BAD_PARAMS', { what, ...detail }, `dm-verity: ${what}`);
}

/** Checks parameters as veritysetup and the kernel do; returns them unchanged. */
export function checkVerityParams(params: VerityParams): VerityParams {
  if (params.hashType !== 0 && params.hashType !== 1) {
    throw badParams('unsupported hash type', { hashType: params.hashType });
  }
  const algorithm = verityHashAlgorithm(params.hashAlgorithm);
  if (algorithm === undefined) {
    throw badParams('hash algorithm not supported', { hashAlgorithm: params.hashAlgorithm });
  }
  if (!isVerityBlockSize(params.dataBlockSizeBytes)) {
    throw badParams('unsupported data block size', { sizeBytes: params.dataBlockSizeBytes });
  }
  if (!isVerityBlockSize(params.hashBlockSizeBytes)) {
    throw badParams('unsupported hash block size', { sizeBytes: params.hashBlockSizeBytes });
  }
  if (params.salt.length > VERITY_MAX_SALT_BYTES) {
    throw badParams('salt longer than 256 bytes', { saltBytes: params.salt.length });
  }
  if (!Number.isSafeInteger(params.dataBlocks) || params.dataBlocks < 1) {
    throw badParams('no data blocks', { dataBlocks: params.dataBlocks });
  }
  return params;
}

/** The tree's shape (cryptsetup verity_hash.c hash_levels): levels, sizes and positions. */
export function verityGeometry(params: VerityParams): VerityGeometry {
  checkVerityParams(params);
  const digestBytes = verityHashAlgorithm(params.hashAlgorithm)!.digestBytes;
  const hashesPerBlockBits = Math.floor(Math.log2(params.hashBlockSizeBytes / digestBytes));
  // The smallest block (512) holds 8 of the largest digests (64): the tree always narrows.
  assert(hashesPerBlockBits >= 3, 'a hash block holds at least 8 digests');
  const hashesPerBlock = 2 ** hashesPerBlockBits;
  const digestStrideBytes = params.hashType === 1
    ? 2 ** Math.ceil(Math.log2(digestBytes)) : digestBytes;
  assert(hashesPerBlock * digestStrideBytes <= params.hashBlockSizeBytes, 'digests fit a block');
  let levelCount = 0;
  while (levelCount < VERITY_MAX_LEVELS
    && ceilShift(params.dataBlocks, hashesPerBlockBits * levelCount) > 1) {
    levelCount++;
  }
  // At 8 digests a block, 2^53 data blocks need 18 levels: cryptsetup's 63 is never reached.
  assert(ceilShift(params.dataBlocks, hashesPerBlockBits * levelCount) === 1, 'levels reach one');
  const sizes: number[] = [];
  for (let level = 0; level < levelCount; level++) {
    sizes.push(ceilShift(params.dataBlocks, hashesPerBlockBits * (level + 1)));
  }
  const levels: VerityLevel[] = new Array<VerityLevel>(levelCount);
  let position = 0;
  for (let level = levelCount - 1; level >= 0; level--) {
    levels[level] = Object.freeze({ startBlock: position, blocks: sizes[level]! });
    position += sizes[level]!;
  }
  if (levelCount > 0) assert(levels[levelCount - 1]!.blocks === 1, 'one block at the top');
  return Object.freeze({
    digestBytes, digestStrideBytes, hashesPerBlock, hashesPerBlockBits,
    levels: Object.freeze(levels), hashBlocks: position,
  });
}

/** ⌈value / 2^bits⌉ for non-negative safe integers (no 32-bit shifts). */
function ceilShift(value: number, bits: number): number {
  return Math.ceil(value / 2 ** bits);
}

/** One digest of a block under the tree's salt and hash type. */
export function verityDigest(params: VerityParams, block: Uint8Array): Uint8Array {
  const nodeName = verityHashAlgorithm(params.hashAlgorithm)!.nodeName;
  const input = new Uint8Array(params.salt.length + block.length);
  if (params.hashType === 1) {
    input.set(params.salt, 0);
    input.set(block, params.salt.length);
  } else {
    input.set(block, 0);
    input.set(params.salt, block.length);
  }
  return new Uint8Array(hash(nodeName, input, 'buffer'));
}

/**
 * Digests of `count` consecutive blocks of `blockBytes` starting at `from`, written into `out` at
 * `outOffset` with `strideBytes` between them. One reused input buffer: no allocation per block.
 */
function digestRun(
  params: VerityParams, source: Uint8Array, run: Readonly<{
    from: number; count: number; blockBytes: number; out: Uint8Array; outOffset: number;
    strideBytes: number;
  }>,
): void {
  const nodeName = verityHashAlgorithm(params.hashAlgorithm)!.nodeName;
  const saltBytes = params.salt.length;
  const input = new Uint8Array(saltBytes + run.blockBytes);
  const blockAt = params.hashType === 1 ? saltBytes : 0;
  input.set(params.salt, params.hashType === 1 ? 0 : run.blockBytes);
  assert(run.from + run.count * run.blockBytes <= source.length, 'digestRun: inside the source');
  for (let i = 0; i < run.count; i++) {
    const at = run.from + i * run.blockBytes;
    input.set(source.subarray(at, at + run.blockBytes), blockAt);
    run.out.set(hash(nodeName, input, 'buffer'), run.outOffset + i * run.strideBytes);
  }
}

/**
 * Lays the digests of level `level`'s children (data blocks for level 0, the level below
 * otherwise) into that level's hash blocks: `hashesPerBlock` per block, zero padding after.
 */
function buildLevel(
  params: VerityParams, geometry: VerityGeometry, tree: Uint8Array, data: Uint8Array,
  level: number,
): void {
  const target = geometry.levels[level]!;
  const children = level === 0 ? params.dataBlocks : geometry.levels[level - 1]!.blocks;
  const source = level === 0 ? data : tree;
  const childBytes = level === 0 ? params.dataBlockSizeBytes : params.hashBlockSizeBytes;
  const sourceStart = level === 0 ? 0 : geometry.levels[level - 1]!.startBlock * childBytes;
  for (let block = 0; block < target.blocks; block++) {
    const first = block * geometry.hashesPerBlock;
    const count = Math.min(geometry.hashesPerBlock, children - first);
    assert(count > 0, 'every hash block of a level holds a digest');
    digestRun(params, source, {
      from: sourceStart + first * childBytes, count, blockBytes: childBytes, out: tree,
      outOffset: (target.startBlock + block) * params.hashBlockSizeBytes,
      strideBytes: geometry.digestStrideBytes,
    });
  }
}

export type VerityTree = Readonly<{
  rootHash: Uint8Array;
  /** The hash blocks, top level first: `hashBlocks × hashBlockSizeBytes` bytes. */
  tree: Uint8Array;
  geometry: VerityGeometry;
}>;

/** Entries of the tree memo: trees are 1/128 of their data, so this bounds memory, not hits. */
export const VERITY_TREE_MEMO_LIMIT = 128;

function computeVerityTree(data: Uint8Array, params: VerityParams): VerityTree {
  const geometry = verityGeometry(params);
  const tree = new Uint8Array(geometry.hashBlocks * params.hashBlockSizeBytes);
  for (let level = 0; level < geometry.levels.length; level++) {
    buildLevel(params, geometry, tree, data, level);
  }
  const top = geometry.levels.at(-1);
  const rootHash = top === undefined
    ? verityDigest(params, data.subarray(0, params.dataBlockSizeBytes))
    : verityDigest(params, tree.subarray(top.startBlock * params.hashBlockSizeBytes,
      (top.startBlock + 1) * params.hashBlockSizeBytes));
  assert(rootHash.length === geometry.digestBytes, 'root hash is one digest');
  return Object.freeze({ rootHash, tree, geometry });
}

/**
 * The hash tree and root hash of the first `params.dataBlocks` blocks of `data`, as
 * `veritysetup format` writes them. Memoised by content (SHA-256 of the data and the parameters)
 * in the kernel memo: building the same image twice hashes it once, not twice plus a tree. The
 * caller owns the returned bytes (copies of the memo's).
 */
export function buildVerityTree(data: Uint8Array, params: VerityParams): VerityTree {
  checkVerityParams(params);
  const dataBytes = params.dataBlocks * params.dataBlockSizeBytes;
  if (data.length < dataBytes) {
    throw new SimError('GUEST_VERITY_DEVICE_TOO_SMALL',
      { needBytes: dataBytes, haveBytes: data.length },
      `dm-verity: data device has ${data.length} bytes, ${dataBytes} needed`);
  }
  const covered = data.subarray(0, dataBytes);
  const key = [params.hashType, params.hashAlgorithm.toLowerCase(), params.dataBlockSizeBytes,
    params.hashBlockSizeBytes, params.dataBlocks, toHex(params.salt),
    hash('sha256', covered, 'hex')].join(':');
  const cached = memo('guest/verity-tree', key, () => computeVerityTree(covered, params),
    VERITY_TREE_MEMO_LIMIT);
  assert(cached.geometry.hashBlocks * params.hashBlockSizeBytes === cached.tree.length,
    'the memoised tree has this geometry');
  return Object.freeze({
    rootHash: cached.rootHash.slice(), tree: cached.tree.slice(), geometry: cached.geometry,
  });
}

// ---------------------------------------------------------------------------------------------
// The superblock

export type VeritySuperblock = Readonly<{
  params: VerityParams;
  uuid: Uint8Array;
}>;

export function encodeVeritySuperblock(superblock: VeritySuperblock): Uint8Array {
  const params = checkVerityParams(superblock.params);
  assert(superblock.uuid.length === 16, 'a UUID is 16 bytes');
  // veritysetup prints the name as given but stores it in lower case (seen with --hash=SHA256).
  const algorithm = new TextEncoder().encode(params.hashAlgorithm.toLowerCase());
  assert(algorithm.length <= 32, 'the algorithm name fits its field');
  const algorithmField = new Uint8Array(32);
  algorithmField.set(algorithm);
  const saltField = new Uint8Array(VERITY_MAX_SALT_BYTES);
  saltField.set(params.salt);
  const out = encodeLayout(VERITY_SUPERBLOCK, {
    signature: veritySignature(), version: 1, hash_type: params.hashType, uuid: superblock.uuid,
    algorithm: algorithmField, data_block_size: params.dataBlockSizeBytes,
    hash_block_size: params.hashBlockSizeBytes, data_blocks: BigInt(params.dataBlocks),
    salt_size: params.salt.length, salt: saltField,
  });
  assert(out.length === VERITY_SUPERBLOCK_BYTES);
  return out;
}

function badSuperblock(what: string, detail: Readonly<Record<string, unknown>> = {}): SimError {
  return new SimError('GUEST_VERITY_BAD_SUPERBLOCK', { what, ...detail },
    `dm-verity superblock: ${what}`);
}

/**
 * Decodes a superblock with the checks cryptsetup's VERITY_read_sb makes (signature, version 1,
 * hash type ≤ 1, block sizes, a known algorithm, salt size ≤ 256). Like cryptsetup, it ignores
 * the padding and the salt bytes past salt_size: they are not covered by the root hash.
 */
export function decodeVeritySuperblock(bytes: Uint8Array): VeritySuperblock {
  if (bytes.length < VERITY_SUPERBLOCK_BYTES) {
    throw badSuperblock('device too short for a superblock', { haveBytes: bytes.length });
  }
  const { value } = decodeLayout(VERITY_SUPERBLOCK, bytes.subarray(0, VERITY_SUPERBLOCK_BYTES),
    { strict: false });
  if (!bytesEqual(value.signature, veritySignature())) throw badSuperblock('no verity signature');
  if (value.version !== 1) throw badSuperblock('unsupported version', { version: value.version });
  if (value.hash_type > 1) {
    throw badSuperblock('unsupported hash type', { hashType: value.hash_type });
  }
  const nameEnd = value.algorithm.indexOf(0);
  const hashAlgorithm = new TextDecoder('utf-8', { fatal: false })
    .decode(value.algorithm.subarray(0, nameEnd === -1 ? 32 : nameEnd));
  if (value.salt_size > VERITY_MAX_SALT_BYTES) {
    throw badSuperblock('salt size over 256', { saltSize: value.salt_size });
  }
  if (value.data_blocks > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw badSuperblock('data block count out of range', { dataBlocks: value.data_blocks });
  }
  const params: VerityParams = Object.freeze({
    hashType: value.hash_type as 0 | 1, hashAlgorithm,
    dataBlockSizeBytes: value.data_block_size, hashBlockSizeBytes: value.hash_block_size,
    dataBlocks: Number(value.data_blocks),
    salt: new Uint8Array(value.salt.subarray(0, value.salt_size)),
  });
  try {
    checkVerityParams(params);
  } catch (error) {
    if (error instanceof SimError) throw badSuperblock('unusable parameters', error.detail);
    throw error;
  }
  return Object.freeze({ params, uuid: new Uint8Array(value.uuid) });
}

/** uuid_unparse: lower-case 8-4-4-4-12. */
export function formatUuid(uuid: Uint8Array): string {
  assert(uuid.length === 16, 'a UUID is 16 bytes');
  const hex = toHex(uuid);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-`
    + hex.slice(20);
}

/** uuid_parse: 8-4-4-4-12 hex digits, either case; undefined if it is not one. */
export function parseUuid(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(text)) {
    return undefined;
  }
  const hex = text.replaceAll('-', '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Placing the hash area (veritysetup --hash-offset, --no-superblock)

export type VerityHashPlacement = Readonly<{
  /** Where the superblock goes on the hash device, or null with --no-superblock. */
  superblockOffsetBytes: number | null;
  /** cryptsetup VERITY_hash_offset_block: the first hash block after the superblock. */
  hashStartBlock: number;
}>;

export function verityHashPlacement(options: Readonly<{
  hashOffsetBytes: number; superblock: boolean; hashBlockSizeBytes: number;
}>): VerityHashPlacement {
  assert(Number.isSafeInteger(options.hashOffsetBytes) && options.hashOffsetBytes >= 0,
    'hash offset is a byte count');
  assert(isVerityBlockSize(options.hashBlockSizeBytes), 'hash block size checked');
  if (!options.superblock) {
    return { superblockOffsetBytes: null,
      hashStartBlock: Math.floor(options.hashOffsetBytes / options.hashBlockSizeBytes) };
  }
  if (options.hashOffsetBytes % VERITY_SUPERBLOCK_ALIGN_BYTES !== 0) {
    throw badParams('unsupported hash offset', { hashOffsetBytes: options.hashOffsetBytes });
  }
  const afterSuperblock = options.hashOffsetBytes + VERITY_SUPERBLOCK_BYTES;
  return { superblockOffsetBytes: options.hashOffsetBytes,
    hashStartBlock: Math.ceil(afterSuperblock / options.hashBlockSizeBytes) };
}

export type VerityFormatRequest = Readonly<{
  params: VerityParams;
  hashOffsetBytes: number;
  superblock: boolean;
  /** 16 bytes for the superblock; when absent, derived from the root hash (deriveVerityUuid). */
  uuid?: Uint8Array;
  /** The data and hash devices are one device (the hash area must not overlap the data). */
  sameDevice: boolean;
}>;

export type VerityFormatResult = Readonly<{
  rootHash: Uint8Array;
  geometry: VerityGeometry;
  placement: VerityHashPlacement;
  /** The superblock's UUID, or null with --no-superblock. */
  uuid: Uint8Array | null;
  /** The 512 superblock bytes for `placement.superblockOffsetBytes`, or null. */
  superblock: Uint8Array | null;
  /** The tree for hash block `placement.hashStartBlock` onwards. */
  tree: Uint8Array;
}>;

/**
 * A UUID for a superblock nobody named: the first 16 bytes of SHA-256("parma-sim verity uuid" ‖
 * root hash) in the RFC 9562 version 8 layout. veritysetup and dmverity-vhd draw a random one;
 * deriving it keeps "same input, same bytes".
 */
export function deriveVerityUuid(rootHash: Uint8Array): Uint8Array {
  const label = new TextEncoder().encode('parma-sim verity uuid');
  const digest = new Uint8Array(hash('sha256', Buffer.concat([label, rootHash]), 'buffer'));
  const uuid = digest.slice(0, 16);
  uuid[6] = (uuid[6]! & 0x0f) | 0x80;
  uuid[8] = (uuid[8]! & 0x3f) | 0x80;
  assert(uuid.length === 16, 'a UUID is 16 bytes');
  return uuid;
}

/**
 * `veritysetup format`: the tree of `data`, the superblock and where both go on the hash device.
 * writeVerityHashArea applies the result to the bytes of a hash device.
 */
export function formatVerity(data: Uint8Array, request: VerityFormatRequest): VerityFormatResult {
  const params = checkVerityParams(request.params);
  const placement = verityHashPlacement({
    hashOffsetBytes: request.hashOffsetBytes, superblock: request.superblock,
    hashBlockSizeBytes: params.hashBlockSizeBytes,
  });
  const dataEndBytes = params.dataBlocks * params.dataBlockSizeBytes;
  // veritysetup compares only --hash-offset with the data's end; without a superblock the tree
  // starts at the hash block *below* the offset, and it then overwrites data it has yet to hash.
  // parma-sim refuses that case too.
  const treeStartBytes = placement.hashStartBlock * params.hashBlockSizeBytes;
  if (request.sameDevice
    && (request.hashOffsetBytes < dataEndBytes || treeStartBytes < dataEndBytes)) {
    throw badParams('data area overlaps with hash area',
      { hashOffsetBytes: request.hashOffsetBytes, dataEndBytes });
  }
  const built = buildVerityTree(data, params);
  const uuid = request.superblock ? request.uuid ?? deriveVerityUuid(built.rootHash) : null;
  const superblock = uuid === null ? null : encodeVeritySuperblock({ params, uuid });
  if (request.superblock) assert(superblock !== null, 'a superblock when one is asked for');
  if (superblock !== null) {
    assert(placement.superblockOffsetBytes! + VERITY_SUPERBLOCK_BYTES
      <= placement.hashStartBlock * params.hashBlockSizeBytes, 'the tree starts after it');
  }
  return Object.freeze({
    rootHash: built.rootHash, geometry: built.geometry, placement, uuid, superblock,
    tree: built.tree,
  });
}

/**
 * cryptsetup writes the superblock with write_lseek_blockwise in the hash device's I/O block: the
 * hash block size, capped at the page size (seen with veritysetup 2.6.1 on regular files).
 */
export const VERITY_SUPERBLOCK_IO_MAX_BYTES = 4096;

/**
 * The size of a hash device of `sizeBytes` after `veritysetup format` wrote `result` into it, in
 * its order: the tree (fwrite: grows the device to the tree's end, if there is a tree), then the
 * superblock through write_lseek_blockwise, which writes every I/O block the superblock touches
 * whole (so the device grows to cover them) and fails when the superblock starts inside a block
 * whose existing bytes do not reach past the superblock's part in it.
 */
export function verityHashDeviceBytes(
  result: VerityFormatResult, hashBlockSizeBytes: number, sizeBytes: number,
): number {
  const treeEnd = result.placement.hashStartBlock * hashBlockSizeBytes + result.tree.length;
  let size = result.tree.length > 0 ? Math.max(sizeBytes, treeEnd) : sizeBytes;
  const offset = result.placement.superblockOffsetBytes;
  if (result.superblock === null || offset === null) return size;
  const io = Math.min(hashBlockSizeBytes, VERITY_SUPERBLOCK_IO_MAX_BYTES);
  const hang = offset % io;
  const inner = hang === 0 ? 0 : Math.min(VERITY_SUPERBLOCK_BYTES, io - hang);
  if (hang !== 0 && size < offset + inner) {
    throw new SimError('GUEST_VERITY_DEVICE_TOO_SMALL',
      { superblockOffsetBytes: offset, sizeBytes: size },
      'dm-verity: error during update of verity header (the hash device ends before it)');
  }
  // Every I/O block the superblock touches is written whole.
  size = Math.max(size, offset - hang + Math.ceil((hang + VERITY_SUPERBLOCK_BYTES) / io) * io);
  assert(size >= offset + VERITY_SUPERBLOCK_BYTES, 'the superblock is on the device');
  return size;
}

/**
 * The bytes of `hashDevice` after `veritysetup format` wrote `result` into it: every byte outside
 * the superblock and the tree kept (veritysetup writes in place), grown as verityHashDeviceBytes
 * says.
 */
export function writeVerityHashArea(
  hashDevice: Uint8Array, result: VerityFormatResult, hashBlockSizeBytes: number,
): Uint8Array {
  const treeOffset = result.placement.hashStartBlock * hashBlockSizeBytes;
  const out = new Uint8Array(
    verityHashDeviceBytes(result, hashBlockSizeBytes, hashDevice.length));
  out.set(hashDevice, 0);
  if (result.superblock !== null) {
    assert(result.placement.superblockOffsetBytes !== null, 'a superblock has a place');
    out.set(result.superblock, result.placement.superblockOffsetBytes);
  }
  out.set(result.tree, treeOffset);
  assert(out.length >= treeOffset + result.tree.length, 'the tree fits the hash device');
  return out;
}

// ---------------------------------------------------------------------------------------------
// The guest side: the root hash from the device, and verified reads

/** A verity target's two devices (one array twice when the tree is appended to the data). */
export type VerityDevices = Readonly<{ data: Uint8Array; hash: Uint8Array }>;

/**
 * The table the guest builds from devices whose superblock sits at `superblockOffsetBytes` on the
 * hash device with the tree after it (hcsshim ReadDMVerityInfo + CreateVerityTarget): the root
 * hash is the digest of the top hash block as the device holds it (of the only data block when
 * there are no levels). Nothing here is verified: the root hash *is* what the device says, and
 * the policy judges it.
 */
export function verityTableFromDevice(
  devices: VerityDevices, superblockOffsetBytes: number,
): VerityTable {
  if (!Number.isSafeInteger(superblockOffsetBytes) || superblockOffsetBytes < 0
    || superblockOffsetBytes % VERITY_SUPERBLOCK_ALIGN_BYTES !== 0) {
    throw badSuperblock('unsupported superblock offset', { superblockOffsetBytes });
  }
  const superblock = decodeVeritySuperblock(devices.hash.subarray(superblockOffsetBytes));
  const params = superblock.params;
  const geometry = verityGeometry(params);
  const { hashStartBlock } = verityHashPlacement({
    hashOffsetBytes: superblockOffsetBytes, superblock: true,
    hashBlockSizeBytes: params.hashBlockSizeBytes,
  });
  const top = geometry.levels.at(-1);
  const rootSource = top === undefined
    ? blockOf(devices.data, 0, params.dataBlockSizeBytes)
    : blockOf(devices.hash, hashStartBlock + top.startBlock, params.hashBlockSizeBytes);
  if (rootSource === undefined) {
    throw new SimError('GUEST_VERITY_DEVICE_TOO_SMALL', { superblockOffsetBytes },
      'dm-verity: the device ends before the block the root hash is read from');
  }
  const rootHash = verityDigest(params, rootSource);
  assert(rootHash.length === geometry.digestBytes, 'the root hash is one digest');
  return Object.freeze({
    version: params.hashType, data_block_size: params.dataBlockSizeBytes,
    hash_block_size: params.hashBlockSizeBytes, num_data_blocks: params.dataBlocks,
    hash_start_block: hashStartBlock, algorithm: params.hashAlgorithm,
    root_digest: toHex(rootHash), salt: toHex(params.salt),
  });
}

/** Block `index` of `blockBytes` bytes, or undefined if the device ends before it. */
function blockOf(device: Uint8Array, index: number, blockBytes: number): Uint8Array | undefined {
  const start = index * blockBytes;
  if (!Number.isSafeInteger(start) || start + blockBytes > device.length) return undefined;
  return device.subarray(start, start + blockBytes);
}

function readError(reason: string, detail: Readonly<Record<string, unknown>>): SimError {
  return new SimError('GUEST_VERITY_READ_ERROR', { reason, ...detail },
    `dm-verity: read error (${reason}) at data block ${String(detail['dataBlock'])}`);
}

/**
 * A read of data block `dataBlock` through the verity target: checks the top hash block against
 * the root hash, then each digest down the path, then the data block itself (the kernel's
 * verity_verify_level walk, top down). Any mismatch, or a device too short to hold a block on the
 * path, is GUEST_VERITY_READ_ERROR: a read error, never wrong data. Hashes levels + 1 blocks.
 * Returns a copy of the block.
 */
export function readVerifiedBlock(
  table: VerityTable, devices: VerityDevices, dataBlock: number,
): Uint8Array {
  const params = verityParamsOfTable(table);
  const geometry = verityGeometry(params);
  if (!Number.isSafeInteger(dataBlock) || dataBlock < 0 || dataBlock >= params.dataBlocks) {
    throw readError('beyond the device', { dataBlock, dataBlocks: params.dataBlocks });
  }
  let expected = hexBytes(table.root_digest);
  for (let level = geometry.levels.length - 1; level >= 0; level--) {
    const position = Math.floor(dataBlock / 2 ** (geometry.hashesPerBlockBits * (level + 1)));
    const hashBlock = table.hash_start_block + geometry.levels[level]!.startBlock + position;
    const block = blockOf(devices.hash, hashBlock, params.hashBlockSizeBytes);
    if (block === undefined) throw readError('hash device too short', { dataBlock, level });
    if (!bytesEqual(verityDigest(params, block), expected)) {
      throw readError('hash block mismatch', { dataBlock, level, hashBlock });
    }
    const slot = Math.floor(dataBlock / 2 ** (geometry.hashesPerBlockBits * level))
      % geometry.hashesPerBlock;
    const at = slot * geometry.digestStrideBytes;
    expected = block.subarray(at, at + geometry.digestBytes);
  }
  const data = blockOf(devices.data, dataBlock, params.dataBlockSizeBytes);
  if (data === undefined) throw readError('data device too short', { dataBlock });
  if (!bytesEqual(verityDigest(params, data), expected)) {
    throw readError('data block mismatch', { dataBlock });
  }
  assert(data.length === params.dataBlockSizeBytes, 'a whole data block');
  return data.slice();
}
