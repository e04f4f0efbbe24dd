/**
 * Models: nothing real. `parma-sim dmverity format|roothash`: `format` is a drop-in for
 * `veritysetup format` (cryptsetup 2.6.1: same flags, same lines on stdout, the same bytes in the
 * hash device); `roothash` reads the root hash from a device as the guest does (superblock, then
 * the digest of the top hash block). Exit codes: the house table (usage 2, malformed device 30,
 * I/O 40). Differs from veritysetup: without --salt the salt is 32 zero bytes and without --uuid
 * the UUID is derived from the root hash (veritysetup draws both at random), so the same input
 * gives the same bytes.
 */
import {
  closeSync, existsSync, fstatSync, ftruncateSync, openSync, statSync, writeSync,
} from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { toHex } from '../kernel/bytes.js';
import { EXIT_OK, SimError } from '../kernel/errors.js';
import {
  LAYER_BLOCK_BYTES, VERITY_MAX_SALT_BYTES, VERITY_SUPERBLOCK_ALIGN_BYTES, decodeLayerHeader,
  ext4FilesystemBytes, formatUuid, formatVerity, hasExt4Superblock, hasLayerMagic,
  isVerityBlockSize, parseUuid, verityHashAlgorithm, verityHashDeviceBytes, verityTableFromDevice,
  type VerityFormatResult, type VerityParams,
} from '../api/dmverity.js';
import { dispatchSubcommand, type Subcommand } from './dispatch.js';
import { readInput } from './files.js';
import type { CliIo } from './types.js';

const FORMAT_HELP = `usage: parma-sim dmverity format [options] DATA_DEVICE HASH_DEVICE

Build the dm-verity hash tree of DATA_DEVICE and write it (after a superblock) to HASH_DEVICE,
as \`veritysetup format\` does; HASH_DEVICE may be DATA_DEVICE with --hash-offset past the data.

options:
  --hash NAME              hash algorithm (default sha256; sha1, sha224, sha384, sha512,
                           sha3-256, sha3-512, blake2b-512)
  --data-block-size BYTES  data block size (default 4096)
  --hash-block-size BYTES  hash block size (default 4096)
  --format 0|1             hash type: 1 normal (default), 0 original Chrome OS
  --salt HEX|-             salt (default: 32 zero bytes; '-' for none)
  --uuid UUID              superblock UUID (default: derived from the root hash)
  --data-blocks N          data blocks to hash (default: the whole data device)
  --hash-offset BYTES      where the hash area starts on HASH_DEVICE (default 0)
  --no-superblock          write no superblock
`;

const ROOTHASH_HELP = `usage: parma-sim dmverity roothash [--hash-offset BYTES] IMAGE [HASH_DEVICE]

Print the root hash a guest reads from IMAGE: the dm-verity superblock, then the digest of the top
hash block. The superblock is found at --hash-offset, else after the filesystem of a parma-sim
layer image or of an ext4 image (as hcsshim's guest finds it). With HASH_DEVICE the superblock is
read from it (at --hash-offset, default 0).
`;

function usage(message: string): SimError {
  return new SimError('SIM_USAGE', {}, `dmverity: ${message}`);
}

function parse(
  argv: readonly string[], options: NonNullable<ParseArgsConfig['options']>,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    return { values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals };
  } catch (error) {
    throw usage(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
}

function countArg(flag: string, text: string | boolean | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (typeof text !== 'string' || !/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw usage(`--${flag} must be a non-negative integer`);
  }
  return Number(text);
}

function blockSizeArg(flag: string, text: string | boolean | undefined): number {
  const size = countArg(flag, text, 4096);
  if (!isVerityBlockSize(size)) {
    throw usage(`--${flag} must be a power of two from 512 to 524288`);
  }
  return size;
}

function saltArg(text: string | boolean | undefined): Uint8Array {
  if (text === undefined) return new Uint8Array(32);
  if (text === '-') return new Uint8Array(0);
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw usage('invalid salt string specified');
  }
  if (text.length / 2 > VERITY_MAX_SALT_BYTES) throw usage('salt longer than 256 bytes');
  return new Uint8Array(Buffer.from(text, 'hex'));
}

type FormatArgs = Readonly<{
  dataPath: string; hashPath: string; params: Omit<VerityParams, 'dataBlocks'>;
  dataBlocks: number; hashOffsetBytes: number; superblock: boolean; uuid: Uint8Array | undefined;
}>;

const FORMAT_OPTIONS = {
  'help': { type: 'boolean', short: 'h' }, 'hash': { type: 'string' },
  'data-block-size': { type: 'string' }, 'hash-block-size': { type: 'string' },
  'format': { type: 'string' }, 'salt': { type: 'string' }, 'uuid': { type: 'string' },
  'data-blocks': { type: 'string' }, 'hash-offset': { type: 'string' },
  'no-superblock': { type: 'boolean' },
} as const;

function parseFormatArgs(values: Record<string, string | boolean | undefined>,
  positionals: readonly string[]): FormatArgs {
  if (positionals.length !== 2) throw usage('format needs DATA_DEVICE and HASH_DEVICE');
  const hashAlgorithm = (values['hash'] as string | undefined) ?? 'sha256';
  if (verityHashAlgorithm(hashAlgorithm) === undefined) {
    throw usage(`hash algorithm ${hashAlgorithm} not supported`);
  }
  const hashType = countArg('format', values['format'], 1);
  if (hashType !== 0 && hashType !== 1) throw usage(`unsupported VERITY hash type ${hashType}`);
  const superblock = values['no-superblock'] !== true;
  const hashOffsetBytes = countArg('hash-offset', values['hash-offset'], 0);
  if (superblock && hashOffsetBytes % VERITY_SUPERBLOCK_ALIGN_BYTES !== 0) {
    throw usage('unsupported VERITY hash offset (a superblock needs a multiple of 512)');
  }
  const uuidText = values['uuid'] as string | undefined;
  const uuid = uuidText === undefined ? undefined : parseUuid(uuidText);
  if (uuidText !== undefined && uuid === undefined) throw usage('wrong VERITY UUID format');
  return {
    dataPath: positionals[0]!, hashPath: positionals[1]!, dataBlocks: countArg('data-blocks',
      values['data-blocks'], 0),
    params: {
      hashType, hashAlgorithm, salt: saltArg(values['salt']),
      dataBlockSizeBytes: blockSizeArg('data-block-size', values['data-block-size']),
      hashBlockSizeBytes: blockSizeArg('hash-block-size', values['hash-block-size']),
    },
    hashOffsetBytes, superblock, uuid,
  };
}

/** The same file, as veritysetup's device_is_identical judges it (device and inode). */
function sameFile(a: string, b: string): boolean {
  if (!existsSync(b)) return false;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** Writes the superblock and the tree into the hash device in place (creating it if needed). */
function writeHashArea(path: string, result: VerityFormatResult, hashBlockSizeBytes: number): void {
  const ioError = (error: unknown): SimError => {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    return new SimError('SIM_IO', { path, reason }, `cannot write hash device ${path}: ${reason}`);
  };
  let before = 0;
  try {
    before = existsSync(path) ? statSync(path).size : 0;
  } catch (error) {
    throw ioError(error);
  }
  const size = verityHashDeviceBytes(result, hashBlockSizeBytes, before);
  let fd: number | undefined;
  try {
    fd = openSync(path, existsSync(path) ? 'r+' : 'w');
    if (result.tree.length > 0) {
      writeSync(fd, result.tree, 0, result.tree.length,
        result.placement.hashStartBlock * hashBlockSizeBytes);
    }
    if (result.superblock !== null) {
      writeSync(fd, result.superblock, 0, result.superblock.length,
        result.placement.superblockOffsetBytes);
    }
    if (fstatSync(fd).size < size) ftruncateSync(fd, size);
  } catch (error) {
    throw ioError(error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The lines `veritysetup format` prints (cryptsetup 2.6.1 verity dump). */
function formatReport(args: FormatArgs, params: VerityParams, result: VerityFormatResult): string {
  const hashDeviceBlocks = result.placement.hashStartBlock + result.geometry.hashBlocks;
  const lines = [
    `VERITY header information for ${args.hashPath}`,
    `UUID:            \t${result.uuid === null ? '' : formatUuid(result.uuid)}`,
    `Hash type:       \t${params.hashType}`,
    `Data blocks:     \t${params.dataBlocks}`,
    `Data block size: \t${params.dataBlockSizeBytes}`,
    `Hash blocks:     \t${result.geometry.hashBlocks}`,
    `Hash block size: \t${params.hashBlockSizeBytes}`,
    `Hash algorithm:  \t${params.hashAlgorithm}`,
    `Salt:            \t${params.salt.length === 0 ? '-' : toHex(params.salt)}`,
    `Root hash:      \t${toHex(result.rootHash)}`,
  ];
  // veritysetup knows the hash device's size only when the hash area starts at its beginning.
  if (args.hashOffsetBytes === 0) {
    lines.push(`Hash device size: \t${hashDeviceBlocks * params.hashBlockSizeBytes} [bytes]`);
  }
  return lines.join('\n') + '\n';
}

async function formatCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, FORMAT_OPTIONS);
  if (values['help'] === true) {
    io.stdout(FORMAT_HELP);
    return EXIT_OK;
  }
  const args = parseFormatArgs(values, positionals);
  const data = readInput(args.dataPath, 'data device');
  const dataBlocks = args.dataBlocks !== 0 ? args.dataBlocks
    : Math.floor(data.length / args.params.dataBlockSizeBytes);
  const params: VerityParams = { ...args.params, dataBlocks };
  const result = formatVerity(data, {
    params, hashOffsetBytes: args.hashOffsetBytes, superblock: args.superblock,
    sameDevice: sameFile(args.dataPath, args.hashPath),
    ...(args.uuid === undefined ? {} : { uuid: args.uuid }),
  });
  if (params.dataBlockSizeBytes > 4096) {
    io.stderr('WARNING: Kernel cannot activate device if data block size exceeds page size '
      + '(4096).\n');
  }
  writeHashArea(args.hashPath, result, params.hashBlockSizeBytes);
  io.stdout(formatReport(args, params, result));
  return EXIT_OK;
}

/** Where the guest finds the superblock when no offset is given. */
function superblockOffsetOf(image: Uint8Array): number {
  if (hasLayerMagic(image)) {
    return decodeLayerHeader(image.subarray(0, LAYER_BLOCK_BYTES)).dataBlocks * LAYER_BLOCK_BYTES;
  }
  if (hasExt4Superblock(image)) return ext4FilesystemBytes(image);
  throw new SimError('GUEST_VERITY_BAD_SUPERBLOCK', { what: 'no filesystem to size' },
    'dmverity roothash: neither a parma-sim layer nor ext4; give --hash-offset');
}

async function roothashCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, {
    'help': { type: 'boolean', short: 'h' }, 'hash-offset': { type: 'string' },
  });
  if (values['help'] === true) {
    io.stdout(ROOTHASH_HELP);
    return EXIT_OK;
  }
  if (positionals.length < 1 || positionals.length > 2) {
    throw usage('roothash needs IMAGE and optionally HASH_DEVICE');
  }
  const offsetText = values['hash-offset'];
  const given = offsetText === undefined ? undefined : countArg('hash-offset', offsetText, 0);
  if (given !== undefined && given % VERITY_SUPERBLOCK_ALIGN_BYTES !== 0) {
    throw usage('--hash-offset of a superblock must be a multiple of 512');
  }
  const image = readInput(positionals[0]!, 'image');
  const hash = positionals[1] === undefined ? image : readInput(positionals[1], 'hash device');
  const offset = given ?? (positionals[1] !== undefined ? 0 : superblockOffsetOf(image));
  const table = verityTableFromDevice({ data: image, hash }, offset);
  io.stdout(`${table.root_digest}\n`);
  return EXIT_OK;
}

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  format: { summary: 'build a hash tree and superblock (veritysetup format)', run: formatCommand },
  roothash: {
    summary: 'read the root hash from a device, as the guest does', run: roothashCommand,
  },
};

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  return dispatchSubcommand('parma-sim dmverity', SUBCOMMANDS, argv, io);
}
