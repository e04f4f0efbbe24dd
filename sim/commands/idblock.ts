/**
 * Models: nothing real. `parma-sim idblock`: builds an SNP ID block and ID_AUTH_INFO for
 * LAUNCH_FINISH, signed with the given PEM keys or with deterministic test keys from --seed, and
 * prints them the way sev-snp-measure's snp-create-id-block does (base64), plus the ID key and
 * author key digests a report will carry. Exit codes: the house table (usage 2, bad key 30,
 * I/O 40).
 */
import { parseArgs } from 'node:util';
import { fromHex, toHex } from '../kernel/bytes.js';
import { SimError } from '../kernel/errors.js';
import { Rng } from '../kernel/rng.js';
import {
  idSigningKeyFromPem, signIdBlock, testIdSigningKey, type IdSigningKey,
} from '../index.js';
import { seedFlag } from './flags.js';
import type { CliIo } from './types.js';
import { readInputText, writeFilesInto } from './files.js';

const HELP = 'usage: parma-sim idblock --measurement VALUE (--idkey PATH [--authorkey PATH]'
  + ` | --seed SEED)
                         [--policy VALUE] [--family-id HEX] [--image-id HEX] [--guest-svn N]
                         [--no-author-key] [--out-dir DIR] [--json]

Create an SNP ID block and ID auth info for LAUNCH_FINISH`
  + ` (snp-create-id-block compatible output).

options:
  --measurement VALUE   expected launch digest: base64 (as snp-create-id-block) or 96 hex digits
  --idkey PATH          ID key, PEM EC P-384 private key
  --authorkey PATH      author key, PEM EC P-384 private key
  --seed SEED           derive TEST id and author keys from this seed instead of PEM files
  --no-author-key       no author key (AUTH_KEY_EN = 0; ID_KEY_SIG and AUTHOR_KEY stay zero)
  --policy VALUE        guest policy in the ID block (default 0x30000)
  --family-id HEX       16-byte FAMILY_ID (default zeros)
  --image-id HEX        16-byte IMAGE_ID (default zeros)
  --guest-svn N         GUEST_SVN (default 0)
  --out-dir DIR         also write id_block.bin (0x60 bytes) and id_auth_info.bin (0x1000 bytes)
  --json                print JSON (hex digests, base64 blobs) instead of the`
  + ` snp-create-id-block lines
`;

const OPTIONS = {
  'help': { type: 'boolean', short: 'h' }, 'measurement': { type: 'string' },
  'idkey': { type: 'string' },
  'authorkey': { type: 'string' }, 'seed': { type: 'string' }, 'no-author-key': { type: 'boolean' },
  'policy': { type: 'string' }, 'family-id': { type: 'string' }, 'image-id': { type: 'string' },
  'guest-svn': { type: 'string' }, 'out-dir': { type: 'string' }, 'json': { type: 'boolean' },
} as const;

function usage(message: string): SimError {
  return new SimError('SIM_USAGE', {}, `idblock: ${message}`);
}

function measurementArg(text: string | undefined): Uint8Array {
  if (text === undefined) throw usage('--measurement is required');
  if (/^(0x)?[0-9a-fA-F]{96}$/.test(text)) return fromHex(text, '--measurement', 48);
  if (!/^[A-Za-z0-9+/]{64}$/.test(text)) {
    throw usage('--measurement must be 48 bytes as base64 or 96 hex digits');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function intArg(flag: string, text: string | undefined, fallback: bigint, max: bigint): bigint {
  if (text === undefined) return fallback;
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text)) {
    throw usage(`--${flag} must be a non-negative integer`);
  }
  const value = BigInt(text);
  if (value > max) throw usage(`--${flag} is out of range`);
  return value;
}

function keys(
  values: Readonly<Record<string, string | boolean | undefined>>,
): { id: IdSigningKey; author?: IdSigningKey } {
  const noAuthor = values['no-author-key'] === true;
  if (values['seed'] !== undefined) {
    if (values['idkey'] !== undefined || values['authorkey'] !== undefined) {
      throw usage('--seed and key files are exclusive');
    }
    const rng = Rng.fromSeed(seedFlag(values['seed'] as string)).fork('idblock');
    const id = testIdSigningKey(rng.fork('id-key'));
    return noAuthor ? { id } : { id, author: testIdSigningKey(rng.fork('author-key')) };
  }
  const idPath = values['idkey'] as string | undefined;
  const authorPath = values['authorkey'] as string | undefined;
  if (idPath === undefined || (authorPath === undefined && !noAuthor)) {
    throw usage('missing key files for id block');
  }
  if (authorPath !== undefined && noAuthor) {
    throw usage('--authorkey and --no-author-key are exclusive');
  }
  const id = idSigningKeyFromPem(readInputText(idPath, '--idkey'), '--idkey');
  return authorPath === undefined ? { id }
    : { id, author: idSigningKeyFromPem(readInputText(authorPath, '--authorkey'), '--authorkey') };
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...argv], options: OPTIONS, strict: true, allowPositionals: false,
    }).values;
  } catch (error) {
    throw usage(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
  if (values.help === true) { io.stdout(HELP); return 0; }
  const ld = measurementArg(values.measurement);
  const { id, author } = keys(values);
  const signed = signIdBlock({
    ld, idKey: id, ...(author !== undefined ? { authorKey: author } : {}),
    policy: intArg('policy', values.policy, 0x30000n, (1n << 64n) - 1n),
    guest_svn: Number(intArg('guest-svn', values['guest-svn'], 0n, 0xffff_ffffn)),
    family_id: values['family-id'] === undefined
      ? new Uint8Array(16) : fromHex(values['family-id'], '--family-id', 16),
    image_id: values['image-id'] === undefined
      ? new Uint8Array(16) : fromHex(values['image-id'], '--image-id', 16),
  });
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  if (values['out-dir'] !== undefined) {
    writeBlobs(values['out-dir'], signed.id_block, signed.id_auth_info);
  }
  if (values.json === true) {
    io.stdout(`${JSON.stringify({
      id_block: b64(signed.id_block), id_auth_info: b64(signed.id_auth_info),
      id_key_digest: toHex(signed.id_key_digest),
      author_key_digest: toHex(signed.author_key_digest),
      author_key_en: signed.author_key_en,
    }, null, 2)}\n`);
    return 0;
  }
  io.stdout(`id-block=${b64(signed.id_block)},id-auth=${b64(signed.id_auth_info)}\n`
    + `id_key_hash: ${b64(signed.id_key_digest)}\nauthor_key: ${b64(signed.author_key_digest)}\n`);
  return 0;
}

function writeBlobs(dir: string, idBlock: Uint8Array, idAuth: Uint8Array): void {
  writeFilesInto(dir, { 'id_block.bin': idBlock, 'id_auth_info.bin': idAuth });
}
