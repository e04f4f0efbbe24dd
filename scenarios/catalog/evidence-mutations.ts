/**
 * Goal: evidence that real verifiers have wrongly accepted (spec/attestation-services.md, the
 * section of that name; issue 10 §3): non-zero reserved bytes (signed, and unsigned after the
 * signature), SIGNATURE_ALGO 0 taken as "legacy", a missing or a wrong product, CURRENT_TCB used
 * where REPORTED_TCB belongs (the KDS query), MBZ and MBO guest-policy bits, MEM_AES_256_XTS
 * checked in the wrong direction, and a CRL that does not verify read as "nothing revoked".
 * Method: the world's UVM asks its firmware for a report; a malformed field is what a firmware
 * bug or a leaked chip key would sign (the scenario re-signs with the chip's own VCEK and says
 * so), except for the bytes after the signature, which the host changes freely. The relaxed run
 * is the verifier with the documented lenient option, or without the named rule — the verifier
 * that made the mistake.
 * Invariants: each evidence is genuine but for the one thing the scenario names, so the strict
 * verdict's first failure is that thing and the relaxed verifier accepts the rest.
 */
import { assert } from '../../sim/kernel/assert.js';
import { Rng } from '../../sim/kernel/rng.js';
import { signingKeyOf } from '../../models/snp/firmware.js';
import { signAttestationReport } from '../../models/snp/report-signature.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import { buildCrl } from '../../models/snp/crl.js';
import { snpConfig } from '../../models/snp/platform.js';
import { decodeTcb, encodeTcb } from '../../models/snp/tcb-version.js';
import { guestContextOf } from '../../models/snp/launch/launch-context.js';
import { defineScenario, type Outcome, type Scenario, type VerifierRelaxation } from '../dsl.js';
import type { ScenarioContext, WorldDriver } from '../context.js';
import {
  appraise, evidenceCertificates, firmwareReport, reportDataOf, worldCertificates, worldReport,
  type RelyingParty,
} from '../evidence.js';
import { standardWorkload } from '../workloads.js';

const SPEC = 'spec/attestation-services.md: evidence that real verifiers have wrongly accepted';

function launched(ctx: ScenarioContext): WorldDriver {
  const w = ctx.world({ workload: standardWorkload() });
  w.runTo('negotiate');
  return w;
}

function relyingParty(w: WorldDriver, nonce: string): RelyingParty {
  const own = w.world.state.guest!.ownReport!;
  return { anchors: 'parma-sim-test', product: 'Milan', measurement: own.measurement,
    hostData: w.world.config.policy, reportData: Buffer.from(reportDataOf(nonce)).toString('hex'),
    maxVmpl: 0 };
}

/** A genuine report with `edit` applied, signed again by the chip's own VCEK. */
function resigned(ctx: ScenarioContext, w: WorldDriver, nonce: string,
  edit: (bytes: Uint8Array, view: DataView) => void, what: string): Uint8Array {
  const report = worldReport(ctx, w.world, { reportData: reportDataOf(nonce) });
  edit(report, new DataView(report.buffer, report.byteOffset, report.byteLength));
  const key = signingKeyOf(w.world.state.firmware, 'vcek');
  assert(key !== undefined, 'the chip has a VCEK');
  ctx.note(`the chip's VCEK signs a report with ${what} (a firmware bug or a leaked key)`);
  return signAttestationReport(report, key);
}

function mutated(edit: (bytes: Uint8Array, view: DataView) => void, what: string,
  rp: (w: WorldDriver, nonce: string) => RelyingParty = relyingParty) {
  return (ctx: ScenarioContext): Outcome => {
    const w = launched(ctx);
    const nonce = `rp-nonce-${what.length}`;
    const report = resigned(ctx, w, nonce, edit, what);
    return appraise(ctx, { report, certs: evidenceCertificates(worldCertificates(w.world)) },
      rp(w, nonce));
  };
}

function unsignedTrailer(ctx: ScenarioContext): Outcome {
  const w = launched(ctx);
  const nonce = 'rp-nonce-trailer';
  const report = worldReport(ctx, w.world, { reportData: reportDataOf(nonce) });
  report.set(new TextEncoder().encode('host was here'), 0x400);
  ctx.note('the host writes into the reserved bytes after the signature (not signed)');
  return appraise(ctx, { report, certs: evidenceCertificates(worldCertificates(w.world)) },
    relyingParty(w, nonce));
}

function missingProduct(ctx: ScenarioContext): Outcome {
  const w = launched(ctx);
  const nonce = 'rp-nonce-v2';
  const answer = firmwareReport(ctx, w.world.state.firmware, guestContextOf(w.world.state.launch),
    { reportData: reportDataOf(nonce), version: 2 });
  assert(answer.ok, 'a VERSION 2 report (no CPUID: it names no product)');
  ctx.note('an emulator with its own CA; the relying party names no product');
  const { product: _product, ...rp } = relyingParty(w, nonce);
  return appraise(ctx, { report: answer.report, certs: evidenceCertificates(
    worldCertificates(w.world)) }, { ...rp, anchors: 'amd' });
}

function wrongProduct(ctx: ScenarioContext): Outcome {
  const w = launched(ctx);
  const nonce = 'rp-nonce-genoa';
  const report = worldReport(ctx, w.world, { reportData: reportDataOf(nonce) });
  ctx.note('the relying party requires a Genoa; the host runs the UVM on a Milan');
  return appraise(ctx, { report, certs: evidenceCertificates(worldCertificates(w.world)) },
    { ...relyingParty(w, nonce), product: 'Genoa' });
}

function currentTcb(ctx: ScenarioContext): Outcome {
  const w = launched(ctx);
  const { platform } = w.world.state.firmware;
  const current = decodeTcb(platform.current_tcb, 'legacy');
  const old = encodeTcb({ ...current, snp: current.snp - 16, ucode: current.ucode - 100 },
    'legacy');
  const configured = snpConfig(platform, { reportedTcb: old });
  const firmware = { ...w.world.state.firmware, platform: configured };
  ctx.note('SNP_CONFIG: REPORTED_TCB is an old, vulnerable TCB (its VCEK key is no secret); '
    + 'CURRENT_TCB is today\'s');
  const nonce = 'rp-nonce-tcb';
  const answer = firmwareReport(ctx, firmware, guestContextOf(w.world.state.launch),
    { reportData: reportDataOf(nonce) });
  assert(answer.ok, 'a report under the configured REPORTED_TCB');
  const set = buildCertificateSet({ seed: w.world.config.seed, product: 'Milan',
    platform: configured });
  return appraise(ctx, { report: answer.report, certs: evidenceCertificates(set) },
    { ...relyingParty(w, nonce), minTcb: current });
}

function unverifiedCrl(ctx: ScenarioContext): Outcome {
  const w = launched(ctx);
  const nonce = 'rp-nonce-crl';
  const report = worldReport(ctx, w.world, { reportData: reportDataOf(nonce) });
  const x509 = Rng.fromSeed(w.world.config.seed).fork('snp').fork('x509');
  const clean = buildCrl({ rng: x509, product: 'Milan', keyKind: 'vcek', revoked: [] });
  const crl = clean.slice();
  crl[crl.length - 8] = crl[crl.length - 8]! ^ 0xff;   // inside the signature BIT STRING
  ctx.note('AMD revoked ASK-Milan; the host serves a CRL without it, whose signature is broken');
  return appraise(ctx, { report, certs: evidenceCertificates(worldCertificates(w.world)) },
    { ...relyingParty(w, nonce), crl });
}

type Spec = Readonly<{ name: string; tags: readonly string[]; summary: string;
  code: string; reason: string; defence: string; relax: VerifierRelaxation; what: string;
  body: (ctx: ScenarioContext) => Outcome }>;

function evidenceAttack(spec: Spec): Scenario {
  return defineScenario({
    name: spec.name, group: 'evidence', kind: 'attack', tags: ['verifier', ...spec.tags],
    threat: { summary: spec.summary, references: [SPEC, 'issue 10 §3 evidence mutations'] },
    expected: { kind: 'blocked', layer: 'verifier', code: spec.code, reason: spec.reason },
    defence: { summary: spec.defence, relax: [{ kind: 'verifier', what: spec.what,
      change: spec.relax }] },
    body: spec.body,
  });
}

const POLICY_OFFSET = 0x08;

export const EVIDENCE_SCENARIOS: readonly Scenario[] = [
  evidenceAttack({ name: 'reserved-bytes-signed', tags: ['reserved'], summary: 'a signed '
    + 'report with non-zero reserved bytes (0x18B..0x1A0)', code: 'VERIFY_RESERVED',
  reason: 'reserved_18b', defence: 'every reserved byte of the signed span must be zero',
  relax: { lenientReserved: true }, what: 'strictReserved: false',
  body: mutated((bytes) => { bytes[0x190] = 0x5a; }, 'a non-zero reserved byte at 0x190') }),
  evidenceAttack({ name: 'reserved-bytes-unsigned', tags: ['reserved'], summary: 'the host '
    + 'writes into the reserved bytes after the signature, which no signature covers',
  code: 'VERIFY_RESERVED', reason: 'reserved_330',
  defence: 'the unsigned bytes after the signature must be zero too',
  relax: { ignoreRules: ['reserved_range'] }, what: 'a verifier that never reads them',
  body: unsignedTrailer }),
  evidenceAttack({ name: 'signature-algo-zero', tags: ['signature'], summary: 'a report with '
    + 'SIGNATURE_ALGO 0', code: 'VERIFY_SIGNATURE_ALGO', reason: 'not "legacy"',
  defence: 'SIGNATURE_ALGO must be 1 (ECDSA P-384 SHA-384)',
  relax: { ignoreCodes: ['VERIFY_SIGNATURE_ALGO'] }, what: 'a verifier that takes 0 as legacy',
  body: mutated((_b, view) => { view.setUint32(0x34, 0, true); }, 'SIGNATURE_ALGO 0') }),
  evidenceAttack({ name: 'missing-product', tags: ['product', 'chain'], summary: 'an emulator '
    + 'with its own CA sends a VERSION 2 report (no CPUID) to a verifier given no product',
  code: 'VERIFY_UNTRUSTED_ROOT', reason: 'is not the pinned Milan root',
  defence: 'without product information the product comes from the chain, whose root is '
    + 'pinned; the evidence\'s own root is never trusted',
  relax: { trustEvidenceRoot: true }, what: 'trust the evidence\'s ARK when no product is known',
  body: missingProduct }),
  evidenceAttack({ name: 'wrong-product', tags: ['product'], summary: 'the relying party '
    + 'requires a Genoa; the host answers with a Milan report and chain',
  code: 'VERIFY_PRODUCT_MISMATCH', reason: 'product disagrees',
  defence: 'the report\'s CPUID, the chain and the expected product must agree',
  relax: { ignoreCodes: ['VERIFY_PRODUCT_MISMATCH'] }, what: 'no product check',
  body: wrongProduct }),
  evidenceAttack({ name: 'current-tcb-for-kds', tags: ['tcb'], summary: 'REPORTED_TCB is an '
    + 'old TCB; a verifier that reads CURRENT_TCB (as the KDS query did) sees a patched chip',
  code: 'VERIFY_TCB_TOO_LOW', reason: 'reported_tcb below the minimum',
  defence: 'the TCB is judged by REPORTED_TCB, the TCB the VCEK is issued for',
  relax: { judgeCurrentTcb: true }, what: 'judge CURRENT_TCB', body: currentTcb }),
  evidenceAttack({ name: 'mbz-policy-bits', tags: ['policy-bits'], summary: 'a signed report '
    + 'whose guest POLICY has a must-be-zero bit (40) set', code: 'VERIFY_RESERVED',
  reason: 'guest POLICY', defence: 'POLICY bits 63:26 must be zero',
  relax: { lenientReserved: true }, what: 'strictReserved: false',
  body: mutated((_b, view) => { view.setUint32(POLICY_OFFSET + 4,
    view.getUint32(POLICY_OFFSET + 4, true) | (1 << 8), true); }, 'POLICY bit 40 set') }),
  evidenceAttack({ name: 'mbo-policy-bit', tags: ['policy-bits'], summary: 'a signed report '
    + 'whose guest POLICY has the must-be-one bit 17 clear', code: 'VERIFY_RESERVED',
  reason: 'guest POLICY', defence: 'POLICY bit 17 must be one', relax: { lenientReserved: true },
  what: 'strictReserved: false',
  body: mutated((_b, view) => { view.setUint32(POLICY_OFFSET,
    view.getUint32(POLICY_OFFSET, true) & ~(1 << 17), true); }, 'POLICY bit 17 clear') }),
  evidenceAttack({ name: 'mem-aes-direction', tags: ['policy-bits'], summary: 'the relying '
    + 'party requires MEM_AES_256_XTS; the host launched without it',
  code: 'VERIFY_POLICY', reason: 'MEM_AES_256_XTS is required but clear',
  defence: 'a required bit is checked for being set (not for being clear)',
  relax: { dropExpectations: ['requiredPolicyBits'] }, what: 'the bit checked the wrong way',
  body: (ctx) => {
    const w = launched(ctx);
    const nonce = 'rp-nonce-aes';
    const report = worldReport(ctx, w.world, { reportData: reportDataOf(nonce) });
    return appraise(ctx, { report, certs: evidenceCertificates(worldCertificates(w.world)) },
      { ...relyingParty(w, nonce), requiredPolicyBits: ['mem_aes_256_xts'] });
  } }),
  evidenceAttack({ name: 'unverified-crl', tags: ['crl'], summary: 'the host serves a CRL '
    + 'without the revoked ASK, with a broken signature', code: 'VERIFY_BAD_CRL',
  reason: 'signature', defence: 'a CRL that does not verify is a failure, not "nothing revoked"',
  relax: { ignoreCodes: ['VERIFY_BAD_CRL'] }, what: 'an unverifiable CRL read as empty',
  body: unverifiedCrl }),
];
