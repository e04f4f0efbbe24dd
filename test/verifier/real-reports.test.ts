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
import { shared, sharedTest, sharedTests } from '../support/requires.js';
import { loadReportFacts, type ReportFacts } from '../snp/sources-facts.js';

const SUITE = 'verifier/real-reports';
const AT = new Date('2025-09-01T00:00:00Z');
let loadedFacts: ReportFacts[] | undefined;
const facts = (): ReportFacts[] => loadedFacts ??= loadReportFacts();

type Loaded = {
  report: Uint8Array; certs: EvidenceCertificates; fact: ReportFacts; dir: string;
};

function load(fact: ReportFacts): Loaded {
  const dir = shared('snp', 'reports', fact.dir);
  const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
  const certs = existsSync(join(dir, 'vlek.der'))
    ? { vlek: read('vlek.der') }
    : { vcek: read('vcek.der') };
  return { report: read('report.bin'), certs, fact, dir };
}

/** The real report in `dir`, which SOURCES.md must list; only inside a sharedTest. */
function real(dir: string): Loaded {
  const fact = facts().find((f) => f.dir === dir);
  assert.ok(fact !== undefined, `SOURCES.md lists ${dir}`);
  return load(fact);
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

sharedTests(`${SUITE}: each real report verifies under AMD's pinned chain`, () => {
  for (const fact of facts()) {
    test(
      `verifier: real ${fact.dir} (${fact.product} v${fact.numbers['version']}, `
        + `${fact.signedBy}) verifies under AMD's pinned chain`,
      () => {
        const loaded = load(fact);
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
});

sharedTest('verifier: the real Turin report (PLATFORM_INFO 0x67, bit 6 set) is accepted', () => {
  const loaded = real('turin-v5-oak');
  const fact = loaded.fact;
  assert.is(fact.numbers['platform_info'], 0x67n);
  const verdict = verify(loaded.report, loaded.certs, fact);
  assert.ok(verdict.ok, JSON.stringify(verdict.failures));
  assert.is(verdict.claims?.platform_info, '0x67');
});

sharedTest('verifier: the real milan-v2-gosevguest report has DEBUG set and is denied by '
  + 'default', () => {
  const loaded = real('milan-v2-gosevguest');
  const verdict = verifyAttestationReport(loaded.report, loaded.certs, {
    trustAnchors: amdTrustAnchors(), at: AT, product: 'Milan',
  });
  assert.not.ok(verdict.ok);
  assert.equal(codes(verdict), ['VERIFY_POLICY']);
});

const FLIP_ALL = new Set(['milan-v2-aci', 'turin-v5-oak', 'milan-v3-vlek-aws-trustee']);

sharedTests(`${SUITE}: flipping bytes of each real report's signed span fails verification`, () => {
  for (const fact of facts()) {
    const stride = FLIP_ALL.has(fact.dir) ? 1 : 13;
    test(
      `verifier: flipping ${stride === 1 ? 'any' : 'every 13th'} byte of the signed span of ` +
        `${fact.dir} fails verification`,
      () => {
        const loaded = load(fact);
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
});

sharedTest(
  'verifier: a non-zero byte after S (unsigned, 0x330..0x4A0) is ' +
    'rejected even though the signature verifies',
  () => {
    const loaded = real('genoa-v5-oak');
    const bytes = loaded.report.slice();
    bytes[0x49f] = 0x5a;
    const verdict = verifyAttestationReport(bytes, loaded.certs, {
      trustAnchors: amdTrustAnchors(), at: AT, strictReserved: false,
    });
    assert.equal(codes(verdict), ['VERIFY_RESERVED']);
    assert.match(verdict.failures[0]!.message, 'unsigned');
  },
);

sharedTest(
  'verifier: non-zero high bytes of the LE72 R field are rejected (R no longer a P-384 scalar)',
  () => {
    const loaded = real('milan-v2-virtee');
    const fact = loaded.fact;
    const bytes = loaded.report.slice();
    bytes[0x2a0 + 48] = 0x01;
    const verdict = verify(bytes, loaded.certs, fact);
    assert.not.ok(verdict.ok);
    assert.equal(codes(verdict), ['VERIFY_BAD_SIGNATURE']);
  },
);

for (const name of ['tampered-vcek-hwid-raw.der', 'tampered-vcek-hwid-octetstring.der']) {
  sharedTest(
    `verifier: the trustee-tampered VCEK negative/${name} is ` +
      `rejected: its ASK signature does not verify`,
    () => {
      const loaded = real('milan-v2-trustee');
      const fact = loaded.fact;
      const vcek = new Uint8Array(readFileSync(join(loaded.dir, 'negative', name)));
      const verdict = verify(loaded.report, { vcek }, fact);
      assert.not.ok(verdict.ok);
      const chain = verdict.failures.find((f) => f.code === 'VERIFY_BAD_CHAIN');
      assert.ok(chain !== undefined, JSON.stringify(verdict.failures));
      assert.match(chain.message, 'vcek signature does not verify under the ask key');
    },
  );
}

sharedTest('verifier: another chip\'s real VCEK gives HWID, TCB and signature failures', () => {
  const la = real('milan-v2-aci');
  const lb = real('milan-v3-oak-oc-release');
  const a = la.fact;
  const verdict = verify(la.report, lb.certs, a);
  const got = codes(verdict);
  assert.ok(got.includes('VERIFY_HWID_MISMATCH'));
  assert.ok(got.includes('VERIFY_TCB_MISMATCH'));
  assert.ok(got.includes('VERIFY_BAD_SIGNATURE'));
});

sharedTest(
  'verifier: a Milan v3 report checked as a Genoa one fails with VERIFY_PRODUCT_MISMATCH',
  () => {
    const loaded = real('milan-v3-azure-cvm-a');
    const verdict = verifyAttestationReport(loaded.report, loaded.certs, {
      trustAnchors: amdTrustAnchors(), at: AT, product: 'Genoa',
    });
    assert.equal(codes(verdict), ['VERIFY_PRODUCT_MISMATCH']);
    assert.match(verdict.failures[0]!.message, 'report CPUID → Milan');
  },
);

sharedTest(
  'verifier: the Genoa VCEK offered with the Milan ASK and ARK ' +
    'fails the chain (wrong product root)',
  () => {
    const loaded = real('genoa-v5-oak');
    const fact = loaded.fact;
    const milan = shared('snp', 'certs', 'milan');
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

sharedTest(
  'verifier: the real VLEK (expired 2025-12-10) fails with ' +
    'VERIFY_EXPIRED at 2026-01-01 and passes before',
  () => {
    const loaded = real('milan-v3-vlek-aws-trustee');
    const fact = loaded.fact;
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

sharedTest('verifier: a garbage VCEK is malformed input (SimError SNP_BAD_CERT), not a '
  + 'verdict', () => {
  const loaded = real('milan-v2-aci');
  const fact = loaded.fact;
  assert.is(
    errorCode(() => verify(loaded.report, { vcek: new Uint8Array(300).fill(0x30) }, fact)),
    'SNP_BAD_CERT',
  );
  assert.is(
    errorCode(() => verify(loaded.report.subarray(0, 1000), loaded.certs, fact)), 'SNP_BAD_LENGTH',
  );
});

test.run();
