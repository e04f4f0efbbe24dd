/**
 * Goal: the attestation side of scenarios: a guest's report from the firmware of a world (or of
 * a platform a scenario configures), the chip's certificate chain, and a relying party that
 * verifies and appraises the evidence — strictly, or with the run's relaxations applied.
 * Method: reports come from models/snp/firmware.ts (MSG_REPORT_REQ → signed report) under the
 * guest context the world's launch produced; certificates from models/snp/certificates.ts for
 * the same seed and platform; verification is models/verifier's `verifyAttestationReport`. A
 * relaxed relying party is the same verifier with a documented option changed (strictReserved,
 * an expectation dropped, another trust anchor, no CRL), or with the failures of one named
 * check not counted — the verifier that lacks that check.
 * Invariants: no verdict is computed here: relaxations only remove expectations or discard named
 * failures of the real verifier; every verification is one trace event with every failure code.
 */
import { createHash } from 'node:crypto';
import { assert } from '../sim/kernel/assert.js';
import { hexBytes, toHex, type Hex } from '../sim/kernel/bytes.js';
import { memo } from '../sim/kernel/memo.js';
import { fingerprint as fingerprintOf } from '../sim/kernel/codec.js';
import {
  decodeAttestationReport, type ReportVersion,
} from '../models/snp/attestation-report.js';
import { buildCertificateSet, type CertificateSet } from '../models/snp/certificates.js';
import {
  requestReport, signReport, type FirmwareState, type ReportValue,
} from '../models/snp/firmware.js';
import { guestContextOf, type LaunchState } from '../models/snp/launch/launch-context.js';
import type { GuestContext } from '../models/snp/guest-context.js';
import { PRODUCTS, type Product } from '../models/snp/product.js';
import { decodeTcb, tcbShortfall, type TcbParts } from '../models/snp/tcb-version.js';
import {
  verifyAttestationReport, type EvidenceCertificates,
} from '../models/verifier/report-verifier.js';
import {
  amdTrustAnchors, parmaSimTestAnchors, trustAnchorFromArk, type TrustAnchor,
} from '../models/verifier/trust-anchors.js';
import type { AppraisalOptions, PolicyFlag } from '../models/verifier/appraisal.js';
import type { VerifyFailure } from '../models/verifier/verdict.js';
import type { World } from '../sim/world.js';
import { allowed, blocked, type Outcome, type VerifierRelaxation } from './dsl.js';
import type { ScenarioContext } from './context.js';

/** What a relying party expects (hex fields), and which roots it pins. */
export type RelyingParty = Readonly<{
  anchors: 'parma-sim-test' | 'amd';
  product?: Product;
  crl?: Uint8Array;
  measurement?: Hex;
  hostData?: Hex;
  reportData?: Hex;
  minTcb?: TcbParts;
  maxVmpl?: number;
  requiredPolicyBits?: readonly PolicyFlag[];
  signingKey?: 'vcek' | 'vlek' | 'any';
}>;

export type Evidence = Readonly<{ report: Uint8Array; certs: EvidenceCertificates }>;

/** REPORT_DATA = SHA-256(runtime data) ‖ 32 zero bytes (Azure's convention, issue 9). */
export function reportDataOf(runtimeData: string): Uint8Array {
  const out = new Uint8Array(64);
  out.set(createHash('sha256').update(runtimeData).digest());
  return out;
}

export type ReportAnswer = Readonly<{ ok: true; report: Uint8Array }>
  | Readonly<{ ok: false; status: string; reason: string }>;

/** MSG_REPORT_REQ from a guest with `context` to `firmware`, signed as the firmware signs. */
export function firmwareReport(ctx: ScenarioContext, firmware: FirmwareState,
  context: GuestContext, request: Readonly<{ reportData: Uint8Array; vmpl?: number;
    senderVmpl?: number; keySel?: number; version?: ReportVersion }>): ReportAnswer {
  const vmpl = request.vmpl ?? 0;
  const answer = requestReport(firmware, { context, senderVmpl: request.senderVmpl ?? 0,
    request: { report_data: request.reportData, vmpl, key_sel: request.keySel ?? 0 },
    ...(request.version === undefined ? {} : { version: request.version }) });
  if (answer.statusName !== 'SUCCESS') {
    const failed = answer as Readonly<{ statusName: string; reason: string }>;
    ctx.emit('snp', 'MSG_REPORT_RSP', { status: failed.statusName, reason: failed.reason });
    return { ok: false, status: failed.statusName, reason: failed.reason };
  }
  const value = (answer as Readonly<{ value: ReportValue }>).value;
  const report = signReport(firmware, value);
  const decoded = decodeAttestationReport(report);
  ctx.emit('snp', 'MSG_REPORT_RSP', { status: 'SUCCESS', vmpl: decoded.vmpl,
    signed_by: value.signingKey, host_data: toHex(decoded.host_data),
    measurement: toHex(decoded.measurement), report_data: toHex(decoded.report_data) });
  assert(report.length === 0x4a0, 'a signed report is 0x4A0 bytes');
  return { ok: true, report };
}

/** The guest of a launched world asks its firmware for a report (VMPL 0 unless asked). */
export function worldReport(ctx: ScenarioContext, world: World,
  request: Readonly<{ reportData: Uint8Array; vmpl?: number; senderVmpl?: number }>): Uint8Array {
  assert(world.state.guest !== null, 'the UVM is launched');
  const answer = firmwareReport(ctx, world.state.firmware, guestContextOf(world.state.launch),
    request);
  assert(answer.ok, 'the firmware answers a well-formed report request');
  return answer.report;
}

/** The launch state's guest context (for scenarios that drive the firmware themselves). */
export function contextOf(launch: LaunchState): GuestContext {
  return guestContextOf(launch);
}

/** The chip's test certificate chain (ARK, ASK, VCEK) for a world's seed and platform. */
export function worldCertificates(world: World): CertificateSet {
  const { platform } = world.state.firmware;
  return memo('scenarios/certs', `${world.config.seed}/${fingerprintOf(platform)}`, () =>
    buildCertificateSet({ seed: world.config.seed, product: platform.product, platform }), 64);
}

export function evidenceCertificates(set: CertificateSet): EvidenceCertificates {
  return set.signingKey === 'vcek'
    ? { ark: set.ark, ask: set.ask, vcek: set.endorsementCert }
    : { ark: set.ark, asvk: set.asvk, vlek: set.endorsementCert };
}

function anchorsFor(rp: RelyingParty, evidence: Evidence,
  relax: VerifierRelaxation): readonly TrustAnchor[] {
  if (relax.trustEvidenceRoot === true && evidence.certs.ark !== undefined) {
    const ark = evidence.certs.ark;
    return (['Milan', 'Genoa', 'Turin'] as const).map((p) =>
      trustAnchorFromArk(p, ark, 'the evidence\'s own ARK'));
  }
  return rp.anchors === 'amd' ? amdTrustAnchors() : parmaSimTestAnchors();
}

function appraisalOf(rp: RelyingParty, relax: VerifierRelaxation): AppraisalOptions {
  const drop = new Set(relax.dropExpectations ?? []);
  const bytes = (hex: Hex | undefined) => (hex === undefined ? undefined : hexBytes(hex));
  const options: Record<string, unknown> = {
    measurement: drop.has('measurement') ? undefined : bytes(rp.measurement),
    hostData: drop.has('hostData') ? undefined : bytes(rp.hostData),
    reportData: drop.has('reportData') ? undefined : bytes(rp.reportData),
    minTcb: drop.has('minTcb') || relax.judgeCurrentTcb === true ? undefined : rp.minTcb,
    maxVmpl: drop.has('maxVmpl') ? undefined : rp.maxVmpl,
    requiredPolicyBits: drop.has('requiredPolicyBits') ? undefined : rp.requiredPolicyBits,
    allowDebug: relax.allowDebug ?? false,
    signingKey: relax.anySigningKey === true ? 'any' : rp.signingKey ?? 'any',
  };
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
  return options as AppraisalOptions;
}

/** A relaxed verifier that judges the TCB by CURRENT_TCB (the KDS-query bug). */
function currentTcbFailures(report: Uint8Array, rp: RelyingParty, product: Product):
  VerifyFailure[] {
  if (rp.minTcb === undefined) return [];
  const decoded = decodeAttestationReport(report, { strict: false });
  const layout = PRODUCTS[product].tcbLayout;
  const below = tcbShortfall(decodeTcb(decoded.current_tcb, layout), rp.minTcb, layout);
  return below.length === 0 ? [] : [{ code: 'VERIFY_TCB_TOO_LOW', detail: {},
    message: `current_tcb below the minimum in ${below.join(', ')}` }];
}

function ignored(f: VerifyFailure, relax: VerifierRelaxation): boolean {
  if ((relax.ignoreCodes ?? []).includes(f.code)) return true;
  const rule = f.detail['rule'];
  return typeof rule === 'string' && (relax.ignoreRules ?? []).includes(rule);
}

/**
 * The relying party verifies and appraises `evidence` under the run's relaxations. Allowed when
 * no counted failure remains; blocked at the verifier with the first failure's code otherwise.
 */
export function appraise(ctx: ScenarioContext, evidence: Evidence, rp: RelyingParty): Outcome {
  const relax = ctx.config.verifier;
  const product = rp.product ?? 'Milan';
  const verdict = verifyAttestationReport(evidence.report, evidence.certs, {
    trustAnchors: anchorsFor(rp, evidence, relax),
    ...(rp.product === undefined ? {} : { product: rp.product }),
    ...(rp.crl === undefined || relax.skipCrl === true ? {} : { crl: rp.crl }),
    strictReserved: relax.lenientReserved !== true,
    appraisal: appraisalOf(rp, relax),
  });
  const failures = [...verdict.failures,
    ...(relax.judgeCurrentTcb === true ? currentTcbFailures(evidence.report, rp, product) : [])];
  const counted = failures.filter((f) => !ignored(f, relax));
  ctx.emit('verifier', 'appraisal', { accepted: counted.length === 0,
    failures: failures.map((f) => ({ code: f.code, message: f.message,
      counted: counted.includes(f) })),
    host_data: verdict.claims?.host_data ?? null, measurement: verdict.claims?.measurement ?? null,
  });
  const first = counted[0];
  if (first === undefined) {
    assert(counted.length === 0, 'accepted means nothing counted against it');
    return allowed(`the relying party accepted the evidence (${failures.length} failures not `
      + 'counted)');
  }
  return blocked('verifier', counted.map((f) => `${f.code}: ${f.message}`).join('; '),
    { code: first.code });
}
