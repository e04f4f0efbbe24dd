/**
 * Goal: the default trust anchors are exactly AMD's public ARK/ASK/ASVK (fingerprints from
 * SOURCES.md, the independent record), they verify as a chain, and parma-sim's TEST roots are
 * different keys that are never trusted by default.
 * Method: hash the DER of each shipped anchor and compare with the SHA-256 prefixes SOURCES.md
 * lists; check the RSA-PSS signatures with the verifier's certificate layer.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  caProblem, parseCertificate, signatureProblem,
} from '../../models/verifier/certificate.js';
import { amdTrustAnchors, parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { shared, sharedTest } from '../support/requires.js';

sharedTest(
  'verifier/trust-anchors: the shipped AMD roots have the SHA-256 fingerprints SOURCES.md records',
  () => {
    const sources = shared('snp', 'SOURCES.md');
    const text = readFileSync(sources, 'utf8');
    const expected = new Map([
      ...text.matchAll(/((?:ARK|SEV|SEV-VLEK)-(?:Milan|Genoa|Turin)) ([0-9a-f]{16})/g),
    ].map((m) => [m[1]!, m[2]!]));
    assert.is(expected.size, 9);
    for (const anchor of amdTrustAnchors()) {
      for (const der of [anchor.ark, anchor.ask!, anchor.asvk!]) {
        const cn = parseCertificate(der, 'anchor').subjectCn!;
        assert.is(
          createHash('sha256').update(der).digest('hex').slice(0, 16), expected.get(cn), cn,
        );
      }
    }
  },
);

test(
  'verifier/trust-anchors: each AMD ARK is self-signed and signs ' +
    'its ASK and ASVK (RSASSA-PSS SHA-384)',
  () => {
    for (const anchor of amdTrustAnchors()) {
      const ark = parseCertificate(anchor.ark, 'ark');
      assert.is(signatureProblem(ark, ark), undefined);
      assert.is(caProblem(ark), undefined);
      for (const der of [anchor.ask!, anchor.asvk!]) {
        assert.is(signatureProblem(parseCertificate(der, 'ask'), ark), undefined);
      }
      assert.is(ark.subjectCn, `ARK-${anchor.product}`);
    }
  },
);

test(
  'verifier/trust-anchors: parma-sim test roots use other keys than AMD and do not sign AMD\'s ASK',
  () => {
    const amd = amdTrustAnchors();
    for (const testAnchor of parmaSimTestAnchors()) {
      const real = amd.find((a) => a.product === testAnchor.product)!;
      const testArk = parseCertificate(testAnchor.ark, 'test ark');
      assert.is.not(
        Buffer.from(testArk.spkiDer).toString('hex'),
        Buffer.from(parseCertificate(real.ark, 'ark').spkiDer).toString('hex'),
      );
      assert.match(
        signatureProblem(parseCertificate(real.ask!, 'ask'), testArk) ?? '', 'does not verify',
      );
    }
  },
);

sharedTest(
  'verifier/trust-anchors: the shipped anchor files are byte-identical to shared/testdata',
  () => {
    const dir = shared('snp', 'certs');
    for (const anchor of amdTrustAnchors()) {
      const pem = readFileSync(join(dir, anchor.product.toLowerCase(), 'ark.pem'), 'utf8');
      assert.is(
        Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('hex'),
        Buffer.from(anchor.ark).toString('hex'),
      );
    }
  },
);

test.run();
