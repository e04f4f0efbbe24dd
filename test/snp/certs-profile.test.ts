/**
 * Goal: parma-sim's certificates follow AMD's X.509 profile (spec snp.md e.2/e.3) in structure,
 * byte for byte where the content is the same, and the KDS URLs follow e.1.
 * Method: build our ARK/ASK/ASVK and, for every real report in shared/testdata, a VCEK/VLEK for the
 * same chip id, REPORTED_TCB and csp id; compare names, serials, algorithm identifiers and
 * extension lists against the REAL AMD certificates (which are the oracle, never our own output).
 * Expected URL values come from SOURCES.md facts (chip id, TCB) and spec e.1.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import { rootOf } from '../support/snp.js';
import * as assert from 'uvu/assert';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, type Extension } from '@peculiar/asn1-x509';
import { toHex, fromHex } from '../../sim/kernel/bytes.js';
import { errorCode } from '../../sim/kernel/errors.js';
import { Rng } from '../../sim/kernel/rng.js';
import type { CertificateExtension } from '../../models/snp/amd-extensions.js';
import { decodeAttestationReport } from '../../models/snp/attestation-report.js';
import { buildCertificateSet, fromPem } from '../../models/snp/certificates.js';
import { deriveVcek, deriveVlek } from '../../models/snp/endorsement-keys.js';
import { kdsUrlOf, kdsVcekUrlForReport, parseKdsUrl } from '../../models/snp/kds.js';
import { parseProduct, type Product } from '../../models/snp/product.js';
import {
  buildCaCertificate, buildEndorsementCertificate, decodeAmdExtensions,
} from '../../models/snp/x509-profile.js';
import { shared, sharedTest, sharedTests } from '../support/requires.js';
import { loadReportFacts } from './sources-facts.js';

const PRODUCTS: readonly Product[] = ['Milan', 'Genoa', 'Turin'];
const ROLES = ['ark', 'ask', 'asvk'] as const;
const SUITE = 'snp/certs-profile';

function parse(der: Uint8Array): Certificate {
  return AsnConvert.parse(der, Certificate);
}

function realCa(product: Product, role: string): Certificate {
  const path = shared('snp', 'certs', product.toLowerCase(), `${role}.pem`);
  return parse(fromPem(readFileSync(path, 'utf8'))[0]!);
}

const hex = (buffer: ArrayBuffer): string => toHex(new Uint8Array(buffer));
const ser = (value: object): string => toHex(new Uint8Array(AsnConvert.serialize(value)));
const extList = (cert: Certificate): string[][] =>
  Array.from(
    cert.tbsCertificate.extensions ?? [],
    (e: Extension) => [e.extnID, String(e.critical), hex(e.extnValue.buffer)],
  );
const extOids = (cert: Certificate): string[] =>
  Array.from(cert.tbsCertificate.extensions ?? [], (e: Extension) => e.extnID);

for (const product of PRODUCTS) {
  for (const role of ROLES) {
    sharedTest(
      `snp/x509-profile: ${role.toUpperCase()}-${product} has the real certificate's serial, ` +
        `names and signature algorithm bytes`,
      () => {
        const real = realCa(product, role);
        const ours = parse(buildCaCertificate({ rng: Rng.fromSeed(1), product, role }));
        assert.is(hex(ours.tbsCertificate.serialNumber), hex(real.tbsCertificate.serialNumber));
        assert.is(ours.tbsCertificate.version, real.tbsCertificate.version);
        assert.is(ser(ours.tbsCertificate.subject), ser(real.tbsCertificate.subject));
        assert.is(ser(ours.tbsCertificate.issuer), ser(real.tbsCertificate.issuer));
        assert.is(ser(ours.signatureAlgorithm), ser(real.signatureAlgorithm));
        assert.is(ser(ours.tbsCertificate.signature), ser(real.tbsCertificate.signature));
      },
    );

    sharedTest(
      `snp/x509-profile: ${role.toUpperCase()}-${product} has the real extensions in the real ` +
        `order (KU/BC/CRLDP byte-equal)`,
      () => {
        const real = realCa(product, role);
        const ours = parse(buildCaCertificate({ rng: Rng.fromSeed(1), product, role }));
        assert.equal(extOids(ours), extOids(real));
        // SKI/AKI depend on the key
        const keyIndependent = (cert: Certificate): string[][] => extList(cert)
          .filter(([oid]) => oid !== '2.5.29.14' && oid !== '2.5.29.35');
        assert.equal(keyIndependent(ours), keyIndependent(real));
        assert.is(
          ours.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm,
          real.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm,
        );
      },
    );
  }

  test(`snp/x509-profile: ${product} CA certificates are valid 25 years from the sim epoch`, () => {
    const ours = parse(buildCaCertificate({ rng: Rng.fromSeed(1), product, role: 'ark' }));
    assert.is(
      ours.tbsCertificate.validity.notBefore.getTime().toISOString(), '2026-01-01T00:00:00.000Z',
    );
    assert.is(
      ours.tbsCertificate.validity.notAfter.getTime().toISOString(), '2051-01-01T00:00:00.000Z',
    );
    assert.ok(
      ours.tbsCertificate.validity.notAfter.generalTime !== undefined,
      '2051 needs GeneralizedTime (RFC 5280)',
    );
  });
}

let loadedFacts: ReturnType<typeof loadReportFacts> | undefined;
const facts = (): ReturnType<typeof loadReportFacts> => loadedFacts ??= loadReportFacts();

/** The extensions @peculiar decoded, in the shape decodeAmdExtensions reads. */
const extensionsOf = (cert: Certificate): CertificateExtension[] =>
  (cert.tbsCertificate.extensions ?? []).map((e) => ({
    extnID: e.extnID, critical: e.critical, value: new Uint8Array(e.extnValue.buffer),
  }));

sharedTests(`${SUITE}: each real leaf's names and AMD extensions are ours byte for byte`, () => {
  for (const fact of facts()) {
    const leafName = fact.signedBy === 'VLEK' ? 'vlek' : 'vcek';
    const dir = shared('snp', 'reports', fact.dir);
    if (!existsSync(join(dir, `${leafName}.der`))) continue;   // no leaf certificate in testdata
    test(
      `snp/x509-profile: our ${leafName.toUpperCase()} for ${fact.dir} has the real leaf's names ` +
        `and byte-identical AMD extensions`,
      () => {
        const real = parse(new Uint8Array(readFileSync(join(dir, `${leafName}.der`))));
        const product = parseProduct(fact.product);
        const chipId = fromHex(fact.hex['chip_id']!, 'chip_id', 64);
        const tcb = fact.tcb['reported_tcb']!.raw;
        const realExt = decodeAmdExtensions(extensionsOf(real));
        const key = leafName === 'vcek'
          ? deriveVcek({ root: rootOf(1), product, chipId, tcb })
          : deriveVlek({ root: rootOf(1), product, cspId: realExt.cspId!, tcb });
        // Pre-2024 leaves write the PSS trailerField out; newer ones omit it: follow the real one.
        const explicitPssTrailer =
          new Uint8Array(real.signatureAlgorithm.parameters!).length > 0x36;
        const ours = parse(buildEndorsementCertificate({
          rng: Rng.fromSeed(1), product, kind: leafName, publicKey: key.publicKey, tcb,
          quirks: { explicitPssTrailer },
          ...(leafName === 'vcek' ? { chipId } : { cspId: realExt.cspId! }),
        }));
        assert.equal(extList(ours), extList(real));
        assert.is(ser(ours.tbsCertificate.subject), ser(real.tbsCertificate.subject));
        assert.is(ser(ours.tbsCertificate.issuer), ser(real.tbsCertificate.issuer));
        assert.is(hex(ours.tbsCertificate.serialNumber), '00');
        assert.is(hex(real.tbsCertificate.serialNumber), '00');
        assert.is(ser(ours.signatureAlgorithm), ser(real.signatureAlgorithm));
      },
    );
  }
});

sharedTest('snp/x509-profile: the real VLEK is valid one year, ours too; VCEKs seven years', () => {
  const path = shared('snp', 'reports', 'milan-v3-vlek-aws-trustee', 'vlek.der');
  const real = parse(new Uint8Array(readFileSync(path)));
  const years = (c: Certificate): number =>
    c.tbsCertificate.validity.notAfter.getTime().getUTCFullYear()
    - c.tbsCertificate.validity.notBefore.getTime().getUTCFullYear();
  assert.is(years(real), 1);
  const vlek = buildCertificateSet({ seed: 3, product: 'Milan', signingKey: 'vlek' });
  const vcek = buildCertificateSet({ seed: 3, product: 'Milan' });
  assert.is(years(parse(vlek.endorsementCert)), 1);
  assert.is(years(parse(vcek.endorsementCert)), 7);
});

test(
  'snp/x509-profile: the addKeyIdentifiers quirk appends SKI and ' +
    'AKI to the leaf; the default has neither',
  () => {
    const plain = parse(buildCertificateSet({ seed: 3, product: 'Genoa' }).endorsementCert);
    const strict = parse(buildCertificateSet({
      seed: 3, product: 'Genoa', quirks: { addKeyIdentifiers: true },
    }).endorsementCert);
    assert.not.ok(extOids(plain).includes('2.5.29.14'));
    assert.not.ok(extOids(plain).includes('2.5.29.35'));
    assert.equal(extOids(strict).slice(-2), ['2.5.29.14', '2.5.29.35']);
  },
);

test('snp/x509-profile: the endorsementSerial quirk replaces serial 0', () => {
  const set = buildCertificateSet({
    seed: 3, product: 'Milan', quirks: { endorsementSerial: 0x1234n },
  });
  assert.is(hex(parse(set.endorsementCert).tbsCertificate.serialNumber), '1234');
  assert.is(hex(parse(
    buildCertificateSet({ seed: 3, product: 'Milan' }).endorsementCert,
  ).tbsCertificate.serialNumber), '00');
});

sharedTest(
  'snp/x509-profile: decodeAmdExtensions reads the real Turin VCEK ' +
    '(structVersion 1, fmcSPL, 8-byte hwid)',
  () => {
    const path = shared('snp', 'reports', 'turin-v5-oak', 'vcek.der');
    const ext = decodeAmdExtensions(extensionsOf(parse(new Uint8Array(readFileSync(path)))));
    assert.is(ext.structVersion, 1);
    assert.is(ext.productName, 'Turin');
    assert.equal(ext.spl, { fmc: 0, bl: 1, tee: 0, snp: 2, ucode: 71 });
    assert.is(toHex(ext.hwid!), '3b42092f69c656d3');
  },
);

// ---- KDS URLs (spec snp.md e.1) ----

sharedTest('snp/kds: the Turin VCEK URL uses the 8-byte hwid and puts fmcSPL first', () => {
  const fact = facts().find((f) => f.dir === 'turin-v5-oak');
  assert.ok(fact !== undefined, 'SOURCES.md lists turin-v5-oak');
  const report = {
    chip_id: fromHex(fact.hex['chip_id']!), reported_tcb: fact.tcb['reported_tcb']!.raw,
  };
  const url = kdsVcekUrlForReport(report, 'Turin');
  assert.is(
    url,
    'https://kdsintf.amd.com/vcek/v1/Turin/3b42092f69c656d3' +
      '?fmcSPL=0&blSPL=1&teeSPL=0&snpSPL=2&ucodeSPL=71',
  );
  assert.is(kdsUrlOf(parseKdsUrl(url)), url);
});

sharedTest(
  'snp/kds: the VCEK URL is built from REPORTED_TCB, not CURRENT_TCB ' +
    '(azure-cvm-hcl: ucode 115 vs 210)',
  () => {
    const dir = shared('snp', 'reports', 'milan-v2-azure-cvm-hcl');
    const report = decodeAttestationReport(new Uint8Array(readFileSync(join(dir, 'report.bin'))));
    const url = kdsVcekUrlForReport(report, 'Milan');
    assert.ok(url.endsWith('?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115'), url);
    assert.ok(url.includes(`/vcek/v1/Milan/${toHex(report.chip_id)}?`));
  },
);

test('snp/kds: cert_chain and crl routes parse and rebuild for both key kinds', () => {
  for (const product of PRODUCTS) {
    for (const kind of ['vcek', 'vlek'] as const) {
      for (const leaf of ['cert_chain', 'crl']) {
        const url = `https://kdsintf.amd.com/${kind}/v1/${product}/${leaf}`;
        const request = parseKdsUrl(url);
        assert.is(request.kind, leaf);
        assert.is(kdsUrlOf(request), url);
      }
    }
  }
});

test('snp/certs: an empty VLEK csp id is a typed error, not an assertion', () => {
  assert.is(errorCode(() => buildCertificateSet({
    seed: 1, product: 'Milan', signingKey: 'vlek', cspId: '',
  })), 'SNP_BAD_FIELD');
});

test('snp/kds: snpguest-style zero-padded SPLs are accepted', () => {
  const request = parseKdsUrl(
    `/vcek/v1/Milan/${'ab'.repeat(64)}?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115`,
  );
  assert.is(request.kind, 'vcek');
  if (request.kind === 'vcek') {
    assert.equal(request.tcb, { fmc: 0, bl: 3, tee: 0, snp: 8, ucode: 115 });
  }
});

test('snp/kds: bad requests get typed errors (product, hwid length, SPL range, route)', () => {
  assert.is(errorCode(() => parseKdsUrl('/vcek/v1/Rome/cert_chain')), 'SNP_BAD_PRODUCT');
  assert.is(errorCode(() => parseKdsUrl(
    `/vcek/v1/Turin/${'ab'.repeat(64)}?fmcSPL=0&blSPL=1&teeSPL=0&snpSPL=2&ucodeSPL=71`,
  )), 'SNP_BAD_FIELD');
  assert.is(errorCode(() => parseKdsUrl(
    `/vcek/v1/Milan/${'ab'.repeat(64)}?blSPL=300&teeSPL=0&snpSPL=8&ucodeSPL=1`,
  )), 'SNP_BAD_FIELD');
  assert.is(errorCode(() => parseKdsUrl(
    `/vcek/v1/Milan/${'ab'.repeat(64)}?blSPL=3&teeSPL=0&snpSPL=8`,
  )), 'SIM_BAD_REQUEST');
  assert.is(errorCode(() => parseKdsUrl('/vcek/v2/Milan/cert_chain')), 'SIM_BAD_REQUEST');
});

test.run();
