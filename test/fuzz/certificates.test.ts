/**
 * Goal: the extended-report certificate table parser and the X.509/CRL inputs of the verifier
 * under byte mutations: the parser returns entries that lie inside the blob and round-trip, or a
 * typed error; a chain or CRL with any changed byte makes the verifier reject the report (every
 * certificate and CRL byte is signed, or is the signature, or names the algorithm that must
 * match the signed one), and nothing throws anything but a SimError.
 * Method: fast-check (fixed seeds; fuzz/harness.ts) over fuzz/mutators.ts byte mutations of cert
 * tables built from the real AMD certificates in ../shared/testdata/snp/certs (and a real VCEK)
 * and from fake chains; of the real Milan ARK, ASK and a real VCEK with its real report; and of
 * fake VCEK/VLEK chains and their ARK-signed CRLs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  CERT_GUID, decodeCertTable, encodeCertTable, type CertTableEntry,
} from '../../models/snp/cert-table.js';
import { generateReport } from '../../models/snp/report-generator.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import {
  verifyAttestationReport, type EvidenceCertificates, type VerifyReportOptions,
} from '../../models/verifier/report-verifier.js';
import { amdTrustAnchors, parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { testdata } from '../support/paths.js';
import { byteDiff, fuzzParameters, fuzzRuns, labelled, outcome, ranNote } from './harness.js';
import { mutatedBytes } from './mutators.js';

const SUITE = 'fuzz/certificates';
const BOUND_MS = 2_000;

function pemToDer(pem: string): Uint8Array[] {
  const blocks = pem.match(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/g) ?? [];
  return blocks.map((block) => new Uint8Array(Buffer.from(block.replace(/-----[^-]+-----/g, '')
    .replace(/\s+/g, ''), 'base64')));
}

const fakeMilan = generateReport({ seed: 17, product: 'Milan' });
const fakeSet = buildCertificateSet({ seed: 17, product: 'Milan', platform: fakeMilan.platform });
const fakeVlek = generateReport({ seed: 17, product: 'Genoa', signingKey: 'vlek' });
const fakeVlekSet = buildCertificateSet({ seed: 17, product: 'Genoa', signingKey: 'vlek',
  platform: fakeVlek.platform });

type Real = Readonly<{ ark: Uint8Array; ask: Uint8Array; vcek: Uint8Array; report: Uint8Array }>;

function realMilan(): Real | undefined {
  const certs = testdata(SUITE, 'snp', 'certs', 'milan');
  const reports = testdata(SUITE, 'snp', 'reports', 'milan-v2-gosevguest');
  if (certs === undefined || reports === undefined) return undefined;
  const [ark] = pemToDer(readFileSync(join(certs, 'ark.pem'), 'utf8'));
  const [ask] = pemToDer(readFileSync(join(certs, 'ask.pem'), 'utf8'));
  return { ark: ark!, ask: ask!, vcek: new Uint8Array(readFileSync(join(reports, 'vcek.der'))),
    report: new Uint8Array(readFileSync(join(reports, 'report.bin'))) };
}
const REAL = realMilan();

// ---- the certificate table ---------------------------------------------------------------------

function tableSeeds(): Uint8Array[] {
  const entries = (ark: Uint8Array, ask: Uint8Array, leaf: Uint8Array): CertTableEntry[] => [
    { guid: CERT_GUID.ark, data: ark }, { guid: CERT_GUID.ask, data: ask },
    { guid: CERT_GUID.vcek, data: leaf }];
  const seeds = [encodeCertTable(entries(fakeSet.ark, fakeSet.ask, fakeSet.endorsementCert)),
    encodeCertTable([{ guid: CERT_GUID.vlek, data: fakeVlekSet.endorsementCert }])];
  if (REAL !== undefined) seeds.push(encodeCertTable(entries(REAL.ark, REAL.ask, REAL.vcek)));
  return seeds;
}

test(`${SUITE}: mutated certificate tables decode to entries inside the blob that round-trip, `
  + 'or to a typed error', () => {
  const seeds = tableSeeds();
  const arbitrary = fc.oneof(...seeds.map((seed, i) => mutatedBytes(seed).map((bytes) =>
    labelled({ bytes }, `table ${i}: ${byteDiff(seed, bytes)}`))));
  let decoded = 0;
  fc.assert(fc.property(arbitrary, ({ bytes }) => {
    const result = outcome(() => decodeCertTable(bytes), BOUND_MS);
    if (!result.ok) {
      assert.match(result.code, /^SNP_/);
      return;
    }
    decoded++;
    const entries = result.value;
    assert.ok((entries.length + 1) * 24 <= bytes.length, 'entries and terminator fit');
    let data = 0;
    for (const entry of entries) {
      assert.ok(entry.data.length > 0);
      assert.match(entry.guid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      data += entry.data.length;
    }
    assert.ok(data <= bytes.length * entries.length, 'entries lie inside the blob');
    const again = decodeCertTable(encodeCertTable(entries));
    assert.equal(again.map((e) => [e.guid, [...e.data]]), entries.map((e) => [e.guid,
      [...e.data]]), 're-encoded entries decode to themselves');
  }), fuzzParameters(1401, 1000));
  assert.ok(decoded > 0, 'some mutations still decode (they are exercised, not only refused)');
  console.log(`${ranNote('cert table', fuzzRuns(1000))}, ${decoded} decoded`);
});

// ---- X.509 and CRL inputs of the verifier ------------------------------------------------------

type Chain = Readonly<{ name: string; report: Uint8Array; certs: EvidenceCertificates;
  options: VerifyReportOptions; crl?: Uint8Array }>;

const CHAINS: Chain[] = [
  { name: 'fake Milan VCEK', report: fakeMilan.report,
    certs: { ark: fakeSet.ark, ask: fakeSet.ask, vcek: fakeSet.endorsementCert },
    options: { trustAnchors: parmaSimTestAnchors(), product: 'Milan' }, crl: fakeSet.crl },
  { name: 'fake Genoa VLEK', report: fakeVlek.report,
    certs: { ark: fakeVlekSet.ark, asvk: fakeVlekSet.asvk, vlek: fakeVlekSet.endorsementCert },
    options: { trustAnchors: parmaSimTestAnchors(), product: 'Genoa' }, crl: fakeVlekSet.crl },
];
if (REAL !== undefined) {
  CHAINS.push({ name: 'real Milan VCEK', report: REAL.report,
    certs: { ark: REAL.ark, ask: REAL.ask, vcek: REAL.vcek },
    options: { trustAnchors: amdTrustAnchors(), product: 'Milan',
      appraisal: { allowDebug: true } } });
}

const withCrl = (c: Chain): VerifyReportOptions =>
  (c.crl === undefined ? c.options : { ...c.options, crl: c.crl });

test(`${SUITE}: the genuine chains (and CRLs) verify before they are mutated`, () => {
  for (const c of CHAINS) {
    const verdict = verifyAttestationReport(c.report, c.certs, withCrl(c));
    assert.ok(verdict.ok, `${c.name}: ${JSON.stringify(verdict.failures)}`);
  }
});

test(`${SUITE}: a chain with a mutated ARK, ASK/ASVK or VCEK/VLEK, or a mutated CRL, is rejected `
  + 'with a typed failure', () => {
  type Case = Readonly<{ chain: Chain; role: string; bytes: Uint8Array; seed: Uint8Array }>;
  const cases: fc.Arbitrary<Case>[] = [];
  for (const chain of CHAINS) {
    const roles = Object.entries(chain.certs) as [keyof EvidenceCertificates, Uint8Array][];
    for (const [role, seed] of roles) {
      cases.push(mutatedBytes(seed).map((bytes) => labelled({ chain, role, bytes, seed },
        `${chain.name} ${role}: ${byteDiff(seed, bytes)}`)));
    }
    if (chain.crl !== undefined) {
      const crl = chain.crl;
      cases.push(mutatedBytes(crl).map((bytes) => labelled({ chain, role: 'crl', bytes,
        seed: crl }, `${chain.name} crl: ${byteDiff(crl, bytes)}`)));
    }
  }
  fc.assert(fc.property(fc.oneof(...cases), ({ chain, role, bytes, seed }) => {
    const verdict = outcome(() => (role === 'crl'
      ? verifyAttestationReport(chain.report, chain.certs, { ...chain.options, crl: bytes })
      : verifyAttestationReport(chain.report, { ...chain.certs, [role]: bytes }, withCrl(chain))),
    BOUND_MS);
    if (bytes.length === seed.length && bytes.every((b, i) => b === seed[i])) return;
    if (verdict.ok) {
      assert.not.ok(verdict.value.ok, `${chain.name}: a mutated ${role} was accepted`);
      assert.match(verdict.value.failures[0]!.code, /^VERIFY_/);
    }
  }), fuzzParameters(1402, 600));
  console.log(ranNote('x509/crl', fuzzRuns(600)));
});

test.run();
