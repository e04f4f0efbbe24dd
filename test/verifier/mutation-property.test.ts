/**
 * Goal: hostile input is judged by its outcome: every single-byte change of a genuine fake report
 * (anywhere in its 0x4A0 bytes, the signed span included) and of any certificate or CRL of its
 * chain is REJECTED by verifyAttestationReport: a verdict with ok = false, or a SimError for
 * bytes that do not decode. Never an acceptance, never another exception.
 * Method: fast-check with fixed seeds draws (which artifact, offset, non-zero XOR mask); the
 * genuine evidence is checked to verify first, so each rejection is caused by the one byte.
 * The properties run 500 cases each (every run re-verifies: ~1 ms); sweeps also flip every
 * byte of the signed span, and the low bit of every certificate and CRL byte, so no offset is
 * left to chance (a flipped unused-bits count of a signature BIT STRING was such a case).
 */
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimError } from '../../sim/kernel/errors.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import { generateReport } from '../../models/snp/report-generator.js';
import { SIGNED_BYTES } from '../../models/snp/attestation-report.js';
import {
  verifyAttestationReport, type EvidenceCertificates, type VerifyReportOptions,
} from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';

const generated = generateReport({ seed: 2718, product: 'Genoa' });
const set = buildCertificateSet({ seed: 2718, product: 'Genoa', platform: generated.platform });
const certs: EvidenceCertificates = { ark: set.ark, ask: set.ask, vcek: set.endorsementCert };
const options: VerifyReportOptions = { trustAnchors: parmaSimTestAnchors(), crl: set.crl };

type Outcome = 'accepted' | 'rejected' | 'malformed';

/** The verifier's outcome; any exception but a SimError fails the property. */
function outcome(report: Uint8Array, evidence: EvidenceCertificates,
  extra: Partial<VerifyReportOptions> = {}): Outcome {
  try {
    return verifyAttestationReport(report, evidence, { ...options, ...extra }).ok
      ? 'accepted' : 'rejected';
  } catch (error) {
    if (error instanceof SimError) return 'malformed';
    throw error;
  }
}

function flipped(bytes: Uint8Array, offset: number, mask: number): Uint8Array {
  const out = bytes.slice();
  out[offset] = out[offset]! ^ mask;
  return out;
}

test('verifier/property: the genuine evidence the mutations start from is accepted', () => {
  assert.is(outcome(generated.report, certs), 'accepted');
  assert.is(generated.report.length, 0x4a0);
});

test('verifier/property: every single-byte change of the report is rejected (500 cases)', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: generated.report.length - 1 }), fc.integer({ min: 1, max: 255 }),
    (offset, mask) => outcome(flipped(generated.report, offset, mask), certs) !== 'accepted',
  ), { seed: 0x5eed, numRuns: 500 });
});

test('verifier/property: flipping any one byte of the signed span is rejected (sweep)', () => {
  let rejected = 0;
  for (let offset = 0; offset < SIGNED_BYTES; offset++) {
    const result = outcome(flipped(generated.report, offset, 1 << (offset % 8)), certs);
    assert.is.not(result, 'accepted', `offset 0x${offset.toString(16)}`);
    rejected++;
  }
  assert.is(rejected, SIGNED_BYTES);
});

const ARTIFACTS = ['ark', 'ask', 'vcek', 'crl'] as const;

test('verifier/property: every single-byte change of the ARK, ASK, VCEK or CRL is rejected', () => {
  const bytesOf = { ark: set.ark, ask: set.ask, vcek: set.endorsementCert, crl: set.crl };
  fc.assert(fc.property(
    fc.constantFrom(...ARTIFACTS), fc.nat(), fc.integer({ min: 1, max: 255 }),
    (which, position, mask) => {
      const original = bytesOf[which];
      const mutated = flipped(original, position % original.length, mask);
      const result = which === 'crl'
        ? outcome(generated.report, certs, { crl: mutated })
        : outcome(generated.report, { ...certs, [which]: mutated });
      return result !== 'accepted';
    },
  ), { seed: 0xce27, numRuns: 500 });
});

test('verifier/property: flipping the low bit of any byte of the ARK, ASK, VCEK or CRL is ' +
  'rejected (sweep)', () => {
  const bytesOf = { ark: set.ark, ask: set.ask, vcek: set.endorsementCert, crl: set.crl };
  let swept = 0;
  for (const which of ARTIFACTS) {
    const original = bytesOf[which];
    for (let offset = 0; offset < original.length; offset++) {
      const mutated = flipped(original, offset, 1);
      const result = which === 'crl'
        ? outcome(generated.report, certs, { crl: mutated })
        : outcome(generated.report, { ...certs, [which]: mutated });
      assert.is.not(result, 'accepted', `${which} byte ${offset}`);
      swept++;
    }
  }
  assert.ok(swept > 4000, `${swept} mutations`);
});

test.run();
