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
import { shared, sharedTest } from '../support/requires.js';
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

/** The real Milan ARK and ASK with a real VCEK and its report; only inside a sharedTest. */
function realMilan(): Real {
  const certs = shared('snp', 'certs', 'milan');
  const reports = shared('snp', 'reports', 'milan-v2-gosevguest');
  const [ark] = pemToDer(readFileSync(join(certs, 'ark.pem'), 'utf8'));
  const [ask] = pemToDer(readFileSync(join(certs, 'ask.pem'), 'utf8'));
  return { ark: ark!, ask: ask!, vcek: new Uint8Array(readFileSync(join(reports, 'vcek.der'))),
    report: new Uint8Array(readFileSync(join(reports, 'report.bin'))) };
}

// ---- the certificate table ---------------------------------------------------------------------

const vcekTable = (ark: Uint8Array, ask: Uint8Array, leaf: Uint8Array): Uint8Array =>
  encodeCertTable([{ guid: CERT_GUID.ark, data: ark }, { guid: CERT_GUID.ask, data: ask },
    { guid: CERT_GUID.vcek, data: leaf }] satisfies CertTableEntry[]);

function fuzzTables(seeds: readonly Uint8Array[], seed: number, ciRuns: number): void {
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
  }), fuzzParameters(seed, ciRuns));
  assert.ok(decoded > 0, 'some mutations still decode (they are exercised, not only refused)');
  console.log(`${ranNote('cert table', fuzzRuns(ciRuns))}, ${decoded} decoded`);
}

test(`${SUITE}: mutated fake certificate tables (VCEK chain, VLEK alone) decode to entries `
  + 'inside the blob that round-trip, or to a typed error', () => {
  fuzzTables([vcekTable(fakeSet.ark, fakeSet.ask, fakeSet.endorsementCert),
    encodeCertTable([{ guid: CERT_GUID.vlek, data: fakeVlekSet.endorsementCert }])], 1401, 1000);
});

sharedTest(`${SUITE}: mutated tables of the real AMD Milan ARK, ASK and a real VCEK decode to `
  + 'entries inside the blob that round-trip, or to a typed error', () => {
  const real = realMilan();
  fuzzTables([vcekTable(real.ark, real.ask, real.vcek)], 1403, 500);
});

// ---- X.509 and CRL inputs of the verifier ------------------------------------------------------

type Chain = Readonly<{ name: string; report: Uint8Array; certs: EvidenceCertificates;
  options: VerifyReportOptions; crl?: Uint8Array }>;

const FAKE_CHAINS: readonly Chain[] = [
  { name: 'fake Milan VCEK', report: fakeMilan.report,
    certs: { ark: fakeSet.ark, ask: fakeSet.ask, vcek: fakeSet.endorsementCert },
    options: { trustAnchors: parmaSimTestAnchors(), product: 'Milan' }, crl: fakeSet.crl },
  { name: 'fake Genoa VLEK', report: fakeVlek.report,
    certs: { ark: fakeVlekSet.ark, asvk: fakeVlekSet.asvk, vlek: fakeVlekSet.endorsementCert },
    options: { trustAnchors: parmaSimTestAnchors(), product: 'Genoa' }, crl: fakeVlekSet.crl },
];

function realChain(): Chain {
  const real = realMilan();
  return { name: 'real Milan VCEK', report: real.report,
    certs: { ark: real.ark, ask: real.ask, vcek: real.vcek },
    options: { trustAnchors: amdTrustAnchors(), product: 'Milan',
      appraisal: { allowDebug: true } } };
}

const withCrl = (c: Chain): VerifyReportOptions =>
  (c.crl === undefined ? c.options : { ...c.options, crl: c.crl });

function assertGenuine(chains: readonly Chain[]): void {
  for (const c of chains) {
    const verdict = verifyAttestationReport(c.report, c.certs, withCrl(c));
    assert.ok(verdict.ok, `${c.name}: ${JSON.stringify(verdict.failures)}`);
  }
}

function fuzzChains(chains: readonly Chain[], seed: number, ciRuns: number): void {
  type Case = Readonly<{ chain: Chain; role: string; bytes: Uint8Array; seed: Uint8Array }>;
  const cases: fc.Arbitrary<Case>[] = [];
  for (const chain of chains) {
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
  }), fuzzParameters(seed, ciRuns));
  console.log(ranNote('x509/crl', fuzzRuns(ciRuns)));
}

test(`${SUITE}: the fake chains and their CRLs verify before they are mutated`, () => {
  assertGenuine(FAKE_CHAINS);
});

test(`${SUITE}: a fake chain with a mutated ARK, ASK/ASVK or VCEK/VLEK, or a mutated CRL, is `
  + 'rejected with a typed failure', () => {
  fuzzChains(FAKE_CHAINS, 1402, 600);
});

sharedTest(`${SUITE}: the real Milan chain (AMD ARK and ASK, a real VCEK) verifies its real `
  + 'report, and with any of its certificates mutated is rejected with a typed failure', () => {
  const chain = realChain();
  assertGenuine([chain]);
  fuzzChains([chain], 1404, 300);
});

test.run();
