/**
 * Goal: the verifier accepts every real AMD-signed report in shared/testdata with its own
 * VCEK/VLEK and AMD's real chain (pinned by default), and rejects every corruption of it: any
 * flipped byte of the signed span, unsigned trailing bytes, the tampered VCEKs under negative/,
 * another chip's VCEK, the wrong product, an expired VLEK.
 * Method: expected claims come from SOURCES.md facts; verification time is fixed at 2025-09-01,
 * inside every real certificate's validity (the AWS VLEK expired 2025-12-10).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode, SimError } from '../../sim/kernel/errors.js';
import { parseProduct } from '../../models/snp/product.js';
import {
  verifyAttestationReport, type EvidenceCertificates, type ReportVerdict,
} from '../../models/verifier/report-verifier.js';
import { amdTrustAnchors } from '../../models/verifier/trust-anchors.js';
import { testdata } from '../support/paths.js';
import { loadReportFacts, type ReportFacts } from '../snp/sources-facts.js';

const SUITE = 'verifier/real-reports';
const AT = new Date('2025-09-01T00:00:00Z');
const facts = loadReportFacts() ?? [];

type Loaded = {
  report: Uint8Array; certs: EvidenceCertificates; fact: ReportFacts; dir: string;
};

function load(fact: ReportFacts): Loaded | undefined {
  const dir = testdata(SUITE, 'snp', 'reports', fact.dir);
  if (dir === undefined) return undefined;
  const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
  const certs = existsSync(join(dir, 'vlek.der'))
    ? { vlek: read('vlek.der') }
    : { vcek: read('vcek.der') };
  return { report: read('report.bin'), certs, fact, dir };
}

const isDebug = (fact: ReportFacts): boolean => (fact.numbers['policy']! & (1n << 19n)) !== 0n;

function verify(
  bytes: Uint8Array, certs: EvidenceCertificates, fact: ReportFacts, at: Date = AT,
): ReportVerdict {
  return verifyAttestationReport(bytes, certs, {
    trustAnchors: amdTrustAnchors(), at, appraisal: { allowDebug: isDebug(fact) },
    // v2 reports carry no CPUID; the verifier is told the product, as a real relying party would
    // be.
    product: parseProduct(fact.product),
  });
}

const codes = (v: ReportVerdict): string[] => v.failures.map((f) => f.code);

for (const fact of facts) {
  test(
    `verifier: real ${fact.dir} (${fact.product} v${fact.numbers['version']}, ${fact.signedBy}) ` +
      `verifies under AMD's pinned chain`,
    () => {
      const loaded = load(fact);
      if (loaded === undefined) return;
      const verdict = verify(loaded.report, loaded.certs, fact);
      assert.equal(verdict.failures, []);
      assert.ok(verdict.ok);
      assert.is(verdict.claims?.product, fact.product);
      assert.is(verdict.claims?.measurement, fact.hex['measurement']);
      assert.is(verdict.claims?.chip_id, fact.hex['chip_id']);
      assert.is(verdict.claims?.signedBy, fact.signedBy.toLowerCase());
      assert.is(verdict.claims?.trustAnchor, 'amd');
    },
  );
}

test('verifier: the real Turin report (PLATFORM_INFO 0x67, bit 6 set) is accepted', () => {
  const fact = facts.find((f) => f.dir === 'turin-v5-oak');
  const loaded = fact && load(fact);
  if (loaded === undefined || fact === undefined) return;
  assert.is(fact.numbers['platform_info'], 0x67n);
  const verdict = verify(loaded.report, loaded.certs, fact);
  assert.ok(verdict.ok, JSON.stringify(verdict.failures));
  assert.is(verdict.claims?.platform_info, '0x67');
});

test('verifier: the real milan-v2-gosevguest report has DEBUG set and is denied by default', () => {
  const fact = facts.find((f) => f.dir === 'milan-v2-gosevguest');
  const loaded = fact && load(fact);
  if (loaded === undefined) return;
  const verdict = verifyAttestationReport(loaded.report, loaded.certs, {
    trustAnchors: amdTrustAnchors(), at: AT, product: 'Milan',
  });
  assert.not.ok(verdict.ok);
  assert.equal(codes(verdict), ['VERIFY_POLICY']);
});

const FLIP_ALL = new Set(['milan-v2-aci', 'turin-v5-oak', 'milan-v3-vlek-aws-trustee']);

for (const fact of facts) {
  const stride = FLIP_ALL.has(fact.dir) ? 1 : 13;
  test(
    `verifier: flipping ${stride === 1 ? 'any' : 'every 13th'} byte of the signed span of ` +
      `${fact.dir} fails verification`,
    () => {
      const loaded = load(fact);
      if (loaded === undefined) return;
      let flips = 0;
      for (let offset = 0; offset < 0x2a0; offset += stride) {
        const bytes = loaded.report.slice();
        bytes[offset] = bytes[offset]! ^ 0x01;
        let rejected: boolean;
        try {
          const verdict = verify(bytes, loaded.certs, fact);
          rejected = !verdict.ok && codes(verdict).includes('VERIFY_BAD_SIGNATURE');
        } catch (error) {
          // e.g. VERSION no longer known
          rejected = error instanceof SimError && error.area === 'SNP';
        }
        assert.ok(rejected, `flip at 0x${offset.toString(16)} was accepted`);
        flips++;
      }
      assert.ok(flips >= Math.floor(0x2a0 / stride));
    },
  );
}

test(
  'verifier: a non-zero byte after S (unsigned, 0x330..0x4A0) is ' +
    'rejected even though the signature verifies',
  () => {
    const fact = facts.find((f) => f.dir === 'genoa-v5-oak');
    const loaded = fact && load(fact);
    if (loaded === undefined || fact === undefined) return;
    const bytes = loaded.report.slice();
    bytes[0x49f] = 0x5a;
    const verdict = verifyAttestationReport(bytes, loaded.certs, {
      trustAnchors: amdTrustAnchors(), at: AT, strictReserved: false,
    });
    assert.equal(codes(verdict), ['VERIFY_RESERVED']);
    assert.match(verdict.failures[0]!.message, 'unsigned');
  },
);

test(
  'verifier: non-zero high bytes of the LE72 R field are rejected (R no longer a P-384 scalar)',
  () => {
    const fact = facts.find((f) => f.dir === 'milan-v2-virtee');
    const loaded = fact && load(fact);
    if (loaded === undefined || fact === undefined) return;
    const bytes = loaded.report.slice();
    bytes[0x2a0 + 48] = 0x01;
    const verdict = verify(bytes, loaded.certs, fact);
    assert.not.ok(verdict.ok);
    assert.equal(codes(verdict), ['VERIFY_BAD_SIGNATURE']);
  },
);

for (const name of ['tampered-vcek-hwid-raw.der', 'tampered-vcek-hwid-octetstring.der']) {
  test(
    `verifier: the trustee-tampered VCEK negative/${name} is ` +
      `rejected: its ASK signature does not verify`,
    () => {
      const fact = facts.find((f) => f.dir === 'milan-v2-trustee');
      const loaded = fact && load(fact);
      if (loaded === undefined || fact === undefined) return;
      const vcek = new Uint8Array(readFileSync(join(loaded.dir, 'negative', name)));
      const verdict = verify(loaded.report, { vcek }, fact);
      assert.not.ok(verdict.ok);
      const chain = verdict.failures.find((f) => f.code === 'VERIFY_BAD_CHAIN');
      assert.ok(chain !== undefined, JSON.stringify(verdict.failures));
      assert.match(chain.message, 'vcek signature does not verify under the ask key');
    },
  );
}

test('verifier: another chip\'s real VCEK gives HWID, TCB and signature failures', () => {
  const a = facts.find((f) => f.dir === 'milan-v2-aci');
  const b = facts.find((f) => f.dir === 'milan-v3-oak-oc-release');
  const la = a && load(a);
  const lb = b && load(b);
  if (la === undefined || lb === undefined || a === undefined) return;
  const verdict = verify(la.report, lb.certs, a);
  const got = codes(verdict);
  assert.ok(got.includes('VERIFY_HWID_MISMATCH'));
  assert.ok(got.includes('VERIFY_TCB_MISMATCH'));
  assert.ok(got.includes('VERIFY_BAD_SIGNATURE'));
});

test(
  'verifier: a Milan v3 report checked as a Genoa one fails with VERIFY_PRODUCT_MISMATCH',
  () => {
    const fact = facts.find((f) => f.dir === 'milan-v3-azure-cvm-a');
    const loaded = fact && load(fact);
    if (loaded === undefined) return;
    const verdict = verifyAttestationReport(loaded.report, loaded.certs, {
      trustAnchors: amdTrustAnchors(), at: AT, product: 'Genoa',
    });
    assert.equal(codes(verdict), ['VERIFY_PRODUCT_MISMATCH']);
    assert.match(verdict.failures[0]!.message, 'report CPUID → Milan');
  },
);

test(
  'verifier: the Genoa VCEK offered with the Milan ASK and ARK ' +
    'fails the chain (wrong product root)',
  () => {
    const fact = facts.find((f) => f.dir === 'genoa-v5-oak');
    const loaded = fact && load(fact);
    const milan = testdata(SUITE, 'snp', 'certs', 'milan');
    if (loaded === undefined || fact === undefined || milan === undefined) return;
    const certs = {
      ...loaded.certs, ark: readFileSync(join(milan, 'ark.pem')),
      ask: readFileSync(join(milan, 'ask.pem')),
    };
    const verdict = verify(loaded.report, {
      vcek: certs.vcek, ark: new Uint8Array(certs.ark), ask: new Uint8Array(certs.ask),
    }, fact);
    assert.equal(codes(verdict), ['VERIFY_UNTRUSTED_ROOT']);
    assert.match(verdict.failures[0]!.message, "ARK 'ARK-Milan' is not the pinned Genoa root");
  },
);

test(
  'verifier: the real VLEK (expired 2025-12-10) fails with ' +
    'VERIFY_EXPIRED at 2026-01-01 and passes before',
  () => {
    const fact = facts.find((f) => f.dir === 'milan-v3-vlek-aws-trustee');
    const loaded = fact && load(fact);
    if (loaded === undefined || fact === undefined) return;
    const late = verify(loaded.report, loaded.certs, fact, new Date('2026-01-01T00:00:00Z'));
    assert.equal(codes(late), ['VERIFY_EXPIRED']);
    assert.ok(verify(loaded.report, loaded.certs, fact).ok);
    const untimed = verifyAttestationReport(loaded.report, loaded.certs, {
      trustAnchors: amdTrustAnchors(), product: 'Milan',
    });
    assert.ok(untimed.ok);
    assert.is(untimed.claims?.validityChecked, false);
  },
);

test('verifier: a garbage VCEK is malformed input (SimError SNP_BAD_CERT), not a verdict', () => {
  const fact = facts.find((f) => f.dir === 'milan-v2-aci');
  const loaded = fact && load(fact);
  if (loaded === undefined || fact === undefined) return;
  assert.is(
    errorCode(() => verify(loaded.report, { vcek: new Uint8Array(300).fill(0x30) }, fact)),
    'SNP_BAD_CERT',
  );
  assert.is(
    errorCode(() => verify(loaded.report.subarray(0, 1000), loaded.certs, fact)), 'SNP_BAD_LENGTH',
  );
});

test.run();
