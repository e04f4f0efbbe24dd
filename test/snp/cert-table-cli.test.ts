/**
 * Goal: `snp report --cert-table FILE` writes the extended-report certificate blob a host would
 * hand the guest (GUID table, spec snp.md b.4), and the certificates in it are the ones that
 * verify the report: VCEK or VLEK, its signer, and the ARK.
 * Method: run the CLI as a process; read the table by its GUIDs (the constants of the spec,
 * written out here), verify the report with the verifier under the test roots.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCertTable } from '../../models/snp/cert-table.js';
import { verifyAttestationReport } from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { spawnCli } from '../support/cli.js';

const SUITE = 'snp/cert-table-cli';
// GUIDs of spec snp.md b.4 (GHCB spec), as printed.
const VCEK = '63da758d-e664-4564-adc5-f4b93be8accd';
const VLEK = 'a8074bc2-a25a-483e-aae6-39c045a0b8a1';
const ASK = '4ab7b379-bbac-4fe4-a02f-05aef327c782';
const ARK = 'c0b406a4-a803-4952-9743-3fb6014cd0ae';

function make(args: readonly string[]): { report: Uint8Array; table: Map<string, Uint8Array> } {
  const dir = mkdtempSync(join(tmpdir(), 'parma-sim-ct-'));
  const result = spawnCli(['snp', 'report', ...args, '--out', join(dir, 'r.bin'),
    '--cert-table', join(dir, 't.bin')]);
  assert.is(result.code, 0, result.stderr);
  const entries = decodeCertTable(new Uint8Array(readFileSync(join(dir, 't.bin'))));
  return {
    report: new Uint8Array(readFileSync(join(dir, 'r.bin'))),
    table: new Map(entries.map((entry) => [entry.guid, entry.data])),
  };
}

test(`${SUITE}: a Turin VCEK report verifies with the VCEK, ASK and ARK of its cert table`, () => {
  const { report, table } = make(['--seed', '4', '--product', 'Turin']);
  assert.equal([...table.keys()].sort(), [ARK, ASK, VCEK].sort());
  const verdict = verifyAttestationReport(report,
    { vcek: table.get(VCEK)!, ask: table.get(ASK)!, ark: table.get(ARK)! },
    { trustAnchors: parmaSimTestAnchors() });
  assert.equal(verdict.failures, []);
});

test(`${SUITE}: a VLEK report's table holds the VLEK and the ASVK (under the ASK GUID)`, () => {
  const { report, table } = make(['--seed', '4', '--product', 'Milan', '--signing-key', 'vlek']);
  assert.equal([...table.keys()].sort(), [ARK, ASK, VLEK].sort());
  const verdict = verifyAttestationReport(report,
    { vlek: table.get(VLEK)!, asvk: table.get(ASK)!, ark: table.get(ARK)! },
    { trustAnchors: parmaSimTestAnchors() });
  assert.equal(verdict.failures, []);
});

test(`${SUITE}: an unsigned report (MASK_CHIP_KEY, no VLEK) has no certificates: exit 2`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'parma-sim-ct-'));
  const result = spawnCli(['snp', 'report', '--mask-chip-key', '--out', join(dir, 'r.bin'),
    '--cert-table', join(dir, 't.bin')]);
  assert.is(result.code, 2);                       // --cert-table contradicts --mask-chip-key
  assert.match(result.stderr, '--cert-table');
  assert.is(result.stderr.trimEnd().split('\n').length, 1);
});

test.run();
