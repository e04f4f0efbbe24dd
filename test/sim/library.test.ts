/**
 * Goal: other components can use parma-sim as a library by its package name:
 * `import('parma-sim')` resolves through package.json "exports" to the compiled public API.
 * Method: a self-referencing dynamic import, then one call through it (a report generated and
 * decoded again must carry the REPORT_DATA we asked for).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test(
  'sim/index: the package name resolves to the public API with the report and policy functions',
  async () => {
    const api = (await import('parma-sim')) as Record<string, unknown>;
    for (const name of [
      'generateReport', 'decodeAttestationReport', 'verifyAttestationReport', 'buildCertificateSet',
      'measureLaunch', 'loadSecurityPolicy', 'evaluateEnforcementPoint', 'Rng',
    ]) {
      assert.type(api[name], 'function', name);
    }
  },
);

test(
  'sim/index: a report made through the package API decodes with the REPORT_DATA asked for',
  async () => {
    const api = await import('parma-sim');
    const reportData = new Uint8Array(64).fill(0x5a);
    const { report } = api.generateReport({ seed: 9, product: 'Genoa', report_data: reportData });
    assert.equal([...api.decodeAttestationReport(report).report_data], [...reportData]);
  },
);

test.run();
