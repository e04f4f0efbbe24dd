/**
 * Goal: `parma-sim snp certs` and `parma-sim snp verify` keep their documented contract: files
 * written, a JSON verdict on stdout, exit 0 accept / 10 reject / 30 malformed / 40 unreadable /
 * 2 usage, one clear line on stderr and never a stack trace.
 * Method: run the CLI in-process (runCli) on artifacts it wrote itself from a seed, and once as a
 * real child process (spawnCli) for the exit code and stderr of a malformed input.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, spawnCli } from '../support/cli.js';
import { shared, sharedTest } from '../support/requires.js';

/** `snp certs` and `snp report` from one seed; `certsOnly` flags go to `snp certs` alone. */
async function artifacts(
  args: readonly string[] = [], certsOnly: readonly string[] = [],
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'parma-sim-cli-'));
  const certs = await runCli(['snp', 'certs', '--out', dir, '--seed', '5', ...args, ...certsOnly]);
  assert.is(certs.code, 0, certs.stderr);
  const report = await runCli([
    'snp', 'report', '--seed', '5', '--out', join(dir, 'report.bin'), ...args,
  ]);
  assert.is(report.code, 0, report.stderr);
  return dir;
}

test('cli/snp certs: writes the KDS-style file set and a JSON summary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parma-sim-cli-'));
  try {
    const result = await runCli([
      'snp', 'certs', '--out', dir, '--seed', '5', '--product', 'Genoa',
    ]);
    assert.is(result.code, 0, result.stderr);
    assert.equal(readdirSync(dir).sort(), [
      'ark.pem', 'ask.pem', 'asvk.pem', 'cert_chain.pem', 'crl.der', 'crl.pem', 'vcek.der',
      'vcek.pem', 'vlek_cert_chain.pem',
    ]);
    const summary = JSON.parse(result.stdout) as { product: string; kdsVcekUrl: string };
    assert.is(summary.product, 'Genoa');
    assert.match(
      summary.kdsVcekUrl,
      new RegExp([
        /^https:\/\/kdsintf\.amd\.com\/vcek\/v1\/Genoa\/[0-9a-f]{128}/,
        /\?blSPL=10&teeSPL=0&snpSPL=25&ucodeSPL=84$/,
      ].map((part) => part.source).join('')),
    );
    const chain = readFileSync(join(dir, 'cert_chain.pem'), 'utf8');
    assert.is(
      chain,
      readFileSync(join(dir, 'ask.pem'), 'utf8') + readFileSync(join(dir, 'ark.pem'), 'utf8'),
      'ASK first, then ARK',
    );
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test(
  'cli/snp verify: accepts its own report under --test-roots with the CRL (exit 0, JSON verdict)',
  async () => {
    const dir = await artifacts(['--product', 'Turin']);
    try {
      const result = await runCli([
        'snp', 'verify', '--report', join(dir, 'report.bin'), '--certs', dir, '--test-roots',
        '--crl', join(dir, 'crl.der'), '--at', '2026-03-01T00:00:00Z', '--max-vmpl', '0',
        '--min-tcb', 'fmc=0,bl=1,tee=0,snp=2,ucode=71',
      ]);
      assert.is(result.code, 0, result.stdout + result.stderr);
      const verdict = JSON.parse(result.stdout) as {
        ok: boolean; failures: unknown[]; claims: { product: string; validityChecked: boolean };
      };
      assert.ok(verdict.ok);
      assert.equal(verdict.failures, []);
      assert.is(verdict.claims.product, 'Turin');
      assert.is(verdict.claims.validityChecked, true);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  },
);

test(
  'cli/snp verify: a VLEK report verifies from a directory holding vlek.der and the ASVK',
  async () => {
    const dir = await artifacts(['--signing-key', 'vlek']);
    try {
      const result = await runCli([
        'snp', 'verify', '--report', join(dir, 'report.bin'), '--certs', dir, '--test-roots',
        '--signing-key', 'vlek',
      ]);
      assert.is(result.code, 0, result.stdout + result.stderr);
      assert.is(
        (JSON.parse(result.stdout) as { claims: { signedBy: string } }).claims.signedBy, 'vlek',
      );
    } finally { rmSync(dir, { recursive: true, force: true }); }
  },
);

test(
  'cli/snp verify: the same fake chain under AMD\'s default roots is ' +
    'rejected (exit 10, VERIFY_UNTRUSTED_ROOT)',
  async () => {
    const dir = await artifacts();
    try {
      const result = await runCli([
        'snp', 'verify', '--report', join(dir, 'report.bin'), '--certs', dir,
      ]);
      assert.is(result.code, 10);
      const verdict = JSON.parse(result.stdout) as { ok: boolean; failures: { code: string }[] };
      assert.is(verdict.ok, false);
      assert.is(verdict.failures[0]!.code, 'VERIFY_UNTRUSTED_ROOT');
    } finally { rmSync(dir, { recursive: true, force: true }); }
  },
);

test('cli/snp verify and snp certs: TCBs show only the product layout\'s components (FMC on ' +
  'Turin, none on Milan)', async () => {
  for (const [product, hasFmc] of [['Milan', false], ['Turin', true]] as const) {
    const dir = await artifacts(['--product', product]);
    try {
      const verify = await runCli([
        'snp', 'verify', '--report', join(dir, 'report.bin'), '--certs', dir, '--test-roots',
      ]);
      assert.is(verify.code, 0, verify.stderr);
      const claims = (JSON.parse(verify.stdout) as { claims: { reported_tcb: object } }).claims;
      assert.is('fmc' in claims.reported_tcb, hasFmc, `${product} verify`);
      assert.ok('ucode' in claims.reported_tcb);
      const certs = await runCli(['snp', 'certs', '--out', dir, '--seed', '5', '--product',
        product]);
      const summary = JSON.parse(certs.stdout) as { reported_tcb: object };
      assert.is('fmc' in summary.reported_tcb, hasFmc, `${product} certs`);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }
});

test('cli/snp verify: --trust-anchor pins a given ARK file', async () => {
  const dir = await artifacts();
  try {
    const result = await runCli([
      'snp', 'verify', '--report', join(dir, 'report.bin'), '--certs', dir,
      '--trust-anchor', join(dir, 'ark.pem'),
    ]);
    assert.is(result.code, 0, result.stdout + result.stderr);
    assert.is(
      (JSON.parse(result.stdout) as { claims: { trustAnchor: string } }).claims.trustAnchor,
      join(dir, 'ark.pem'),
    );
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test(
  'cli/snp verify: a revoked ASK on the CRL is rejected with VERIFY_REVOKED (exit 10)',
  async () => {
    const dir = await artifacts([], ['--revoke', '0x10001']);
    try {
      const result = await runCli([
        'snp', 'verify', '--report', join(dir, 'report.bin'), '--certs', dir, '--test-roots',
        '--crl', join(dir, 'crl.pem'),
      ]);
      assert.is(result.code, 10);
      assert.equal(
        (JSON.parse(result.stdout) as { failures: { code: string }[] }).failures.map((f) => f.code),
        ['VERIFY_REVOKED'],
      );
    } finally { rmSync(dir, { recursive: true, force: true }); }
  },
);

test(
  'cli/snp verify: appraisal flags reject a wrong expected ' +
    'measurement (exit 10, VERIFY_MEASUREMENT)',
  async () => {
    const dir = await artifacts();
    try {
      const result = await runCli([
        'snp', 'verify', '--report', join(dir, 'report.bin'), '--certs', dir, '--test-roots',
        '--measurement', 'ab'.repeat(48),
      ]);
      assert.is(result.code, 10);
      assert.equal(
        (JSON.parse(result.stdout) as { failures: { code: string }[] }).failures.map((f) => f.code),
        ['VERIFY_MEASUREMENT'],
      );
    } finally { rmSync(dir, { recursive: true, force: true }); }
  },
);

sharedTest(
  'cli/snp verify: a real report with AMD\'s real chain is accepted by default (exit 0)',
  async () => {
    const dir = shared('snp', 'reports', 'turin-v5-oak');
    const result = await runCli([
      'snp', 'verify', '--report', join(dir, 'report.bin'), '--certs', dir,
      '--at', '2025-09-01T00:00:00Z',
    ]);
    assert.is(result.code, 0, result.stdout + result.stderr);
    assert.is(
      (JSON.parse(result.stdout) as { claims: { trustAnchor: string } }).claims.trustAnchor, 'amd',
    );
  },
);

test(
  'cli/snp verify: malformed input exits 30 with one clear line and no stack trace (child process)',
  async () => {
    const dir = await artifacts();
    try {
      writeFileSync(join(dir, 'garbage.bin'), new Uint8Array(100).fill(7));
      const short = spawnCli([
        'snp', 'verify', '--report', join(dir, 'garbage.bin'), '--certs', dir,
      ]);
      assert.is(short.code, 30);
      assert.match(short.stderr, 'SNP_BAD_LENGTH');
      assert.not.match(short.stderr, /\n\s+at /);
      writeFileSync(join(dir, 'vcek.der'), new Uint8Array(400).fill(0x41));
      rmSync(join(dir, 'vcek.pem'));
      const badCert = spawnCli([
        'snp', 'verify', '--report', join(dir, 'report.bin'), '--certs', dir, '--test-roots',
      ]);
      assert.is(badCert.code, 30);
      assert.match(badCert.stderr, 'SNP_BAD_CERT');
      assert.is(badCert.stderr.trim().split('\n').length, 1);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  },
);

test('cli/snp verify + certs: usage errors exit 2 with one line', async () => {
  const missing = await runCli(['snp', 'verify', '--report', 'x.bin']);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, "required option '--certs <dir|file>'");
  const product = await runCli([
    'snp', 'certs', '--out', join(tmpdir(), 'never'), '--product', 'Rome',
  ]);
  assert.is(product.code, 2);
  assert.match(product.stderr, "unknown product 'Rome'");
  const at = await runCli([
    'snp', 'verify', '--report', 'x.bin', '--certs', '.', '--at', 'yesterday',
  ]);
  assert.is(at.code, 2);
  for (const result of [missing, product, at]) {
    assert.is(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    assert.not.match(result.stderr, /\n\s+at /);
  }
});

test('cli/snp verify: an unreadable report file exits 40 (SIM_IO)', async () => {
  const dir = await artifacts();
  try {
    const result = await runCli([
      'snp', 'verify', '--report', join(dir, 'nope.bin'), '--certs', dir,
    ]);
    assert.is(result.code, 40);
    assert.match(result.stderr, 'SIM_IO');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
