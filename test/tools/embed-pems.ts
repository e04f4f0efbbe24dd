/**
 * Goal: write the generated PEM modules of models/ (test/support/embedded-pems.ts lists them) and,
 * with `--rebuild-ca`, first rebuild the TEST-ONLY CA certificate fixtures from the test keys.
 * Method: `npm run build && node dist/test/tools/embed-pems.js [--rebuild-ca]`. The CA
 * certificates are deterministic (seeded PSS salts), so rebuilding gives the committed bytes;
 * test/snp/certs-fixtures.test.ts checks both the fixtures and the modules.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AMD_KEY_ROLES } from '../../models/snp/amd-test-keys.js';
import { toPem } from '../../models/snp/pem.js';
import { PRODUCT_NAMES } from '../../models/snp/product.js';
import { buildCaCertificate } from '../../models/snp/x509-profile.js';
import {
  EMBEDDED_PEMS, readEmbeddedSources, renderEmbeddedModule,
} from '../support/embedded-pems.js';
import { REPO_ROOT } from '../support/paths.js';

if (process.argv.includes('--rebuild-ca')) {
  for (const product of PRODUCT_NAMES) {
    for (const role of AMD_KEY_ROLES) {
      const file = join(REPO_ROOT, 'models', 'snp', 'test-keys',
        `${role}-${product.toLowerCase()}.cert.pem`);
      writeFileSync(file, toPem(buildCaCertificate({ product, role })));
      console.log(`wrote ${file}`);
    }
  }
}
for (const spec of EMBEDDED_PEMS) {
  const text = renderEmbeddedModule(spec, readEmbeddedSources(spec));
  writeFileSync(join(REPO_ROOT, spec.module), text);
  console.log(`wrote ${spec.module}`);
}
