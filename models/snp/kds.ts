/**
 * Models: AMD Key Distribution Service request URLs (VCEK Certificate and KDS Interface spec 57230;
 *   spec snp.md e.1): VCEK by hwid and SPLs, the ASK+ARK and ASVK+ARK cert_chain, and the CRLs.
 * Real counterpart: https://kdsintf.amd.com. This module only maps requests ⇄ URLs; the HTTP
 *   server lives in sim/server.ts.
 * Differs: nothing in the URL shapes. SPLs are written in decimal without padding (go-sev-guest
 *   style); the parser also accepts snpguest's two-digit zero padding.
 * Invariants: build(parse(url)) == url for every URL we build; the hwid is lower-case hex of the
 *   first 64 (Milan/Genoa) or 8 (Turin) bytes of CHIP_ID; Turin VCEK URLs carry fmcSPL first;
 *   SPLs come from REPORTED_TCB (never CURRENT_TCB).
 */
import { assert } from '../../sim/kernel/assert.js';
import { toHex } from '../../sim/kernel/bytes.js';
import { SimError, isInputRefusal } from '../../sim/kernel/errors.js';
import { PRODUCTS, parseProduct, type Product } from './product.js';
import { decodeTcb, type TcbParts } from './tcb-version.js';

export const KDS_BASE_URL = 'https://kdsintf.amd.com';

export type KdsKeyKind = 'vcek' | 'vlek';

export type KdsRequest =
  | Readonly<{ kind: 'vcek'; product: Product; hwid: Uint8Array; tcb: TcbParts }>
  | Readonly<{ kind: 'cert_chain'; keyKind: KdsKeyKind; product: Product }>
  | Readonly<{ kind: 'crl'; keyKind: KdsKeyKind; product: Product }>;

/**
 * `/vcek/v1/{product}/crl` or `/vlek/v1/{product}/crl` (also in the CA certs' CRL distribution
 * points).
 */
export function kdsCrlUrl(product: Product, keyKind: KdsKeyKind, base = KDS_BASE_URL): string {
  return `${base}/${keyKind}/v1/${product}/crl`;
}

/**
 * `/vcek/v1/{product}/cert_chain` (ASK then ARK) or `/vlek/v1/{product}/cert_chain` (ASVK then
 * ARK).
 */
export function kdsCertChainUrl(product: Product, keyKind: KdsKeyKind,
  base = KDS_BASE_URL): string {
  return `${base}/${keyKind}/v1/${product}/cert_chain`;
}

/** The VCEK URL for a chip id and TCB parts (Turin: 8-byte hwid, fmcSPL first). */
export function kdsVcekUrl(
  options: Readonly<{ product: Product; chipId: Uint8Array; tcb: TcbParts; base?: string }>,
): string {
  const info = PRODUCTS[options.product];
  assert(options.chipId.length === 64 || options.chipId.length === info.hwidBytes,
    'chip id length');
  const hwid = toHex(options.chipId.subarray(0, info.hwidBytes));
  const { tcb } = options;
  const spls = `blSPL=${tcb.bl}&teeSPL=${tcb.tee}&snpSPL=${tcb.snp}&ucodeSPL=${tcb.ucode}`;
  const query = info.tcbLayout === 'turin' ? `fmcSPL=${tcb.fmc}&${spls}` : spls;
  const url = `${options.base ?? KDS_BASE_URL}/vcek/v1/${options.product}/${hwid}?${query}`;
  assert(hwid.length === 2 * info.hwidBytes);
  return url;
}

/** The VCEK URL a verifier should fetch for a report: CHIP_ID and **REPORTED_TCB**. */
export function kdsVcekUrlForReport(
  report: Readonly<{ chip_id: Uint8Array; reported_tcb: bigint }>, product: Product,
  base = KDS_BASE_URL): string {
  const tcb = decodeTcb(report.reported_tcb, PRODUCTS[product].tcbLayout);
  return kdsVcekUrl({ product, chipId: report.chip_id, tcb, base });
}

function badRequest(reason: string, detail: Readonly<Record<string, unknown>> = {}): SimError {
  return new SimError('SIM_BAD_REQUEST', { reason, ...detail }, `KDS request: ${reason}`);
}

function parseSpl(params: URLSearchParams, name: string): number {
  const text = params.get(name);
  if (text === null) throw badRequest(`missing ${name}`, { parameter: name });
  if (!/^[0-9]{1,3}$/.test(text) || Number(text) > 255) {
    throw new SimError('SNP_BAD_FIELD', { parameter: name, value: text.slice(0, 20) },
      `KDS request: ${name} must be 0..255`);
  }
  return Number(text);
}

/**
 * A KDS path with its query (`/vcek/v1/Milan/<hwid>?blSPL=…`) or a full URL → request.
 * Unknown product: SNP_BAD_PRODUCT. Malformed hwid or SPL: SNP_BAD_FIELD. Anything else that is
 * not a KDS route: SIM_BAD_REQUEST.
 */
export function parseKdsUrl(url: string): KdsRequest {
  let parsed: URL;
  try {
    parsed = new URL(url, KDS_BASE_URL);
  } catch (error) {
    if (!isInputRefusal(error)) throw error;
    throw badRequest('not a URL', { url: url.slice(0, 200) });
  }
  const segments = parsed.pathname.split('/').filter((s) => s.length > 0);
  const [keyKind, apiVersion, productText, leaf, ...rest] = segments;
  if ((keyKind !== 'vcek' && keyKind !== 'vlek') || apiVersion !== 'v1' || productText === undefined
    || leaf === undefined || rest.length > 0) {
    throw badRequest('unknown route', { path: parsed.pathname.slice(0, 200) });
  }
  const product = parseProduct(productText);
  if (product !== productText) {
    throw new SimError('SNP_BAD_PRODUCT', { product: productText },
      `KDS product must be spelled '${product}'`);
  }
  if (leaf === 'cert_chain') return { kind: 'cert_chain', keyKind, product };
  if (leaf === 'crl') return { kind: 'crl', keyKind, product };
  if (keyKind !== 'vcek') {
    throw badRequest('VLEK certificates are not fetchable by hwid', { path: parsed.pathname });
  }
  const info = PRODUCTS[product];
  if (!new RegExp(`^[0-9a-fA-F]{${2 * info.hwidBytes}}$`).test(leaf)) {
    throw new SimError('SNP_BAD_FIELD', { field: 'hwid', product, length: leaf.length },
      `KDS request: ${product} hwid must be ${2 * info.hwidBytes} hex digits`);
  }
  const hwid = Uint8Array.from(Buffer.from(leaf, 'hex'));
  const q = parsed.searchParams;
  const tcb: TcbParts = {
    fmc: info.tcbLayout === 'turin' ? parseSpl(q, 'fmcSPL') : 0,
    bl: parseSpl(q, 'blSPL'), tee: parseSpl(q, 'teeSPL'), snp: parseSpl(q, 'snpSPL'),
    ucode: parseSpl(q, 'ucodeSPL'),
  };
  assert(hwid.length === info.hwidBytes);
  return { kind: 'vcek', product, hwid, tcb };
}

/** Request → URL (the inverse of parseKdsUrl for the URLs this module builds). */
export function kdsUrlOf(request: KdsRequest, base = KDS_BASE_URL): string {
  switch (request.kind) {
    case 'vcek':
      return kdsVcekUrl({ product: request.product, chipId: request.hwid, tcb: request.tcb, base });
    case 'cert_chain': return kdsCertChainUrl(request.product, request.keyKind, base);
    case 'crl': return kdsCrlUrl(request.product, request.keyKind, base);
  }
}
