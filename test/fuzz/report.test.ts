/**
 * Goal: the report decoder, the report view and the verifier under byte mutations of genuine
 * reports: every mutated report decodes to a value or a typed error, and the verifier rejects
 * every report that differs from a genuine one (the whole 0x4A0 bytes are signed or must be
 * zero, so no change can be accepted), in a bounded time.
 * Method: fast-check (fixed seeds; fuzz/harness.ts) over fuzz/mutators.ts byte mutations of fake
 * reports of each product (Milan v2-style, Genoa, Turin; VCEK and VLEK) and of the real reports
 * in ../shared/testdata/snp/reports that verify under the AMD roots. A genuine report verifying
 * is checked first, so the rejection claim is about the mutation.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { generateReport } from '../../models/snp/report-generator.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import { decodeAttestationReport } from '../../models/snp/attestation-report.js';
import { reportJson } from '../../models/snp/report-view.js';
import type { Product } from '../../models/snp/product.js';
import {
  verifyAttestationReport, type EvidenceCertificates, type VerifyReportOptions,
} from '../../models/verifier/report-verifier.js';
import { amdTrustAnchors, parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { shared, sharedTest } from '../support/requires.js';
import { byteDiff, fuzzParameters, fuzzRuns, labelled, outcome, ranNote } from './harness.js';
import { mutatedBytes } from './mutators.js';

const SUITE = 'fuzz/report';
const BOUND_MS = 2_000;

type Genuine = Readonly<{ name: string; report: Uint8Array; certs: EvidenceCertificates;
  options: VerifyReportOptions }>;

function fake(product: Product, signingKey: 'vcek' | 'vlek'): Genuine {
  const generated = generateReport({ seed: 13, product, signingKey });
  const set = buildCertificateSet({ seed: 13, product, signingKey,
    platform: generated.platform });
  const certs = signingKey === 'vcek'
    ? { ark: set.ark, ask: set.ask, vcek: set.endorsementCert }
    : { ark: set.ark, asvk: set.asvk, vlek: set.endorsementCert };
  return { name: `fake ${product} ${signingKey}`, report: generated.report, certs,
    options: { trustAnchors: parmaSimTestAnchors(), product } };
}

function realReports(): Genuine[] {
  const root = shared('snp', 'reports');
  const found: Genuine[] = [];
  for (const dir of readdirSync(root).sort()) {
    const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(root, dir, name)));
    if (!existsSync(join(root, dir, 'report.bin'))) continue;
    const certs = existsSync(join(root, dir, 'vlek.der')) ? { vlek: read('vlek.der') }
      : { vcek: read('vcek.der') };
    const product = (['Milan', 'Genoa', 'Turin'] as const).find((p) =>
      dir.startsWith(p.toLowerCase()));
    const options: VerifyReportOptions = { trustAnchors: amdTrustAnchors(),
      appraisal: { allowDebug: true }, ...(product === undefined ? {} : { product }) };
    const report = read('report.bin');
    // Only reports the verifier accepts as they are make the rejection claim meaningful.
    if (verifyAttestationReport(report, certs, options).ok) {
      found.push({ name: `real ${dir}`, report, certs, options });
    }
  }
  return found;
}

const FAKES = [fake('Milan', 'vcek'), fake('Genoa', 'vcek'), fake('Turin', 'vcek'),
  fake('Genoa', 'vlek')];

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

function fuzzGenuine(genuines: readonly Genuine[], seed: number, ciRuns: number): void {
  const arbitrary = fc.oneof(...genuines.map((g) =>
    mutatedBytes(g.report).map((bytes) => labelled({ g, bytes },
      `${g.name}: ${byteDiff(g.report, bytes)}`))));
  fc.assert(fc.property(arbitrary, ({ g, bytes }) => {
    const decoded = outcome(() => decodeAttestationReport(bytes, { strict: false }), BOUND_MS);
    const view = outcome(() => reportJson(bytes), BOUND_MS);
    // The view judges the ABI rules on top of the lenient decode: it never shows what fails it.
    if (!decoded.ok) assert.not.ok(view.ok, 'the view shows a report the decoder refuses');
    const verdict = outcome(() => verifyAttestationReport(bytes, g.certs, g.options), BOUND_MS);
    if (sameBytes(bytes, g.report)) return;   // a mutation that undid itself
    if (verdict.ok) {
      assert.not.ok(verdict.value.ok, `${g.name}: a mutated report was accepted`);
      assert.ok(verdict.value.failures.length > 0, 'a rejection names its failures');
    }
  }), fuzzParameters(seed, ciRuns));
}

test(`${SUITE}: genuine reports verify before they are mutated`, () => {
  for (const g of FAKES) assert.ok(verifyAttestationReport(g.report, g.certs, g.options).ok, g.name);
});

test(`${SUITE}: byte mutations of fake Milan, Genoa and Turin reports (VCEK, VLEK) decode to a `
  + 'value or a typed error, and the verifier rejects every one', () => {
  fuzzGenuine(FAKES, 1301, 400);
  console.log(ranNote('report (fake)', fuzzRuns(400)));
});

sharedTest(`${SUITE}: byte mutations of the real reports that verify decode to a value or a `
  + 'typed error, and the verifier rejects every one', () => {
  const real = realReports();
  assert.ok(real.length >= 5, `most real reports verify as they are (${real.length} did)`);
  fuzzGenuine(real, 1302, 300);
  console.log(ranNote(`report (${real.length} real)`, fuzzRuns(300)));
});

test.run();
