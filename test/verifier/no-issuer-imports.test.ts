/**
 * Goal: the relying party cannot lean on the fake issuer: nothing models/verifier imports, directly
 * or through other modules, builds certificates, signs, derives endorsement keys or holds the
 * TEST-ONLY private keys (DESIGN.md layering; issue 7, "Layering is enforced by a test"). A
 * verifier that could call the issuer could "verify" by re-issuing.
 * Method: walk the value-import graph (type-only imports are erased at run time) from every file
 * under models/verifier and report any issuer module it reaches, with the path that reaches it.
 * The same walk from the issuer's certificates.ts must reach the test keys, so the scan can fail.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FAKE_ISSUER_MODULES, reachableFrom } from '../support/import-graph.js';
import { REPO_ROOT } from '../support/paths.js';

const ISSUER = FAKE_ISSUER_MODULES;

const VERIFIER_ROOTS = readdirSync(join(REPO_ROOT, 'models', 'verifier'))
  .filter((name) => name.endsWith('.ts')).map((name) => `models/verifier/${name}`);

test('verifier/layering: no module reachable from models/verifier is part of the fake issuer',
  () => {
    assert.ok(VERIFIER_ROOTS.length >= 6, VERIFIER_ROOTS.join(' '));
    const reached = reachableFrom(VERIFIER_ROOTS);
    const offending = ISSUER.filter((file) => reached.has(file))
      .map((file) => reached.get(file)!.join(' → '));
    assert.equal(offending, []);
    assert.ok(reached.has('models/snp/attestation-report.ts'), 'the walk follows imports');
  });

test('verifier/layering: the verifier loads no ASN.1 library (start-up cost) and imports no ' +
  'model but snp and policy (DESIGN.md)',
  () => {
    const reached = [...reachableFrom(VERIFIER_ROOTS).keys()];
    assert.equal(reached.filter((file) => file.startsWith('@peculiar/')), []);
    const allowed = ['models/snp/', 'models/policy/', 'models/verifier/'];
    const models = reached.filter((f) => f.startsWith('models/')
      && !allowed.some((prefix) => f.startsWith(prefix)));
    assert.equal(models, []);
  });

test('verifier/layering: the scan sees the issuer reach its own test keys (it can fail)', () => {
  const reached = reachableFrom(['models/snp/certificates.ts']);
  assert.ok(reached.has('models/snp/amd-test-keys.ts'));
  assert.ok(reached.has('models/snp/amd-test-key-pems.ts'));
  assert.ok(reached.has('@peculiar/asn1-x509'));
});

test.run();
