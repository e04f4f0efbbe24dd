/**
 * Models: PEM, the text armour of DER certificates, CRLs and keys (RFC 7468), as KDS serves
 *   `cert_chain` and as openssl reads and writes it.
 * Real counterpart: openssl's PEM reader/writer. Differs: only labelled blocks with a base64 body;
 *   no encrypted PEM, no headers.
 * Invariants: toPem writes 64-character lines and a trailing newline; fromPem(toPem(der)) = [der];
 *   garbage between blocks is ignored (as openssl does); a body that is not base64 is
 *   SNP_BAD_CERT; more than 64 blocks is SIM_LIMIT_EXCEEDED. Issuer and verifier both use it.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';

/** The most blocks one PEM text may hold: a chain has three, a bundle a handful. */
export const MAX_PEM_BLOCKS = 64;

/** DER → PEM with 64-character lines. */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  assert(der.length > 0, 'toPem: empty DER');
  const body = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  const pem = `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
  assert(pem.endsWith('\n'), 'toPem: ends with a newline');
  return pem;
}

/**
 * Every PEM block with `label` in `text`, as DER. Garbage between blocks is ignored (as openssl
 * does); a block whose body is not base64 is SNP_BAD_CERT.
 */
export function fromPem(text: string, label = 'CERTIFICATE'): Uint8Array[] {
  const out: Uint8Array[] = [];
  const pattern = new RegExp(`-----BEGIN ${label}-----([^-]*)-----END ${label}-----`, 'g');
  for (const match of text.matchAll(pattern)) {
    const body = (match[1] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
      throw new SimError('SNP_BAD_CERT', { label }, `PEM ${label} block is not base64`);
    }
    out.push(new Uint8Array(Buffer.from(body, 'base64')));
    if (out.length > MAX_PEM_BLOCKS) {
      throw new SimError('SIM_LIMIT_EXCEEDED', { what: 'PEM blocks' },
        `more than ${MAX_PEM_BLOCKS} PEM blocks`);
    }
  }
  assert(out.length <= MAX_PEM_BLOCKS);
  return out;
}
