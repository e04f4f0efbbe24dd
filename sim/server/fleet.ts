/**
 * Models: a fleet of SEV-SNP hosts: per chip its platform (CHIP_ID, firmware, TCBs, VLEK), its
 *   firmware, the one guest running on it, and the AMD certificates that endorse it — the genuine
 *   ones, and the ones a (possibly faulty) service hands out (spec snp.md e.1–e.3).
 * Real counterpart: the hosts behind AMD KDS and Azure's certificate caches.
 * Differs: every key and certificate is TEST-ONLY and comes from the one seed; a VCEK can be
 *   issued for any TCB of a chip the fleet has (KDS does so for well-formed SPLs); one guest per
 *   chip; the `wrongCertificate` fault swaps the served leaf's key for one from another seed.
 * Invariants: the same seed and configuration give byte-identical certificates; a served leaf
 *   carries the chip's hwid (or csp_id) and the TCB asked for; caches are bounded and hold only
 *   values derived from the configuration.
 */
import { assert } from '../kernel/assert.js';
import { hexBytes, toHex } from '../kernel/bytes.js';
import { SimError } from '../kernel/errors.js';
import {
  buildCertificateSet, extendedReportCertTable, toPem, type CertificateSet,
} from '../../models/snp/certificates.js';
import { buildCrl } from '../../models/snp/crl.js';
import { endorsementRootOf } from '../../models/snp/endorsement-keys.js';
import { createFirmware, type FirmwareState } from '../../models/snp/firmware.js';
import type { GuestContext } from '../../models/snp/guest-context.js';
import { guestContextFromFields } from '../../models/snp/guest-context-fields.js';
import { kdsVcekUrl } from '../../models/snp/kds.js';
import {
  createPlatform, platformVcek, platformVlek, type PlatformState,
} from '../../models/snp/platform.js';
import { PRODUCTS, PRODUCT_NAMES, type Product } from '../../models/snp/product.js';
import { decodeTcb } from '../../models/snp/tcb-version.js';
import { testCaCertificate } from '../../models/snp/amd-test-ca.js';
import { buildEndorsementCertificate } from '../../models/snp/x509-profile.js';
import { snpStream, type ResolvedChip, type ResolvedConfig } from './config.js';

/** What a caller may know about a served chip. */
export type ChipInfo = Readonly<{
  name: string;
  product: Product;
  /** CHIP_ID (64 bytes; Turin: 8 meaningful). */
  chipId: Uint8Array;
  /** The KDS hwid: lower-case hex of the first 64 (Milan/Genoa) or 8 (Turin) bytes. */
  hwid: string;
  reportedTcb: bigint;
  /** Which key signs this chip's reports. */
  signingKey: 'vcek' | 'vlek';
  /** Path and query of this chip's VCEK at REPORTED_TCB on the KDS routes. */
  kdsVcekPath: string;
}>;

/** The certificates of one chip, as a verifier would assemble them. */
export type ChipCertificates = CertificateSet & Readonly<{
  chip: string;
  /** The KDS cert_chain PEM of the signing key's kind (ASK or ASVK, then ARK). */
  certChainPem: string;
  /** The extended-report / configfs-tsm `auxblob` certificate table. */
  certTable: Uint8Array;
}>;

export type CaCertificates = Readonly<{
  ark: Uint8Array; ask: Uint8Array; asvk: Uint8Array; vcekCrl: Uint8Array; vlekCrl: Uint8Array;
}>;

export type Chip = Readonly<{
  info: ChipInfo;
  platform: PlatformState;
  firmware: () => FirmwareState;
  context: () => GuestContext;
  certs: () => ChipCertificates;
}>;

export type Fleet = Readonly<{
  config: ResolvedConfig;
  chips: readonly Chip[];
  ca: (product: Product) => CaCertificates;
  /** The leaf certificate (DER) of a chip at a TCB, as the services serve it (faults included). */
  servedLeaf: (chip: Chip, kind: 'vcek' | 'vlek', tcb: bigint) => Uint8Array;
  /** PEM: the served leaf at `tcb`, its signer (ASK or ASVK), the ARK. */
  servedChainPem: (chip: Chip, tcb: bigint) => string;
}>;

/** A small insertion-ordered cache; the oldest entry goes when it is full. */
function boundedCache<V>(limit: number): (key: string, make: () => V) => V {
  assert(Number.isSafeInteger(limit) && limit > 0, 'a cache has room');
  const entries = new Map<string, V>();
  return (key, make) => {
    const hit = entries.get(key);
    if (hit !== undefined) return hit;
    const value = make();
    if (entries.size >= limit) entries.delete(entries.keys().next().value as string);
    entries.set(key, value);
    assert(entries.size <= limit);
    return value;
  };
}

function lazy<V>(make: () => V): () => V {
  let value: V | undefined;
  return () => (value ??= make());
}

function caCertificates(seed: string, product: Product): CaCertificates {
  const ca = Object.freeze({
    ark: testCaCertificate(product, 'ark'),
    ask: testCaCertificate(product, 'ask'),
    asvk: testCaCertificate(product, 'asvk'),
    vcekCrl: buildCrl({ rng: snpStream(seed).fork('x509'), product, keyKind: 'vcek' }),
    vlekCrl: buildCrl({ rng: snpStream(seed).fork('x509'), product, keyKind: 'vlek' }),
  });
  assert(ca.ark.length > 0 && ca.vcekCrl.length > 0);
  return ca;
}

function chipOf(config: ResolvedConfig, spec: ResolvedChip): Chip {
  const { seed, guest } = config;
  const snp = snpStream(seed);
  const platform = createPlatform({ rng: snp, ...spec.platform });
  const signingKey = platform.vlek_csp_id === null ? 'vcek' : 'vlek';
  const chipId = hexBytes(platform.chip_id);
  const info: ChipInfo = Object.freeze({
    name: spec.name, product: spec.product, chipId,
    hwid: toHex(chipId.subarray(0, PRODUCTS[spec.product].hwidBytes)),
    reportedTcb: platform.reported_tcb, signingKey,
    kdsVcekPath: kdsVcekUrl({ product: spec.product, chipId, base: '',
      tcb: decodeTcb(platform.reported_tcb, PRODUCTS[spec.product].tcbLayout) }),
  });
  const context = lazy(() => guestContextFromFields({
    rng: snp.fork('guest').fork(spec.name), launchTcb: platform.current_tcb,
    policy: guest.policy,
    ...(guest.measurement === undefined ? {} : { measurement: guest.measurement }),
    ...(guest.hostData === undefined ? {} : { host_data: guest.hostData }),
  }));
  const certs = lazy((): ChipCertificates => {
    const set = buildCertificateSet({ seed, product: spec.product, platform, signingKey });
    return Object.freeze({ ...set, chip: spec.name,
      certChainPem: toPem(signingKey === 'vcek' ? set.ask : set.asvk) + toPem(set.ark),
      certTable: extendedReportCertTable(set) });
  });
  assert(info.hwid.length === 2 * PRODUCTS[spec.product].hwidBytes);
  return Object.freeze({ info, platform, context, certs,
    firmware: lazy(() => createFirmware(endorsementRootOf(snp), platform)) });
}

/** A leaf issued for `chip` at `tcb`; with `wrong`, its key comes from another seed. */
function issueLeaf(seed: string, chip: Chip, kind: 'vcek' | 'vlek', tcb: bigint,
  wrong: boolean): Uint8Array {
  const { product, chipId } = chip.info;
  const cspId = chip.platform.vlek_csp_id;
  assert(kind === 'vcek' || cspId !== null, 'a VLEK needs a loaded csp id');
  const at = createPlatform({ rng: snpStream(seed), product, chipId, tcb,
    ...(kind === 'vlek' ? { vlekCspId: cspId! } : {}) });
  const root = endorsementRootOf(snpStream(wrong ? `${seed}/wrong-certificate` : seed));
  const key = kind === 'vcek' ? platformVcek(at, root) : platformVlek(at, root);
  assert(key.tcb === tcb, 'the leaf is issued for the TCB asked for');
  return buildEndorsementCertificate({ rng: snpStream(seed).fork('x509'), product, kind, tcb,
    publicKey: key.publicKey,
    ...(kind === 'vcek' ? { chipId } : { cspId: cspId! }) });
}

export function createFleet(config: ResolvedConfig): Fleet {
  const { seed } = config;
  const caCache = boundedCache<CaCertificates>(PRODUCT_NAMES.length);
  const leafCache = boundedCache<Uint8Array>(1024);
  const pemCache = boundedCache<string>(256);
  const ca = (product: Product) => caCache(product, () => caCertificates(seed, product));
  const servedLeaf = (chip: Chip, kind: 'vcek' | 'vlek', tcb: bigint): Uint8Array => {
    const wrong = config.faults.wrongCertificate.includes(chip.info.name);
    return leafCache(`${chip.info.name}/${kind}/${tcb}/${wrong}`, () =>
      !wrong && tcb === chip.platform.reported_tcb && kind === chip.info.signingKey
        ? chip.certs().endorsementCert
        : issueLeaf(seed, chip, kind, tcb, wrong));
  };
  const servedChainPem = (chip: Chip, tcb: bigint): string =>
    pemCache(`${chip.info.name}/${tcb}`, () => {
      const kind = chip.info.signingKey;
      const authority = ca(chip.info.product);
      return toPem(servedLeaf(chip, kind, tcb))
        + toPem(kind === 'vcek' ? authority.ask : authority.asvk) + toPem(authority.ark);
    });
  const chips = Object.freeze(config.chips.map((spec) => chipOf(config, spec)));
  assert(chips.length === config.chips.length);
  return Object.freeze({ config, chips, ca, servedLeaf, servedChainPem });
}

/** The chip called `name` (default: the guest's), or SIM_NOT_FOUND. */
export function chipNamed(fleet: Fleet, name: string | undefined): Chip {
  const wanted = name ?? fleet.config.guest.chip;
  const found = fleet.chips.find((chip) => chip.info.name === wanted);
  if (found === undefined) {
    throw new SimError('SIM_NOT_FOUND', { chip: wanted.slice(0, 64) },
      `no chip '${wanted.slice(0, 64)}'`);
  }
  return found;
}

/** The chip of `product` whose KDS hwid is `hwid`, or SIM_NOT_FOUND. */
export function chipByHwid(fleet: Fleet, product: Product, hwid: Uint8Array): Chip {
  const wanted = toHex(hwid);
  const found = fleet.chips.find((c) => c.info.product === product && c.info.hwid === wanted);
  if (found === undefined) {
    throw new SimError('SIM_NOT_FOUND', { product, hwid: wanted.slice(0, 16) },
      `no ${product} chip with this hwid`);
  }
  return found;
}

/** The chip whose full 64-byte CHIP_ID is `chipId`, or SIM_NOT_FOUND. */
export function chipById(fleet: Fleet, chipId: Uint8Array): Chip {
  const wanted = toHex(chipId);
  const found = fleet.chips.find((c) => toHex(c.info.chipId) === wanted);
  if (chipId.length !== 64 || found === undefined) {
    throw new SimError('SIM_NOT_FOUND', { chipId: wanted.slice(0, 16) },
      'no chip with this chip id');
  }
  return found;
}
