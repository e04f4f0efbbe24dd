/**
 * Models: nothing real. The configuration of the fake SNP backend (`parma-sim serve --config`,
 *   `createFakeSnp(options)`): which chips it serves (product, firmware, TCBs, chip id, VLEK),
 *   which guest the sidecar routes speak for, the THIM cache-control value and the faults.
 * Real counterpart: none; it describes a fleet of real hosts and the guest on one of them.
 * Differs: the same shape serves JSON files and library callers, so byte fields are hex strings
 *   (or Uint8Array) and TCBs are text (`bl=3,tee=0,snp=8,ucode=115`, `0x…`) or bigint.
 * Invariants: every problem is SimError SIM_USAGE naming the config path (`chips[1].tcb`);
 *   unknown keys are refused (typos must not pass silently); chip names are unique, and no two
 *   chips of one product share a KDS hwid; without `chips` there is one chip per product.
 */
import { assert } from '../kernel/assert.js';
import { fromHex } from '../kernel/bytes.js';
import { SimError } from '../kernel/errors.js';
import { canonicalSeed, Rng, type Seed } from '../kernel/rng.js';
import {
  createPlatform, parseFirmwareVersion, type CreatePlatformOptions,
} from '../../models/snp/platform.js';
import { PRODUCTS, PRODUCT_NAMES, parseProduct, type Product } from '../../models/snp/product.js';
import { parseTcbText } from '../../models/snp/tcb-text.js';
import {
  resolveAttestationConfig, type KeyVaultSpec, type ResolvedAttestation, type TokenServiceSpec,
} from './attestation-config.js';
import { configError, recordAt } from './config-check.js';
import { parseFaultSpec, type FaultSpec, type ResolvedFaults } from './faults.js';

/** One simulated host chip. Everything but `product` has a default. */
export type ChipSpec = Readonly<{
  /** Unique name (default: the product in lower case, then `-2`, `-3`, … for more). */
  name?: string;
  product: Product | 'milan' | 'genoa' | 'turin' | string;
  /** Running firmware `MAJOR.MINOR.BUILD` (default: the product's, from a real report). */
  firmware?: string;
  /** CURRENT_TCB as components or a raw u64. */
  tcb?: string | bigint;
  /** SNP_CONFIG REPORTED_TCB: what reports carry and the VCEK is issued for. */
  reportedTcb?: string | bigint;
  committedTcb?: string | bigint;
  /** CHIP_ID hex (64 bytes, or 8 on Turin). Default: derived from the seed and the name. */
  chipId?: string | Uint8Array;
  /** Load a VLEK for this cloud provider id; reports are then VLEK-signed (KEY_SEL 0). */
  vlekCspId?: string;
  maskChipId?: boolean;
}>;

/** The guest the sidecar routes (`/attest/*`) and `report()` speak for. */
export type GuestSpec = Readonly<{
  /** Name of the chip it runs on (default: the first chip). */
  chip?: string;
  measurement?: string | Uint8Array;
  /** HOST_DATA (32 bytes hex); or give `securityPolicyBase64` and HOST_DATA is its SHA-256. */
  hostData?: string | Uint8Array;
  /** The CCE policy as ACI passes it (base64); HOST_DATA = SHA-256 of the decoded bytes. */
  securityPolicyBase64?: string;
  /** Guest POLICY u64 (default 0x3001f, as on ACI). */
  policy?: string | bigint;
  /** VMPL the guest's requests come from and ask for (default 0). */
  vmpl?: number;
  /** `uvm_endorsements` of `/attest/combined`: base64 COSE_Sign1 (default: empty, as without). */
  uvmEndorsementsBase64?: string;
}>;

export type FakeSnpOptions = Readonly<{
  /** The one seed: chip ids, endorsement keys, REPORT_IDs, PSS salts, faults (default 0). */
  seed?: Seed;
  chips?: readonly ChipSpec[];
  guest?: GuestSpec;
  /** THIM `cacheControl` (seconds, default "86400" as Azure serves). */
  cacheControl?: string;
  faults?: FaultSpec;
  /** Virtual time of tokens and key releases, ISO 8601 UTC (default 2026-01-01T00:00:00Z). */
  time?: string;
  /** The MAA-style token service (`/attest/maa`, `/attest/SevSnpVm`, `/certs`). */
  tokenService?: TokenServiceSpec;
  /** The AKV-style key vault and its keys (`/key/release`, `/keys/{name}/release`). */
  keyVault?: KeyVaultSpec;
}>;

export type ResolvedChip = Readonly<{
  name: string;
  product: Product;
  /** createPlatform options without the stream. */
  platform: Omit<CreatePlatformOptions, 'rng'>;
}>;

export type ResolvedGuest = Readonly<{
  chip: string;
  measurement?: Uint8Array;
  hostData?: Uint8Array;
  policy: bigint;
  vmpl: number;
  uvmEndorsementsBase64: string;
}>;

export type ResolvedConfig = Readonly<{
  seed: string;
  chips: readonly ResolvedChip[];
  guest: ResolvedGuest;
  cacheControl: string;
  faults: ResolvedFaults;
  attestation: ResolvedAttestation;
}>;

/**
 * The firmware's stream of a seed, as `parma-sim snp report --seed` builds it (chip ids,
 * endorsement root, guests).
 */
export function snpStream(seed: string): Rng {
  return Rng.fromSeed(seed).fork('snp');
}

/** ACI's guest policy (spec snp.md a.5). */
const DEFAULT_GUEST_POLICY = 0x3001fn;

function optionalString(record: Readonly<Record<string, unknown>>, key: string,
  path: string): string | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) {
    throw configError(`${path}.${key}`, 'must be a non-empty string of at most 4096 characters');
  }
  return value;
}

function bytesAt(value: unknown, path: string, sizes: readonly number[]): Uint8Array | undefined {
  if (value === undefined) return undefined;
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = value.slice();
  else if (typeof value === 'string') {
    try {
      bytes = fromHex(value, path);
    } catch {
      throw configError(path, 'must be hex');
    }
  } else throw configError(path, 'must be a hex string');
  if (!sizes.includes(bytes.length)) {
    throw configError(path, `must be ${sizes.join(' or ')} bytes, got ${bytes.length}`);
  }
  return bytes;
}

function tcbAt(value: unknown, path: string, product: Product): bigint | undefined {
  if (value === undefined) return undefined;
  const layout = PRODUCTS[product].tcbLayout;
  try {
    if (typeof value === 'bigint') return parseTcbText(`0x${value.toString(16)}`, layout);
    if (typeof value === 'string') return parseTcbText(value, layout);
  } catch (error) {
    if (error instanceof SimError) throw configError(path, error.message);
    throw error;
  }
  throw configError(path, 'must be TCB text (bl=…,tee=…,snp=…,ucode=…) or a u64');
}

const CHIP_KEYS = ['name', 'product', 'firmware', 'tcb', 'reportedTcb', 'committedTcb', 'chipId',
  'vlekCspId', 'maskChipId'] as const;

function productAt(value: unknown, path: string): Product {
  if (typeof value !== 'string') throw configError(path, 'must be Milan, Genoa or Turin');
  try {
    return parseProduct(value);
  } catch {
    throw configError(path,
      `unknown product '${value.slice(0, 40)}' (${PRODUCT_NAMES.join(', ')})`);
  }
}

/**
 * A chip id for the n-th chip of a product: the first gets the platform default (so it is the
 * chip `parma-sim snp report --seed S --product P` simulates), later ones a seeded id of their own.
 */
function defaultChipId(seed: string, product: Product, name: string,
  ordinal: number): Uint8Array | undefined {
  if (ordinal === 0) return undefined;
  const meaningful = PRODUCTS[product].hwidBytes;
  const id = new Uint8Array(64);
  id.set(Rng.fromSeed(seed).fork('server').fork('chip-id').fork(name).bytes(meaningful));
  if (id.every((b) => b === 0)) id[0] = 1;
  assert(id.subarray(meaningful).every((b) => b === 0));
  return id;
}

function resolveChip(value: unknown, path: string, seed: string,
  ordinals: Map<Product, number>): ResolvedChip {
  const record = recordAt(value, path, CHIP_KEYS);
  const product = productAt(record['product'], `${path}.product`);
  const ordinal = ordinals.get(product) ?? 0;
  ordinals.set(product, ordinal + 1);
  const name = optionalString(record, 'name', path)
    ?? (ordinal === 0 ? product.toLowerCase() : `${product.toLowerCase()}-${ordinal + 1}`);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw configError(`${path}.name`, 'must be 1..64 of A-Z a-z 0-9 . _ -');
  }
  const firmware = optionalString(record, 'firmware', path);
  const chipId = bytesAt(record['chipId'], `${path}.chipId`,
    PRODUCTS[product].hwidBytes === 8 ? [8, 64] : [64])
    ?? defaultChipId(seed, product, name, ordinal);
  const mask = record['maskChipId'];
  if (mask !== undefined && typeof mask !== 'boolean') {
    throw configError(`${path}.maskChipId`, 'must be true or false');
  }
  const platform: Omit<CreatePlatformOptions, 'rng'> = {
    product,
    ...(firmware === undefined ? {} : { firmwareVersion: parseFirmwareVersion(firmware) }),
    ...optionalTcb('tcb', tcbAt(record['tcb'], `${path}.tcb`, product)),
    ...optionalTcb('reportedTcb', tcbAt(record['reportedTcb'], `${path}.reportedTcb`, product)),
    ...optionalTcb('committedTcb', tcbAt(record['committedTcb'], `${path}.committedTcb`, product)),
    ...(chipId === undefined ? {} : { chipId }),
    ...(record['vlekCspId'] === undefined
      ? {} : { vlekCspId: optionalString(record, 'vlekCspId', path)! }),
    ...(mask === undefined ? {} : { maskChipId: mask }),
  };
  try {
    createPlatform({ rng: snpStream(seed), ...platform }); // the firmware model judges it
  } catch (error) {
    if (error instanceof SimError) throw configError(path, error.message);
    throw error;
  }
  return Object.freeze({ name, product, platform });
}

function optionalTcb(key: string, value: bigint | undefined): Readonly<Record<string, bigint>> {
  return value === undefined ? {} : { [key]: value };
}

const GUEST_KEYS = ['chip', 'measurement', 'hostData', 'securityPolicyBase64', 'policy', 'vmpl',
  'uvmEndorsementsBase64'] as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (Go's base64.StdEncoding), or undefined when it is not. */
export function decodeStdBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function resolveGuest(value: unknown, chips: readonly ResolvedChip[],
  hostDataOf: (policy: Uint8Array) => Uint8Array): ResolvedGuest {
  const record = recordAt(value ?? {}, 'guest', GUEST_KEYS);
  const chip = optionalString(record, 'chip', 'guest') ?? chips[0]!.name;
  if (!chips.some((c) => c.name === chip)) throw configError('guest.chip', `no chip '${chip}'`);
  const policyBase64 = optionalString(record, 'securityPolicyBase64', 'guest');
  if (policyBase64 !== undefined && record['hostData'] !== undefined) {
    throw configError('guest', 'give hostData or securityPolicyBase64, not both');
  }
  let hostData = bytesAt(record['hostData'], 'guest.hostData', [32]);
  if (policyBase64 !== undefined) {
    const policy = decodeStdBase64(policyBase64);
    if (policy === undefined) throw configError('guest.securityPolicyBase64', 'not base64');
    hostData = hostDataOf(policy);
  }
  const rawPolicy = record['policy'];
  let policy = DEFAULT_GUEST_POLICY;
  if (typeof rawPolicy === 'bigint') policy = rawPolicy;
  else if (typeof rawPolicy === 'string' && /^(0x[0-9a-f]{1,16}|[0-9]{1,20})$/i.test(rawPolicy)) {
    policy = BigInt(rawPolicy);
  } else if (rawPolicy !== undefined) throw configError('guest.policy', 'must be a u64 (0x…)');
  if (policy >= 1n << 64n) throw configError('guest.policy', 'must be a u64');
  const vmpl = record['vmpl'] ?? 0;
  if (typeof vmpl !== 'number' || !Number.isInteger(vmpl) || vmpl < 0 || vmpl > 3) {
    throw configError('guest.vmpl', 'must be 0..3');
  }
  const endorsements = optionalString(record, 'uvmEndorsementsBase64', 'guest') ?? '';
  if (endorsements !== '' && decodeStdBase64(endorsements) === undefined) {
    throw configError('guest.uvmEndorsementsBase64', 'not base64');
  }
  const measurement = bytesAt(record['measurement'], 'guest.measurement', [48]);
  return Object.freeze({
    chip, policy, vmpl, uvmEndorsementsBase64: endorsements,
    ...(measurement === undefined ? {} : { measurement }),
    ...(hostData === undefined ? {} : { hostData }),
  });
}

const TOP_KEYS = ['seed', 'chips', 'guest', 'cacheControl', 'faults', 'time', 'tokenService',
  'keyVault'] as const;
const MAX_CHIPS = 64;

/**
 * Options (a parsed JSON file or a library caller's object) → the resolved configuration.
 * `hostDataOf` is the HOST_DATA rule (SHA-256 of the policy bytes), passed in by the caller.
 */
export function resolveFakeSnpConfig(input: unknown,
  hostDataOf: (policy: Uint8Array) => Uint8Array): ResolvedConfig {
  const record = recordAt(input ?? {}, 'options', TOP_KEYS);
  const rawSeed = record['seed'] ?? 0;
  if (typeof rawSeed !== 'number' && typeof rawSeed !== 'string' && typeof rawSeed !== 'bigint') {
    throw configError('seed', 'must be a non-negative integer or a string');
  }
  const seed = canonicalSeed(rawSeed);
  const rawChips = record['chips'] ?? PRODUCT_NAMES.map((product) => ({ product }));
  if (!Array.isArray(rawChips) || rawChips.length === 0 || rawChips.length > MAX_CHIPS) {
    throw configError('chips', `must be a list of 1..${MAX_CHIPS} chips`);
  }
  const ordinals = new Map<Product, number>();
  const chips = rawChips.map((chip, i) => resolveChip(chip, `chips[${i}]`, seed, ordinals));
  checkUnique(chips, seed);
  const cacheControl = optionalString(record, 'cacheControl', 'options') ?? '86400';
  if (!/^[0-9]{1,10}$/.test(cacheControl)) throw configError('cacheControl', 'must be seconds');
  const config: ResolvedConfig = Object.freeze({
    seed, chips: Object.freeze(chips), cacheControl,
    guest: resolveGuest(record['guest'], chips, hostDataOf),
    faults: parseFaultSpec(record['faults'], chips.map((c) => c.name), seed),
    attestation: resolveAttestationConfig(record['time'], record['tokenService'],
      record['keyVault']),
  });
  assert(config.chips.length > 0);
  return config;
}

function checkUnique(chips: readonly ResolvedChip[], seed: string): void {
  const names = new Set<string>();
  const hwids = new Set<string>();
  for (const chip of chips) {
    if (names.has(chip.name)) throw configError('chips', `two chips are named '${chip.name}'`);
    names.add(chip.name);
    const id = createPlatform({ rng: snpStream(seed), ...chip.platform }).chip_id;
    const hwid = `${chip.product}/${id.slice(0, 2 * PRODUCTS[chip.product].hwidBytes)}`;
    if (hwids.has(hwid)) throw configError('chips', `two ${chip.product} chips share a chip id`);
    hwids.add(hwid);
  }
  assert(names.size === chips.length);
}
