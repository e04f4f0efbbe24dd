/**
 * Goal: parma-sim's fake AMD artifacts are accepted by the real OpenSSL CLI, for every product and
 * for a VLEK: the chain (`openssl verify -CAfile ark.pem -untrusted ask.pem vcek.pem`), the report
 * signature (`openssl dgst -sha384 -verify` over bytes [0x000, 0x2A0) with the LE72 R/S turned
 * into a DER ECDSA-Sig-Value), and the CRL (`openssl crl -verify`, `openssl verify -crl_check`).
 * Method: write the files with `parma-sim snp certs` / `snp report` (in-process CLI) into a temp
 * dir and run openssl 3 on them; OpenSSL is the judge. Times are pinned with -attime.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SIGNED_BYTES } from '../../models/snp/attestation-report.js';
import { p1363ToDer, reportSignatureP1363 } from '../../models/snp/report-signature.js';
import { runCli } from '../support/cli.js';
import { shared, testWith } from '../support/requires.js';

/** 2026-01-02T00:00:00Z: one day after the sim epoch, inside every fake certificate's validity. */
const AT = '1767312000';

// Without openssl these tests are counted as skipped; .ci/run fails on any skipped test.

function openssl(args: readonly string[], cwd: string): { code: number; out: string } {
  const result = spawnSync('openssl', [...args], { cwd, encoding: 'utf8' });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}

async function makeArtifacts(
  product: string, signingKey: 'vcek' | 'vlek', extra: readonly string[] = [],
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'parma-sim-openssl-'));
  const certs = await runCli([
    'snp', 'certs', '--out', dir, '--seed', '11', '--product', product, '--signing-key', signingKey,
    ...extra,
  ]);
  assert.is(certs.code, 0, certs.stderr);
  const report = await runCli([
    'snp', 'report', '--seed', '11', '--product', product, '--signing-key', signingKey,
    '--out', join(dir, 'report.bin'),
  ]);
  assert.is(report.code, 0, report.stderr);
  return dir;
}

function writeSignatureFiles(dir: string): void {
  const report = new Uint8Array(readFileSync(join(dir, 'report.bin')));
  writeFileSync(join(dir, 'signed.bin'), report.subarray(0, SIGNED_BYTES));
  const p1363 = reportSignatureP1363(report);
  assert.ok(p1363 !== undefined, 'R and S fit 48 bytes');
  writeFileSync(join(dir, 'sig.der'), p1363ToDer(p1363));
}

const CASES: readonly (readonly [string, 'vcek' | 'vlek'])[] = [
  ['Milan', 'vcek'], ['Genoa', 'vcek'], ['Turin', 'vcek'], ['Milan', 'vlek'], ['Turin', 'vlek'],
];

for (const [product, kind] of CASES) {
  const intermediate = kind === 'vcek' ? 'ask.pem' : 'asvk.pem';
  testWith('openssl',
    `snp/certs + openssl: ${product} ${kind.toUpperCase()} chains to the ARK (openssl verify ` +
      `-CAfile ark.pem -untrusted ${intermediate})`,
    async () => {
      const dir = await makeArtifacts(product, kind);
      try {
        const result = openssl([
          'verify', '-attime', AT, '-CAfile', 'ark.pem', '-untrusted', intermediate, `${kind}.pem`,
        ], dir);
        assert.is(result.code, 0, result.out);
        assert.match(result.out, `${kind}.pem: OK`);
        const der = openssl(
          ['x509', '-inform', 'DER', '-in', `${kind}.der`, '-noout', '-subject'], dir,
        );
        assert.match(der.out, kind === 'vcek' ? 'CN = SEV-VCEK' : 'CN = SEV-VLEK');
      } finally { rmSync(dir, { recursive: true, force: true }); }
    },
  );

  testWith('openssl',
    `snp/certs + openssl: ${product} ${kind.toUpperCase()}-signed report verifies with openssl ` +
      `dgst -sha384 over [0x000, 0x2A0)`,
    async () => {
      const dir = await makeArtifacts(product, kind);
      try {
        writeSignatureFiles(dir);
        assert.is(openssl(
          ['x509', '-in', `${kind}.pem`, '-noout', '-pubkey', '-out', 'pub.pem'], dir,
        ).code, 0);
        const result = openssl(
          ['dgst', '-sha384', '-verify', 'pub.pem', '-signature', 'sig.der', 'signed.bin'], dir,
        );
        assert.is(result.code, 0, result.out);
        assert.match(result.out, 'Verified OK');
      } finally { rmSync(dir, { recursive: true, force: true }); }
    },
  );

  testWith('openssl',
    `snp/certs + openssl: ${product} ${kind.toUpperCase()} CRL verifies under the ARK (openssl ` +
      `crl -verify; verify -crl_check)`,
    async () => {
      const dir = await makeArtifacts(product, kind);
      try {
        const crl = openssl(
          ['crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'ark.pem', '-noout'], dir,
        );
        assert.is(crl.code, 0, crl.out);
        assert.match(crl.out, 'verify OK');
        const check = openssl([
          'verify', '-attime', AT, '-crl_check', '-CAfile', 'ark.pem', '-CRLfile', 'crl.pem',
          intermediate,
        ], dir);
        assert.is(check.code, 0, check.out);
      } finally { rmSync(dir, { recursive: true, force: true }); }
    },
  );
}

testWith('openssl', 'snp/certs + openssl: a byte flipped in the signed span makes openssl dgst '
  + 'fail', async () => {
  const dir = await makeArtifacts('Genoa', 'vcek');
  try {
    writeSignatureFiles(dir);
    openssl(['x509', '-in', 'vcek.pem', '-noout', '-pubkey', '-out', 'pub.pem'], dir);
    const signed = new Uint8Array(readFileSync(join(dir, 'signed.bin')));
    signed[0x90] = signed[0x90]! ^ 0x01; // MEASUREMENT
    writeFileSync(join(dir, 'signed.bin'), signed);
    const result = openssl(
      ['dgst', '-sha384', '-verify', 'pub.pem', '-signature', 'sig.der', 'signed.bin'], dir,
    );
    assert.is.not(result.code, 0);
    assert.match(result.out, 'Verification failure');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

testWith('openssl',
  'snp/certs + openssl: --revoke 0x10001 puts ASK-Milan on the ' +
    'CRL and openssl -crl_check says revoked',
  async () => {
    const dir = await makeArtifacts('Milan', 'vcek', ['--revoke', '0x10001']);
    try {
      const result = openssl([
        'verify', '-attime', AT, '-crl_check', '-CAfile', 'ark.pem', '-CRLfile', 'crl.pem',
        'ask.pem',
      ], dir);
      assert.is.not(result.code, 0);
      assert.match(result.out, 'certificate revoked');
      const asvk = openssl([
        'verify', '-attime', AT, '-crl_check', '-CAfile', 'ark.pem', '-CRLfile', 'crl.pem',
        'asvk.pem',
      ], dir);
      assert.is(asvk.code, 0, asvk.out);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  },
);

testWith('openssl',
  'snp/certs + openssl: like real VCEKs, ours fail -x509_strict for ' +
    'lack of AKI; --strict-x509 makes them pass',
  async () => {
    const plain = await makeArtifacts('Turin', 'vcek');
    const strict = await makeArtifacts('Turin', 'vcek', ['--strict-x509']);
    try {
      const args = [
        'verify', '-x509_strict', '-attime', AT, '-CAfile', 'ark.pem', '-untrusted', 'ask.pem',
        'vcek.pem',
      ];
      const a = openssl(args, plain);
      assert.is.not(a.code, 0);
      assert.match(a.out, /Authority Key Identifier/i);
      const b = openssl(args, strict);
      assert.is(b.code, 0, b.out);
    } finally {
      rmSync(plain, { recursive: true, force: true });
      rmSync(strict, { recursive: true, force: true });
    }
  },
);

testWith(['openssl', 'testdata'],
  'snp/certs + openssl: a real AMD VCEK fails -x509_strict the same way (the quirk we imitate)',
  () => {
    const dir = shared('snp');
    const tmp = mkdtempSync(join(tmpdir(), 'parma-sim-openssl-'));
    try {
      const toPem = openssl([
        'x509', '-inform', 'DER', '-in', join(dir, 'reports', 'turin-v5-oak', 'vcek.der'),
        '-out', join(tmp, 'vcek.pem'),
      ], tmp);
      assert.is(toPem.code, 0, toPem.out);
      const r = openssl([
        'verify', '-x509_strict', '-CAfile', join(dir, 'certs', 'turin', 'ark.pem'),
        '-untrusted', join(dir, 'certs', 'turin', 'ask.pem'), 'vcek.pem',
      ], tmp);
      assert.is.not(r.code, 0);
      assert.match(r.out, /Authority Key Identifier/i);
    } finally { rmSync(tmp, { recursive: true, force: true }); }
  },
);

test.run();
