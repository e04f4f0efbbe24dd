/**
 * Goal: `snp verify --certs FILE` takes the certificate files people actually have: an Azure THIM
 * JSON, a PEM bundle in any order, or one DER leaf; anything else is malformed (exit 30).
 * Method: the real ACI report with its real THIM response and PEM bundle (../shared/testdata),
 * re-ordered bundles written to a temp dir, and hostile files.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromPem, toPem } from '../../models/snp/certificates.js';
import { createTestIssuer } from '../../models/policy/test-issuers.js';
import { runCli } from '../support/cli.js';
import { shared, sharedTest } from '../support/requires.js';

const SUITE = 'verifier/cli-cert-files';
const tmp = mkdtempSync(join(tmpdir(), 'parma-sim-certs-'));
// The HOST_DATA the SOURCES.md of this report states (the SHA-256 of its CCE policy).
const ACI_HOST_DATA = 'cadd74f71ebb8fbf9782baab649612520f3c416bc5ce9ac768808ddc8d9b031c';

/** The real ACI report's directory in ../shared; only inside a sharedTest. */
const aci = (): string => shared('snp', 'reports', 'milan-v2-aci');

async function verifyWith(certs: string): Promise<{ code: number; verdict: { ok?: boolean } }> {
  const r = await runCli(['snp', 'verify', '--report', join(aci(), 'report.bin'), '--certs', certs,
    '--product', 'Milan', '--host-data', ACI_HOST_DATA]);
  return { code: r.code, verdict: r.stdout === '' ? {} : JSON.parse(r.stdout) as { ok?: boolean } };
}

sharedTest(`${SUITE}: the real ACI report verifies with its real THIM JSON as `
  + `--certs`, async () => {
  const dir = aci();
  const { code, verdict } = await verifyWith(join(dir, 'thim.json'));
  assert.is(code, 0);
  assert.is(verdict.ok, true);
});

sharedTest(
  `${SUITE}: a PEM bundle verifies in its shipped order (VCEK, ASK, ARK) and reversed`,
  async () => {
    const dir = aci();
    assert.is((await verifyWith(join(dir, 'thim_vcek_ask_ark.pem'))).code, 0);
    const blocks = fromPem(readFileSync(join(dir, 'thim_vcek_ask_ark.pem'), 'latin1'));
    assert.is(blocks.length, 3);
    const reversed = join(tmp, 'ark_ask_vcek.pem');
    writeFileSync(reversed, blocks.reverse().map((der) => toPem(der)).join(''));
    assert.is((await verifyWith(reversed)).code, 0);
  },
);

sharedTest(`${SUITE}: a lone DER VCEK verifies with the pinned AMD ASK/ARK`, async () => {
  const dir = aci();
  assert.is((await verifyWith(join(dir, 'vcek.der'))).code, 0);
});

sharedTest(
  `${SUITE}: a THIM JSON without vcekCert, broken JSON, a report ` +
    `as certs and a non-AMD cert exit 30`,
  async () => {
    const dir = aci();
    const noVcek = join(tmp, 'no-vcek.json');
    writeFileSync(noVcek, JSON.stringify({
      certificateChain: readFileSync(join(dir, 'thim_vcek_ask_ark.pem'), 'latin1'),
    }));
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{"vcekCert": ');
    const foreign = join(tmp, 'foreign.pem');
    writeFileSync(foreign, toPem(createTestIssuer({ seed: 3 }).chain[0]!));
    for (const file of [noVcek, broken, join(dir, 'report.bin'), foreign]) {
      const r = await runCli([
        'snp', 'verify', '--report', join(dir, 'report.bin'), '--certs', file,
      ]);
      assert.is(r.code, 30, file);
      assert.is(r.stderr.trim().split('\n').length, 1, `one line for ${file}`);
    }
  },
);

test.run();
