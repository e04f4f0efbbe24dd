/**
 * Goal: every policy under shared/testdata/policies imports, or is rejected with its documented
 * reason; its digest equals the host_data column of SOURCES.md; `policy show` output round-trips.
 * Method: the file list and the expected digests come from SOURCES.md (parsed, not copied). The
 * expected rejections are the documented ones: templates (the placeholder is found in the file
 * text by this test), the include file, and fw 0.5.0 platform_rules (README "policy import").
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimError } from '../../sim/kernel/errors.js';
import { canonicalJson } from '../../sim/kernel/canonical-json.js';
import {
  decodePolicyBytes, loadSecurityPolicy, securityPolicyDigestHex
} from '../../models/policy/load-policy.js';
import { shared, sharedTest, sharedTests } from '../support/requires.js';
import { readSourcesTable, type SourcesRow } from './sources-table.js';

const SUITE = 'policy/import';
const policiesDir = (): string => shared('policies');

/** Documented rejections that are not templates: file → construct named by the error. */
const DOCUMENTED_UNSUPPORTED: Readonly<Record<string, string>> = {
  'hcsshim/fragment_test_policies/_container_common.rego.inc': 'include file',
  'hcsshim/fragment_test_policies/platform_rules.rego': 'platform_rules',
};

function bytesOf(row: SourcesRow): Uint8Array {
  return new Uint8Array(readFileSync(join(policiesDir(), row.file)));
}

function rejection(row: SourcesRow, bytes: Uint8Array): { construct: string; placeholder?: string }
    | undefined {
  const placeholder = /@@[A-Za-z0-9_]+@@/.exec(new TextDecoder().decode(bytes))?.[0];
  if (placeholder !== undefined) return { construct: 'template', placeholder };
  const construct = DOCUMENTED_UNSUPPORTED[row.file];
  return construct === undefined ? undefined : { construct };
}

sharedTest(`${SUITE}: SOURCES.md lists the policy files (the table parsed)`, () => {
  const rows = readSourcesTable(policiesDir());
  assert.ok(rows.length >= 30);
  assert.ok(rows.some((row) => row.file === 'confcom/sample-template-output.json'));
});

sharedTests(`${SUITE}: each policy of SOURCES.md imports, or is rejected as documented`, () => {
  for (const row of readSourcesTable(policiesDir())) {
    if (row.hostData === undefined) continue;   // not a policy (report, command trace, include)
    const bytes = bytesOf(row);
    const expected = rejection(row, bytes);
    if (expected === undefined) {
      test(`policy/import: ${row.file} imports and its digest is SOURCES.md host_data`, () => {
        const loaded = loadSecurityPolicy(bytes);
        assert.is(loaded.digestHex, row.hostData);
        assert.ok(loaded.policy.api_version !== '' || loaded.policy.package_name !== 'policy'
          || loaded.policy.format === 'legacy-json');
      });
      test(`policy/import: ${row.file} shows as native JSON that re-imports to the same text`,
          () => {
        const shown = canonicalJson(loadSecurityPolicy(bytes).policy, 2);
        const again = loadSecurityPolicy(new TextEncoder().encode(shown));
        assert.is(again.policy.format, loadSecurityPolicy(bytes).policy.format);
        assert.is(canonicalJson(again.policy, 2), shown);
      });
    } else {
      test(`policy/import: ${row.file} is rejected as ${expected.construct}, and still hashes to `
          + `host_data`, () => {
        let caught: unknown;
        try { loadSecurityPolicy(bytes); } catch (error) { caught = error; }
        assert.instance(caught, SimError);
        const error = caught as SimError;
        assert.is(error.code, 'POLICY_UNSUPPORTED');
        assert.is(error.detail['construct'], expected.construct);
        if (expected.placeholder !== undefined) {
          assert.ok(error.message.includes(expected.placeholder), error.message);
        }
        assert.type(error.detail['line'], 'number');
        assert.is(securityPolicyDigestHex(decodePolicyBytes(bytes).bytes), row.hostData);
      });
    }
  }
});

sharedTest(`${SUITE}: the sha256-of-file column equals SHA-256 of each file as stored`, () => {
  for (const row of readSourcesTable(policiesDir())) {
    assert.is(securityPolicyDigestHex(bytesOf(row)), row.sha256, row.file);
  }
});

sharedTest(`${SUITE}: base64 and ARM forms import to the same policy as their decoded files`,
  () => {
    const pairs = [
      ['confcom/sample-template-output.json',
        'confcom/sample-template-output.ccePolicy.decoded.rego'],
      ['confidential-sidecar-containers/uvm_security_policy.base64',
        'confidential-sidecar-containers/uvm_security_policy.decoded.rego'],
      ['confidential-sidecar-containers/legacy_json_policy_tampered.base64',
        'confidential-sidecar-containers/legacy_json_policy_tampered.decoded.json'],
    ] as const;
    for (const [wrapped, decoded] of pairs) {
      const a = loadSecurityPolicy(new Uint8Array(readFileSync(join(policiesDir(), wrapped))));
      const b = loadSecurityPolicy(new Uint8Array(readFileSync(join(policiesDir(), decoded))));
      assert.is(canonicalJson(a.policy), canonicalJson(b.policy), wrapped);
      assert.is(a.encoding === 'raw', false, wrapped);
    }
  });

test.run();
