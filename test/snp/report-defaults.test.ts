/**
 * Goal: a default fake report of each product looks like the real report of the firmware the
 * README names for it (Milan 1.55.29: milan-v3-oak-oc-release; Genoa 1.55.43: genoa-v5-oak;
 * Turin 1.55.61: turin-v5-oak) in every field the platform and firmware decide: VERSION,
 * firmware versions, the four TCBs, PLATFORM_INFO (Turin 0x67), the mitigation vectors (Genoa
 * 1/1), CPUID, SIGNATURE_ALGO, KEY_INFO, REPORT_ID_MA, and the no-ID-block defaults.
 * Method: compare the bytes of each field's span in the generated report with the same span of
 * the real report bytes in ../shared/testdata (offsets from the layout table, values only from
 * the real file); fields that are per chip or per guest (CHIP_ID, REPORT_ID, MEASUREMENT,
 * REPORT_DATA, the signature) are left out by name.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../sim/kernel/bytes.js';
import { ATTESTATION_REPORT } from '../../models/snp/attestation-report.js';
import type { Product } from '../../models/snp/product.js';
import { generateReport } from '../../models/snp/report-generator.js';
import { shared, sharedTest } from '../support/requires.js';

const SUITE = 'snp/report-defaults';

const REAL: Readonly<Record<Product, string>> = {
  Milan: 'milan-v3-oak-oc-release', Genoa: 'genoa-v5-oak', Turin: 'turin-v5-oak',
};

/** Per chip or per guest: a default cannot (and must not) copy them. */
const NOT_DEFAULTS = new Set([
  'chip_id', 'report_id', 'measurement', 'report_data', 'signature_r', 'signature_s',
]);

const COMPARED = ATTESTATION_REPORT.fields.filter((f) => !NOT_DEFAULTS.has(f.name));

for (const product of ['Milan', 'Genoa', 'Turin'] as const) {
  sharedTest(`${SUITE}: a default ${product} report equals ${REAL[product]} in every ` +
    'field the platform and firmware decide', () => {
    const path = shared('snp', 'reports', REAL[product], 'report.bin');
    const real = new Uint8Array(readFileSync(path));
    const fake = generateReport({ seed: 404, product }).report;
    assert.is(fake.length, real.length);
    const differ: string[] = [];
    for (const field of COMPARED) {
      const span = (bytes: Uint8Array): string =>
        toHex(bytes.subarray(field.offsetBytes, field.offsetBytes + field.sizeBytes));
      if (span(fake) !== span(real)) {
        differ.push(`${field.name}: fake ${span(fake)} real ${span(real)}`);
      }
    }
    assert.equal(differ, []);
    assert.ok(COMPARED.some((f) => f.name === 'platform_info'));
  });
}

test(`${SUITE}: the fields compared include everything except the per-chip/per-guest ones`, () => {
  assert.is(COMPARED.length + NOT_DEFAULTS.size, ATTESTATION_REPORT.fields.length);
  for (const name of ['platform_info', 'launch_mit_vector', 'current_mit_vector', 'current_tcb']) {
    assert.ok(COMPARED.some((f) => f.name === name), name);
  }
});

test.run();
