/**
 * Goal: the verifier keeps no hidden state: its caches are content-keyed entries of the kernel
 * memo, so a cold run (memo cleared) and a warm run give the same verdict, and a certificate with
 * the same bytes in a new buffer hits the same entry (identity plays no part).
 * Method: verify genuine and tampered evidence cold, then warm, then with copied buffers, and
 * compare the verdicts; read memoStats to see the verifier's tables fill and hit.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson } from '../../sim/kernel/canonical-json.js';
import { clearMemo, memoStats } from '../../sim/kernel/memo.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import { generateReport } from '../../models/snp/report-generator.js';
import {
  verifyAttestationReport, type EvidenceCertificates,
} from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';

const generated = generateReport({ seed: 99, product: 'Turin' });
const set = buildCertificateSet({ seed: 99, product: 'Turin', platform: generated.platform });
const certs: EvidenceCertificates = { ark: set.ark, ask: set.ask, vcek: set.endorsementCert };
const tampered = generated.report.slice();
tampered[0x90] = tampered[0x90]! ^ 0x01; // MEASUREMENT

const verdicts = (): string => canonicalJson([generated.report, tampered].map((report) =>
  verifyAttestationReport(report, certs, { trustAnchors: parmaSimTestAnchors(), crl: set.crl })));

test('verifier/memo: cold and warm runs give the same verdicts', () => {
  clearMemo();
  const cold = verdicts();
  const warm = verdicts();
  assert.is(warm, cold);
  assert.match(cold, /"ok": ?true/);
  assert.match(cold, /VERIFY_BAD_SIGNATURE/);
});

test('verifier/memo: the verifier\'s tables are content-keyed (copied buffers hit them)', () => {
  clearMemo();
  verdicts();
  const before = memoStats();
  const copies: EvidenceCertificates = {
    ark: set.ark.slice(), ask: set.ask.slice(), vcek: set.endorsementCert.slice(),
  };
  const verdict = verifyAttestationReport(generated.report.slice(), copies,
    { trustAnchors: parmaSimTestAnchors(), crl: set.crl.slice() });
  assert.ok(verdict.ok);
  const after = memoStats();
  for (const table of ['verifier.certificate', 'verifier.certificate-signature',
    'verifier.report-signature', 'verifier.crl']) {
    assert.ok(after[table] !== undefined, table);
    assert.is(after[table]!.size, before[table]!.size, `${table}: no new entry for copies`);
    assert.ok(after[table]!.hits > before[table]!.hits, `${table}: hit`);
  }
});

test.run();
