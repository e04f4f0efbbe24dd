/**
 * Models: AMD's private X.509 extensions of VCEK and VLEK certificates (VCEK Certificate and KDS
 *   Interface spec 57230, "VCEK certificate extensions"; spec snp.md e.2), OIDs under
 *   1.3.6.1.4.1.3704.1: structVersion, productName, the SPLs (fmcSPL on Turin), the raw hwid and a
 *   VLEK's csp_id; and the two key OIDs a VCEK carries (id-ecPublicKey, secp384r1).
 * Real counterpart: how go-sev-guest `kds` and virtee read a VCEK's extensions.
 * Differs: nothing. This is the reading side only (over der.ts), so a verifier can use it
 *   without importing the fake issuer or loading the ASN.1 library the issuer builds with.
 * Invariants: SPLs are DER INTEGERs 0..255; productName and csp_id are DER IA5Strings; hwid is the
 *   raw extension value; an OID that appears twice, or a value that does not decode, is
 *   SNP_BAD_CERT (hostile input never crashes); unknown OIDs are listed in `order`, not fatal.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import { DER_TAG, derParse, derString, derUnsigned } from './der.js';

const AMD_ARC = '1.3.6.1.4.1.3704.1';
/** AMD's private certificate extensions (KDS spec 57230, "VCEK certificate extensions"). */
export const AMD_OID = Object.freeze({
  structVersion: `${AMD_ARC}.1`,
  productName: `${AMD_ARC}.2`,
  blSPL: `${AMD_ARC}.3.1`,
  teeSPL: `${AMD_ARC}.3.2`,
  snpSPL: `${AMD_ARC}.3.3`,
  spl4: `${AMD_ARC}.3.4`,
  spl5: `${AMD_ARC}.3.5`,
  spl6: `${AMD_ARC}.3.6`,
  spl7: `${AMD_ARC}.3.7`,
  ucodeSPL: `${AMD_ARC}.3.8`,
  fmcSPL: `${AMD_ARC}.3.9`,
  hwid: `${AMD_ARC}.4`,
  cspId: `${AMD_ARC}.5`,
} as const);
export type AmdExtensionName = keyof typeof AMD_OID;

/** SubjectPublicKeyInfo algorithm and curve of every VCEK/VLEK (RFC 5480). */
export const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
export const ID_SECP384R1 = '1.3.132.0.34';


export type AmdLeafExtensions = Readonly<{
  structVersion?: number;
  productName?: string;
  /** SPLs present in the certificate (fmc only on Turin-style certificates). */
  spl: Readonly<Partial<Record<'fmc' | 'bl' | 'tee' | 'snp' | 'ucode', number>>>;
  /** Raw hwid extension value (64 or 8 bytes in a well-formed certificate). */
  hwid?: Uint8Array;
  cspId?: string;
  /** Extension OIDs in certificate order, for profile checks. */
  order: readonly string[];
}>;

const SPL_OF: Readonly<Record<string, 'fmc' | 'bl' | 'tee' | 'snp' | 'ucode'>> = {
  [AMD_OID.blSPL]: 'bl', [AMD_OID.teeSPL]: 'tee', [AMD_OID.snpSPL]: 'snp',
  [AMD_OID.ucodeSPL]: 'ucode', [AMD_OID.fmcSPL]: 'fmc',
};

function badExtension(oid: string, reason: string): SimError {
  return new SimError('SNP_BAD_CERT', { extension: oid, reason },
    `certificate extension ${oid}: ${reason}`);
}

function readInteger(oid: string, value: Uint8Array): number {
  let parsed: bigint;
  try {
    parsed = derUnsigned(derParse(value, oid), oid);
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    throw badExtension(oid, 'not a DER INTEGER');
  }
  if (parsed > 0xffn) throw badExtension(oid, 'INTEGER outside 0..255');
  return Number(parsed);
}

function readIa5(oid: string, value: Uint8Array): string {
  let element: ReturnType<typeof derParse>;
  try {
    element = derParse(value, oid);
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    throw badExtension(oid, 'not a DER IA5String');
  }
  if (element.tag !== DER_TAG.IA5_STRING) throw badExtension(oid, 'not a DER IA5String');
  try {
    return derString(element, oid);
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    throw badExtension(oid, 'not a DER IA5String');
  }
}

/** One X.509 extension as the certificate reader returns it. */
export type CertificateExtension = Readonly<{
  extnID: string; critical: boolean; value: Uint8Array;
}>;

/**
 * Decodes the AMD extensions of a VCEK/VLEK (unknown AMD OIDs are listed in `order`, not
 * fatal).
 */
export function decodeAmdExtensions(
  extensions: readonly CertificateExtension[],
): AmdLeafExtensions {
  const spl: Partial<Record<'fmc' | 'bl' | 'tee' | 'snp' | 'ucode', number>> = {};
  const order: string[] = [];
  let structVersion: number | undefined;
  let productName: string | undefined;
  let hwid: Uint8Array | undefined;
  let cspId: string | undefined;
  for (const ext of extensions) {
    const oid = ext.extnID;
    if (order.includes(oid)) throw badExtension(oid, 'appears twice');
    order.push(oid);
    const value = ext.value;
    const splName = SPL_OF[oid];
    if (splName !== undefined) spl[splName] = readInteger(oid, value);
    else if (oid === AMD_OID.structVersion) structVersion = readInteger(oid, value);
    else if (oid === AMD_OID.productName) productName = readIa5(oid, value);
    else if (oid === AMD_OID.hwid) hwid = value.slice();
    else if (oid === AMD_OID.cspId) cspId = readIa5(oid, value);
  }
  assert(order.length === extensions.length);
  return {
    spl, order,
    ...(structVersion === undefined ? {} : { structVersion }),
    ...(productName === undefined ? {} : { productName }),
    ...(hwid === undefined ? {} : { hwid }),
    ...(cspId === undefined ? {} : { cspId }),
  };
}
