/**
 * Goal: models do no file I/O, yet carry exactly the committed key and certificate files: the
 * generated PEM modules equal the files they were made from; the TEST-ONLY CA certificates are
 * fixed bytes that rebuilding from the test keys reproduces, and every seed's certificate set
 * carries them.
 * Method: read the committed files here (tests may read files) and compare them entry by entry
 * with the embedded constants and with the text the generator would write; rebuild each CA
 * certificate with buildCaCertificate (deterministic PSS salts) and compare DER; scan the import
 * graph of models/ for file-system modules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../sim/kernel/bytes.js';
import { Rng } from '../../sim/kernel/rng.js';
import { AMD_TEST_CA_PEMS } from '../../models/snp/amd-test-ca-pems.js';
import { testCaCertificate } from '../../models/snp/amd-test-ca.js';
import { AMD_KEY_ROLES } from '../../models/snp/amd-test-keys.js';
import { AMD_TEST_KEY_PEMS } from '../../models/snp/amd-test-key-pems.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import { fromPem } from '../../models/snp/pem.js';
import { PRODUCT_NAMES } from '../../models/snp/product.js';
import { buildCaCertificate } from '../../models/snp/x509-profile.js';
import { AMD_ROOT_PEMS } from '../../models/verifier/amd-root-pems.js';
import {
  EMBEDDED_PEMS, readEmbeddedSources, renderEmbeddedModule,
} from '../support/embedded-pems.js';
import { importsOf } from '../support/import-graph.js';
import { REPO_ROOT } from '../support/paths.js';

const EMBEDDED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  AMD_TEST_KEY_PEMS, AMD_TEST_CA_PEMS, AMD_ROOT_PEMS,
};

for (const spec of EMBEDDED_PEMS) {
  test(`snp/certs-fixtures: ${spec.module} holds exactly the files of ${spec.dir}`, () => {
    const sources = readEmbeddedSources(spec);
    assert.is(Object.keys(sources).length, 9);
    assert.equal(EMBEDDED[spec.exportName], sources);
    const text = readFileSync(join(REPO_ROOT, spec.module), 'utf8');
    assert.is(text, renderEmbeddedModule(spec, sources), 'regenerate: test/tools/embed-pems.ts');
  });
}

test('snp/certs-fixtures: rebuilding each TEST-ONLY CA certificate gives the committed bytes',
  () => {
    for (const product of PRODUCT_NAMES) {
      for (const role of AMD_KEY_ROLES) {
        const file = join(REPO_ROOT, 'models', 'snp', 'test-keys',
          `${role}-${product.toLowerCase()}.cert.pem`);
        const committed = fromPem(readFileSync(file, 'utf8'));
        assert.is(committed.length, 1, file);
        assert.is(toHex(buildCaCertificate({ product, role })), toHex(committed[0]!), file);
      }
    }
  });

test('snp/certs-fixtures: another PSS stream gives other CA bytes (the rebuild check can fail)',
  () => {
    const fixture = testCaCertificate('Milan', 'ask');
    const other = buildCaCertificate({ product: 'Milan', role: 'ask', rng: Rng.fromSeed(1) });
    assert.is.not(toHex(other), toHex(fixture));
  });

test('snp/certs-fixtures: every seed\'s certificate set carries the fixed CA certificates', () => {
  for (const seed of [0, 1, 'another seed']) {
    const set = buildCertificateSet({ seed, product: 'Turin' });
    assert.is(toHex(set.ark), toHex(testCaCertificate('Turin', 'ark')));
    assert.is(toHex(set.ask), toHex(testCaCertificate('Turin', 'ask')));
    assert.is(toHex(set.asvk), toHex(testCaCertificate('Turin', 'asvk')));
  }
});

function modelFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return modelFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('snp/certs-fixtures: no module under models/ imports a file-system module', () => {
  const files = modelFiles('models');
  assert.ok(files.length > 50, `${files.length} model files`);
  const offending = files.flatMap((file) => importsOf(file)
    .filter((s) => /^(node:)?fs(\/|$)/.test(s) || s.endsWith('package-root.ts'))
    .map((s) => `${file} → ${s}`));
  assert.equal(offending, []);
});

test.run();
