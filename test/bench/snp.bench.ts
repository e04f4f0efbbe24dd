/**
 * Goal: how fast parma-sim signs and verifies SEV-SNP reports, beside `openssl speed ecdsap384`
 * measured in the same run (spec perf-notes.md: noble signing ≈ openssl; node:crypto verify with
 * a cached KeyObject ≈ openssl), plus the full verifier (chain + extensions + ECDSA + appraisal)
 * and the cost of building a certificate set (four deterministic RSA-PSS-4096 signatures + CRL).
 * Method: opsPerSecond over one generated report; ratio = ours / openssl (> 1: we are faster).
 */
import { spawnSync } from 'node:child_process';
import { verify as cryptoVerify } from 'node:crypto';
import { signedSpan } from '../../models/snp/attestation-report.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import { generateReport } from '../../models/snp/report-generator.js';
import { reportSignatureP1363, signAttestationReport } from '../../models/snp/report-signature.js';
import { publicKeyOf, parseCertificate } from '../../models/verifier/certificate.js';
import { verifyAttestationReport } from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { opsPerSecond, type Bench, type BenchRow } from './harness.js';

/** `openssl speed -seconds 1 ecdsap384` → sign/s and verify/s, or undefined without openssl. */
function opensslSpeed(): { sign: number; verify: number } | undefined {
  const result = spawnSync(
    'openssl', ['speed', '-seconds', '1', 'ecdsap384'], { encoding: 'utf8' },
  );
  if (result.status !== 0) return undefined;
  const line = result.stdout.split('\n').find((l) => /384 bits ecdsa/.test(l));
  const numbers = line?.trim().split(/\s+/).slice(-2).map(Number);
  if (numbers === undefined || numbers.length !== 2 ||
      numbers.some((n) => !Number.isFinite(n))) {
    return undefined;
  }
  return { sign: numbers[0]!, verify: numbers[1]! };
}

function row(
  name: string, value: number, reference: number | undefined, refName: string, note?: string,
): BenchRow {
  return {
    name, value, unit: 'ops/s',
    ...(reference === undefined ? {} : {
      reference: { name: refName, value: reference, unit: 'ops/s' }, ratio: value / reference,
    }),
    ...(note === undefined ? {} : { note }),
  };
}

export const benches: readonly Bench[] = [{
  name: 'snp: report signing and verification (P-384) vs openssl speed ecdsap384',
  run: async () => {
    const generated = generateReport({ seed: 1, product: 'Milan' });
    const key = generated.endorsementKey!;
    const set = buildCertificateSet({ seed: 1, product: 'Milan', platform: generated.platform });
    const leafKey = publicKeyOf(parseCertificate(set.endorsementCert, 'vcek').spkiDer);
    const p1363 = reportSignatureP1363(generated.report)!;
    const certs = { ark: set.ark, ask: set.ask, vcek: set.endorsementCert };
    const anchors = parmaSimTestAnchors();
    const signs = opsPerSecond(() => { signAttestationReport(generated.report, key); });
    const verifies = opsPerSecond(() => {
      if (!cryptoVerify(
        'sha384', signedSpan(generated.report), { key: leafKey, dsaEncoding: 'ieee-p1363' }, p1363,
      )) {
        throw new Error('bench: verify failed');
      }
    });
    const full = opsPerSecond(() => {
      if (!verifyAttestationReport(generated.report, certs, { trustAnchors: anchors }).ok) {
        throw new Error('bench: verdict not ok');
      }
    });
    const chains = opsPerSecond(() => {
      buildCertificateSet({ seed: 2, product: 'Milan', platform: generated.platform });
    }, 1_000);
    const openssl = opensslSpeed(); // measured after ours, in the same run
    return [
      row(
        'report signs/s (noble p384, RFC 6979)', signs, openssl?.sign,
        'openssl speed ecdsap384 sign/s',
      ),
      row(
        'report verifies/s (node:crypto, cached KeyObject)', verifies, openssl?.verify,
        'openssl speed ecdsap384 verify/s',
      ),
      row(
        'full verifyAttestationReport/s (warm memo)', full, openssl?.verify,
        'openssl speed ecdsap384 verify/s', 'ECDSA answer memoised too; cold: verifier bench',
      ),
      row('certificate sets built/s (5 RSA-PSS-4096 signatures)', chains, undefined, ''),
    ];
  },
}];
