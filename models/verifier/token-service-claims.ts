/**
 * Models: the `x-ms-sevsnpvm-*` claims Microsoft Azure Attestation derives from a verified
 *   SEV-SNP report (MAA "Examples of an attestation token", SEV-SNP sample; spec
 *   attestation-services.md): byte fields as lowercase hex of the report bytes in report order,
 *   SVNs and VMPL as numbers, policy bits as booleans.
 * Real counterpart: MAA's SevSnpVm claim generation.
 * Differs: the four TCB SVN claims (bootloader, tee, snpfw, microcode) are read from
 *   REPORTED_TCB, the TCB the VCEK certifies and the chain check binds [MAA's documentation does
 *   not say which TCB it reads]; `x-ms-sevsnpvm-uvm-endorsement` is not issued.
 * Invariants: exactly the 17 claim names of the table; each value comes from one report field.
 */
import { assert } from '../../sim/kernel/assert.js';
import { toHex } from '../../sim/kernel/bytes.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import type { AttestationReport } from '../snp/attestation-report.js';
import { decodeGuestPolicy } from '../snp/guest-policy.js';
import { PRODUCTS, type Product } from '../snp/product.js';
import { decodeTcb } from '../snp/tcb-version.js';

/** Claim name → how it is read from the report (the SEV-SNP sample token, in its order). */
export const SEVSNPVM_CLAIMS = Object.freeze([
  ['x-ms-sevsnpvm-authorkeydigest', 'author_key_digest (hex)'],
  ['x-ms-sevsnpvm-bootloader-svn', 'reported_tcb.bl'],
  ['x-ms-sevsnpvm-familyId', 'family_id (hex)'],
  ['x-ms-sevsnpvm-guestsvn', 'guest_svn'],
  ['x-ms-sevsnpvm-hostdata', 'host_data (hex)'],
  ['x-ms-sevsnpvm-idkeydigest', 'id_key_digest (hex)'],
  ['x-ms-sevsnpvm-imageId', 'image_id (hex)'],
  ['x-ms-sevsnpvm-is-debuggable', 'policy.DEBUG (bit 19)'],
  ['x-ms-sevsnpvm-launchmeasurement', 'measurement (hex)'],
  ['x-ms-sevsnpvm-microcode-svn', 'reported_tcb.ucode'],
  ['x-ms-sevsnpvm-migration-allowed', 'policy.MIGRATE_MA (bit 18)'],
  ['x-ms-sevsnpvm-reportdata', 'report_data (hex)'],
  ['x-ms-sevsnpvm-reportid', 'report_id (hex)'],
  ['x-ms-sevsnpvm-smt-allowed', 'policy.SMT (bit 16)'],
  ['x-ms-sevsnpvm-snpfw-svn', 'reported_tcb.snp'],
  ['x-ms-sevsnpvm-tee-svn', 'reported_tcb.tee'],
  ['x-ms-sevsnpvm-vmpl', 'vmpl'],
] as const);

export type SevSnpVmClaimName = (typeof SEVSNPVM_CLAIMS)[number][0];

/** The `x-ms-sevsnpvm-*` claims of a report already verified for `product`. */
export function sevSnpVmClaims(report: AttestationReport, product: Product):
  Readonly<Record<SevSnpVmClaimName, Json>> {
  const tcb = decodeTcb(report.reported_tcb, PRODUCTS[product].tcbLayout);
  const policy = decodeGuestPolicy(report.policy);
  const claims: Record<SevSnpVmClaimName, Json> = {
    'x-ms-sevsnpvm-authorkeydigest': toHex(report.author_key_digest),
    'x-ms-sevsnpvm-bootloader-svn': tcb.bl,
    'x-ms-sevsnpvm-familyId': toHex(report.family_id),
    'x-ms-sevsnpvm-guestsvn': report.guest_svn,
    'x-ms-sevsnpvm-hostdata': toHex(report.host_data),
    'x-ms-sevsnpvm-idkeydigest': toHex(report.id_key_digest),
    'x-ms-sevsnpvm-imageId': toHex(report.image_id),
    'x-ms-sevsnpvm-is-debuggable': policy.debug,
    'x-ms-sevsnpvm-launchmeasurement': toHex(report.measurement),
    'x-ms-sevsnpvm-microcode-svn': tcb.ucode,
    'x-ms-sevsnpvm-migration-allowed': policy.migrate_ma,
    'x-ms-sevsnpvm-reportdata': toHex(report.report_data),
    'x-ms-sevsnpvm-reportid': toHex(report.report_id),
    'x-ms-sevsnpvm-smt-allowed': policy.smt,
    'x-ms-sevsnpvm-snpfw-svn': tcb.snp,
    'x-ms-sevsnpvm-tee-svn': tcb.tee,
    'x-ms-sevsnpvm-vmpl': report.vmpl,
  };
  assert(Object.keys(claims).length === SEVSNPVM_CLAIMS.length, 'every claim of the table');
  assert(SEVSNPVM_CLAIMS.every(([name]) => claims[name] !== undefined));
  return Object.freeze(claims);
}
