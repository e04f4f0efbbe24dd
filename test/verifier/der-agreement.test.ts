/**
 * Goal: the verifier's own DER reader (models/snp/der.ts, used by models/verifier/certificate.ts)
 * reads every certificate exactly as an independent, well-kept ASN.1 library does, and hostile
 * bytes only ever give SNP_BAD_CERT.
 * Method: parse each real certificate in ../shared/testdata (AMD's ARK/ASK/ASVK, every real VCEK
 * and VLEK, the two tampered VCEKs) and our own fakes with both parseCertificate and
 * @peculiar/asn1-x509, and compare every field the verifier uses; compare a CRL likewise. Then
 * fast-check (fixed seed) truncations and random splices of a real certificate.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, CertificateList } from '@peculiar/asn1-x509';
import { toHex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { Rng } from '../../sim/kernel/rng.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import { buildCrl } from '../../models/snp/crl.js';
import { fromPem } from '../../models/snp/pem.js';
import { parseCertificate, parseCrl } from '../../models/verifier/certificate.js';
import { shared, sharedTest } from '../support/requires.js';

const SUITE = 'verifier/der-agreement';

function realCertificates(): [string, Uint8Array][] {
  const root = shared('snp');
  const out: [string, Uint8Array][] = [];
  for (const product of ['milan', 'genoa', 'turin']) {
    for (const role of ['ark', 'ask', 'asvk']) {
      const pem = readFileSync(join(root, 'certs', product, `${role}.pem`), 'utf8');
      out.push([`${product}/${role}`, fromPem(pem)[0]!]);
    }
  }
  for (const dir of readdirSync(join(root, 'reports'))) {
    for (const file of ['vcek.der', 'vlek.der', 'negative/tampered-vcek-hwid-raw.der',
      'negative/tampered-vcek-hwid-octetstring.der']) {
      const path = join(root, 'reports', dir, file);
      if (existsSync(path)) out.push([`${dir}/${file}`, new Uint8Array(readFileSync(path))]);
    }
  }
  return out;
}

const set = buildCertificateSet({ seed: 12, product: 'Turin', signingKey: 'vlek' });
const FAKES: [string, Uint8Array][] = [
  ['fake ark', set.ark], ['fake ask', set.ask], ['fake asvk', set.asvk],
  ['fake vlek', set.endorsementCert],
];

const ser = (value: object): string => toHex(new Uint8Array(AsnConvert.serialize(value)));
const time = (date: Date): string => date.toISOString();

/** Asserts that each certificate reads the same with our DER reader and with @peculiar. */
function assertAgreement(certificates: readonly [string, Uint8Array][]): void {
  for (const [name, der] of certificates) {
    const ours = parseCertificate(der, name);
    const theirs = AsnConvert.parse(der, Certificate);
    const tbs = theirs.tbsCertificate;
    assert.is(toHex(ours.tbs), toHex(new Uint8Array(theirs.tbsCertificateRaw!)), `${name} tbs`);
    assert.is(ours.serial, BigInt(`0x${toHex(new Uint8Array(tbs.serialNumber)) || '0'}`), name);
    assert.is(toHex(ours.subjectDer), ser(tbs.subject), `${name} subject`);
    assert.is(toHex(ours.issuerDer), ser(tbs.issuer), `${name} issuer`);
    assert.is(time(ours.notBefore), time(tbs.validity.notBefore.getTime()), `${name} notBefore`);
    assert.is(time(ours.notAfter), time(tbs.validity.notAfter.getTime()), `${name} notAfter`);
    assert.is(toHex(ours.spkiDer), ser(tbs.subjectPublicKeyInfo), `${name} spki`);
    assert.is(ours.spkiAlgorithm, tbs.subjectPublicKeyInfo.algorithm.algorithm, name);
    assert.is(toHex(ours.signatureAlgorithm.encoded), ser(theirs.signatureAlgorithm), name);
    assert.is(toHex(ours.signature), toHex(new Uint8Array(theirs.signatureValue)), name);
    assert.equal(ours.extensions.map((e) => [e.extnID, e.critical, toHex(e.value)]),
      [...(tbs.extensions ?? [])].map((e) => [e.extnID, e.critical,
        toHex(new Uint8Array(e.extnValue.buffer))]), `${name} extensions`);
  }
}

test(`${SUITE}: our fake certificates read the same with our DER reader and @peculiar`, () => {
  assert.is(FAKES.length, 4);
  assertAgreement(FAKES);
});

sharedTest(`${SUITE}: every real certificate reads the same with our DER reader and @peculiar`,
  () => {
    const real = realCertificates();
    assert.ok(real.length >= 21, `all real ones (${real.length})`);
    assertAgreement(real);
  });

test(`${SUITE}: a CRL reads the same with our DER reader and @peculiar`, () => {
  const der = buildCrl({
    rng: Rng.fromSeed(3), product: 'Milan', keyKind: 'vcek',
    revoked: [{ serial: 0x10001n }, { serial: 0x80n }, { serial: 0x123456789n }],
  });
  const ours = parseCrl(der);
  assert.ok(typeof ours !== 'string', String(ours));
  const theirs = AsnConvert.parse(der, CertificateList);
  assert.equal(ours.revoked, (theirs.tbsCertList.revokedCertificates ?? [])
    .map((r) => BigInt(`0x${toHex(new Uint8Array(r.userCertificate))}`)));
  assert.is(time(ours.nextUpdate!), time(theirs.tbsCertList.nextUpdate!.getTime()));
  assert.is(toHex(ours.issuerDer), ser(theirs.tbsCertList.issuer));
  assert.is(toHex(ours.tbs), toHex(new Uint8Array(theirs.tbsCertListRaw!)));
});

/** parseCertificate's outcome: 'ok', or the SimError code; any other exception fails. */
function outcome(bytes: Uint8Array): string {
  try {
    parseCertificate(bytes, 'fuzzed');
    return 'ok';
  } catch (error) {
    if (error instanceof SimError) return error.code;
    throw error;
  }
}

test(`${SUITE}: truncated certificates and random splices give only SNP_BAD_CERT`, () => {
  const base = set.endorsementCert;
  for (let length = 0; length < base.length; length += 7) {
    assert.is(outcome(base.subarray(0, length)), 'SNP_BAD_CERT', `truncated to ${length}`);
  }
  fc.assert(fc.property(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 64 }),
    (at, splice) => {
      const bytes = new Uint8Array(base);
      bytes.set(splice.subarray(0, Math.max(0, base.length - (at % base.length))),
        at % base.length);
      const result = outcome(bytes);
      return result === 'ok' || result === 'SNP_BAD_CERT';
    }), { seed: 0xde7, numRuns: 2000 });
});

test.run();
