/**
 * Goal: the verifier rejects every kind of evidence that real verifiers have wrongly accepted
 * (spec attestation-services.md, "Evidence that real verifiers have wrongly accepted"), and each
 * appraisal rule fails with its own code.
 * Method: make a genuine parma-sim report and certificate set from one seed (generateReport +
 * buildCertificateSet share the simulated platform), check that it verifies under the pinned test
 * roots, then change exactly one thing — re-signing the report with the real endorsement key
 * where the change must not be caught by the signature alone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../sim/kernel/rng.js';
import {
  decodeAttestationReport, encodeAttestationReport,
} from '../../models/snp/attestation-report.js';
import { buildCertificateSet, type CertificateSet } from '../../models/snp/certificates.js';
import { buildCrl } from '../../models/snp/crl.js';
import type { EndorsementKey } from '../../models/snp/endorsement-keys.js';
import type { Product } from '../../models/snp/product.js';
import { signAttestationReport } from '../../models/snp/report-signature.js';
import { encodeTcb } from '../../models/snp/tcb-version.js';
import { generateReport, type GenerateReportOptions } from '../../models/snp/report-generator.js';
import type { AppraisalOptions } from '../../models/verifier/appraisal.js';
import {
  verifyAttestationReport, type EvidenceCertificates, type VerifyReportOptions,
} from '../../models/verifier/report-verifier.js';
import { amdTrustAnchors, parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';

type Fixture = {
  report: Uint8Array; key: EndorsementKey; set: CertificateSet; certs: EvidenceCertificates;
};

function fixture(
  options: Partial<GenerateReportOptions> & { product?: Product } = {},
  setOptions: { tcb?: bigint } = {},
): Fixture {
  const product = options.product ?? 'Milan';
  const signingKey = options.signingKey ?? 'vcek';
  const generated = generateReport({ seed: 77, product, ...options });
  const key = generated.endorsementKey;
  assert.ok(key !== undefined, 'report is signed');
  const set = buildCertificateSet({
    seed: 77, product, signingKey, platform: generated.platform,
    ...(setOptions.tcb === undefined ? {} : { tcb: setOptions.tcb }),
  });
  const certs: EvidenceCertificates = {
    ark: set.ark, ask: set.ask, asvk: set.asvk, [signingKey]: set.endorsementCert,
  };
  return { report: generated.report, key, set, certs };
}

function verify(
  f: Pick<Fixture, 'report' | 'certs'>, extra: Partial<VerifyReportOptions> = {},
  appraisal: AppraisalOptions = {},
) {
  return verifyAttestationReport(f.report, f.certs, {
    trustAnchors: parmaSimTestAnchors(), appraisal, ...extra,
  });
}

const codes = (v: { failures: readonly { code: string }[] }): string[] =>
  v.failures.map((f) => f.code);

/** Decode, change, re-encode and re-sign with the genuine endorsement key. */
function resign(
  f: Fixture, change: (r: ReturnType<typeof decodeAttestationReport>) => void,
  key: EndorsementKey = f.key,
): Uint8Array {
  const report = decodeAttestationReport(f.report, { strict: false });
  change(report);
  return signAttestationReport(encodeAttestationReport(report), key);
}

test(
  'verifier/negative: the genuine fixture verifies (so every ' +
    'rejection below is caused by its one change)',
  () => {
    for (const product of ['Milan', 'Genoa', 'Turin'] as const) {
      for (const signingKey of ['vcek', 'vlek'] as const) {
        const verdict = verify(fixture({ product, signingKey }), {
          crl: fixture({ product, signingKey }).set.crl, at: new Date('2026-02-01T00:00:00Z'),
        });
        assert.equal(verdict.failures, [], `${product} ${signingKey}`);
        assert.ok(verdict.ok);
      }
    }
  },
);

test(
  'verifier/negative: a forged root is not trusted when product ' +
    'information is missing (v2, no --product)',
  () => {
    const f = fixture({ version: 2 });
    // The attacker's chain (parma-sim test keys) presented to a verifier pinned to AMD's roots.
    const forged = verifyAttestationReport(f.report, f.certs, { trustAnchors: amdTrustAnchors() });
    assert.not.ok(forged.ok);
    assert.ok(codes(forged).includes('VERIFY_UNTRUSTED_ROOT'));
    // Without an ARK in the evidence, the pinned AMD ARK is used and the forged ASK fails under
    // it.
    const noArk = verifyAttestationReport(
      f.report, { ask: f.set.ask, vcek: f.set.endorsementCert },
      { trustAnchors: amdTrustAnchors() },
    );
    assert.ok(codes(noArk).includes('VERIFY_BAD_CHAIN'));
  },
);

test(
  'verifier/negative: unsigned bytes after the signature must be ' +
    'zero, even without strict reserved checks',
  () => {
    const f = fixture();
    const report = f.report.slice();
    report[0x400] = 1;
    const verdict = verify({ report, certs: f.certs }, { strictReserved: false });
    assert.equal(codes(verdict), ['VERIFY_RESERVED']);
    assert.is(verdict.failures[0]!.detail['signed'], false);
  },
);

test(
  'verifier/negative: MEM_AES_256_XTS is checked in the right direction (required → must be set)',
  () => {
    const without = fixture({ policy: 0x30000n });
    const withBit = fixture({ policy: 0x30000n | (1n << 22n) });
    const required: AppraisalOptions = { requiredPolicyBits: ['mem_aes_256_xts'] };
    const a = verify(without, {}, required);
    assert.equal(codes(a), ['VERIFY_POLICY']);
    assert.is(a.failures[0]!.detail['rule'], 'required');
    assert.ok(verify(withBit, {}, required).ok);
    assert.equal(
      codes(verify(withBit, {}, { forbiddenPolicyBits: ['mem_aes_256_xts'] })), ['VERIFY_POLICY'],
    );
  },
);

test(
  'verifier/negative: a CRL whose signature does not verify is an error, never "nothing revoked"',
  () => {
    const f = fixture();
    const crl = f.set.crl.slice();
    crl[crl.length - 5] = crl[crl.length - 5]! ^ 0xff; // inside the signature BIT STRING
    const verdict = verify(f, { crl });
    assert.equal(codes(verdict), ['VERIFY_BAD_CRL']);
    assert.match(verdict.failures[0]!.message, 'CRL signature does not verify');
  },
);

test('verifier/negative: a CRL that does not parse is an error, never "nothing revoked"', () => {
  const f = fixture();
  for (const crl of [
    new Uint8Array([0x30, 0x03, 0x02, 0x01]), new TextEncoder().encode('not a crl'),
    new Uint8Array(0),
  ]) {
    const verdict = verify(f, { crl });
    assert.equal(codes(verdict), ['VERIFY_BAD_CRL']);
  }
});

test('verifier/negative: a CRL signed by another product\'s ARK is rejected', () => {
  const f = fixture({ product: 'Milan' });
  const crl = buildCrl({ rng: Rng.fromSeed(77), product: 'Genoa', keyKind: 'vcek' });
  const verdict = verify(f, { crl });
  assert.equal(codes(verdict), ['VERIFY_BAD_CRL']);
  assert.match(verdict.failures[0]!.message, 'CRL issuer is not the ARK');
});

test(
  'verifier/negative: a revoked ASK (serial 0x10001 on a verified CRL) fails with VERIFY_REVOKED',
  () => {
    const f = fixture({ product: 'Milan' });
    const crl = buildCrl({
      rng: Rng.fromSeed(77), product: 'Milan', keyKind: 'vcek', revoked: [{ serial: 0x10001n }],
    });
    assert.equal(codes(verify(f, { crl })), ['VERIFY_REVOKED']);
    const other = buildCrl({
      rng: Rng.fromSeed(77), product: 'Milan', keyKind: 'vcek', revoked: [{ serial: 0x10101n }],
    });
    assert.ok(verify(f, { crl: other }).ok, 'revoking the ASVK does not touch a VCEK chain');
  },
);


test('verifier/negative: a VLEK-signed report that claims VCEK in KEY_INFO is told apart', () => {
  const f = fixture({ signingKey: 'vlek' });
  // SIGNING_KEY = VCEK, still signed by the VLEK
  const report = resign(f, (r) => { r.key_info = 0; });
  const verdict = verify({ report, certs: { ...f.certs, vcek: f.set.endorsementCert } });
  assert.ok(codes(verdict).includes('VERIFY_SIGNING_KEY'));
  assert.not.ok(verdict.ok);
});

test(
  'verifier/negative: VCEK vs VLEK policy, and a VLEK report with only a VCEK certificate',
  () => {
    const vlek = fixture({ signingKey: 'vlek' });
    assert.equal(codes(verify(vlek, {}, { signingKey: 'vcek' })), ['VERIFY_SIGNING_KEY']);
    assert.ok(verify(vlek, {}, { signingKey: 'vlek' }).ok);
    const vcek = fixture({ signingKey: 'vcek' });
    const mixed = verify({ report: vlek.report, certs: { vcek: vcek.set.endorsementCert } });
    assert.equal(codes(mixed), ['VERIFY_SIGNING_KEY']);
  },
);

test(
  'verifier/negative: a VCEK fetched for CURRENT_TCB (not ' +
    'REPORTED_TCB) fails with VERIFY_TCB_MISMATCH',
  () => {
    const layout = 'legacy';
    const current = encodeTcb({ fmc: 0, bl: 4, tee: 0, snp: 24, ucode: 219 }, layout);
    const reported = encodeTcb({ fmc: 0, bl: 4, tee: 0, snp: 22, ucode: 213 }, layout);
    const f = fixture({ product: 'Milan', tcb: current, reportedTcb: reported }, { tcb: current });
    const verdict = verify(f);
    assert.ok(codes(verdict).includes('VERIFY_TCB_MISMATCH'));
    assert.ok(
      codes(verdict).includes('VERIFY_BAD_SIGNATURE'), 'a different TCB is a different VCEK key',
    );
    assert.ok(verify(fixture({ product: 'Milan', tcb: current, reportedTcb: reported })).ok);
  },
);

test(
  'verifier/negative: on Turin the fmc SPL counts (certificate fmc 1 vs REPORTED_TCB fmc 0)',
  () => {
    const f = fixture({ product: 'Turin' });
    const set = buildCertificateSet({
      seed: 77, product: 'Turin',
      tcb: encodeTcb({ fmc: 1, bl: 1, tee: 0, snp: 2, ucode: 71 }, 'turin'),
    });
    const verdict = verify({ report: f.report, certs: { ...f.certs, vcek: set.endorsementCert } });
    const tcb = verdict.failures.find((x) => x.code === 'VERIFY_TCB_MISMATCH');
    assert.ok(tcb !== undefined);
    assert.equal(tcb.detail['components'], ['fmc']);
  },
);

test(
  'verifier/negative: strict reserved bytes inside the signed ' +
    'span (re-signed) fail only in strict mode',
  () => {
    const f = fixture({ product: 'Genoa' });
    const reserved208 = new Uint8Array(152);
    reserved208[3] = 9; // offset 0x20b, inside the signed span
    const report = resign(f, (r) => {
      r.reserved = { ...(r.reserved ?? {}), reserved_208: reserved208 };
    });
    assert.equal(codes(verify({ report, certs: f.certs })), ['VERIFY_RESERVED']);
    assert.ok(verify({ report, certs: f.certs }, { strictReserved: false }).ok);
  },
);

test(
  'verifier/appraisal: measurement, host_data and report_data mismatches each get their own code',
  () => {
    const f = fixture({
      measurement: new Uint8Array(48).fill(1), host_data: new Uint8Array(32).fill(2),
      report_data: new Uint8Array(64).fill(3),
    });
    assert.ok(verify(f, {}, {
      measurement: new Uint8Array(48).fill(1), hostData: new Uint8Array(32).fill(2),
      reportData: new Uint8Array(64).fill(3),
    }).ok);
    const verdict = verify(f, {}, {
      measurement: new Uint8Array(48), hostData: new Uint8Array(32), reportData: new Uint8Array(64),
    });
    assert.equal(codes(verdict), ['VERIFY_MEASUREMENT', 'VERIFY_HOST_DATA', 'VERIFY_REPORT_DATA']);
  },
);

test('verifier/appraisal: DEBUG is denied by default and allowed on request', () => {
  const f = fixture({ policy: 0x30000n | (1n << 19n) });
  assert.equal(codes(verify(f)), ['VERIFY_POLICY']);
  assert.ok(verify(f, {}, { allowDebug: true }).ok);
});

test(
  'verifier/appraisal: the minimum TCB is component-wise (higher ' +
    'ucode does not make up for lower snp)',
  () => {
    const f = fixture({ product: 'Milan' }); // bl 4, tee 0, snp 24, ucode 219
    const verdict = verify(f, {}, { minTcb: { fmc: 0, bl: 0, tee: 0, snp: 25, ucode: 100 } });
    assert.equal(codes(verdict), ['VERIFY_TCB_TOO_LOW']);
    assert.equal(verdict.failures[0]!.detail['components'], ['snp']);
    assert.ok(verify(f, {}, { minTcb: { fmc: 0, bl: 4, tee: 0, snp: 24, ucode: 219 } }).ok);
  },
);

test('verifier/appraisal: a VMPL above the maximum is rejected', () => {
  const f = fixture({ vmpl: 2 });
  assert.equal(codes(verify(f, {}, { maxVmpl: 0 })), ['VERIFY_VMPL']);
  assert.ok(verify(f, {}, { maxVmpl: 2 }).ok);
});

test(
  'verifier/negative: certificates outside their validity at ' +
    'the given time fail with VERIFY_EXPIRED',
  () => {
    const f = fixture();
    const before = verify(f, { at: new Date('2025-12-31T23:59:59Z') });
    assert.ok(codes(before).every((c) => c === 'VERIFY_EXPIRED'));
    assert.is(codes(before).length, 3, 'ARK, ASK and VCEK all start at the sim epoch');
    assert.ok(verify(f, { at: new Date('2032-12-31T00:00:00Z') }).ok);
    assert.equal(codes(verify(f, { at: new Date('2033-01-02T00:00:00Z') })), ['VERIFY_EXPIRED']);
  },
);

test(
  'verifier/negative: an untrusted root is named; the verdict ' +
    'lists every failure, not just the first',
  () => {
    const f = fixture({ policy: 0x30000n | (1n << 19n) });
    const verdict = verifyAttestationReport(f.report, f.certs, {
      trustAnchors: amdTrustAnchors(), appraisal: { maxVmpl: 0 },
    });
    assert.equal(codes(verdict), ['VERIFY_UNTRUSTED_ROOT', 'VERIFY_POLICY']);
    assert.is(verdict.ok, false);
  },
);

test.run();
