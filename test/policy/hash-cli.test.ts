/**
 * Goal: `parma-sim policy hash` prints the HOST_DATA a deployment of the file would carry:
 * SHA-256 of the decoded policy for .base64 files and ARM templates, of the bytes otherwise.
 * Method: run the compiled CLI as a child process; expected digests come from SOURCES.md's
 * host_data column; the CCF JSON vector is also stated in its source (microsoft/CCF snp.py).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCli } from '../support/cli.js';
import { shared, sharedTest } from '../support/requires.js';
import { readSourcesTable } from './sources-table.js';

const policies = (file: string): string => shared('policies', file);
const sourcesRows = () => readSourcesTable(shared('policies'));

const hostData = (file: string): string => {
  const row = sourcesRows().find((r) => r.file === file);
  assert.ok(row?.hostData, `SOURCES.md has a host_data for ${file}`);
  return row!.hostData!;
};

for (const file of [
  'confidential-sidecar-containers/uvm_security_policy.base64',
  'confidential-sidecar-containers/legacy_json_policy_tampered.base64',
  'confcom/sample-template-output.json',
  'confcom/minimal.policy.rego',
  'ccf/json_allow_all_policy.json',
  'hcsshim/open_door.rego',
]) {
  sharedTest(`policy/hash cli: ${file} hashes to its SOURCES.md host_data, exit 0`, () => {
    const result = spawnCli(['policy', 'hash', policies(file)]);
    assert.is(result.code, 0, result.stderr);
    assert.is(result.stdout, `${hostData(file)}\n`);
    assert.is(result.stderr, '');
  });
}

sharedTest('policy/hash cli: the base64 file hashes differently from its own bytes (it is decoded '
    + 'first)', () => {
  const file = 'confidential-sidecar-containers/uvm_security_policy.base64';
  const row = sourcesRows().find((r) => r.file === file)!;
  const result = spawnCli(['policy', 'hash', policies(file)]);
  assert.is.not(result.stdout.trim(), row.sha256);
  assert.is(result.stdout.trim(), row.hostData);
});

sharedTest('policy/hash cli: --json names the encoding and the decoded length of the ARM ccePolicy',
    () => {
  const file = 'confcom/sample-template-output.json';
  const result = spawnCli(['policy', 'hash', '--json', policies(file)]);
  assert.is(result.code, 0, result.stderr);
  const parsed = JSON.parse(result.stdout) as { host_data: string; encoding: string;
    policy_bytes: number };
  assert.is(parsed.host_data, hostData(file));
  assert.is(parsed.encoding, 'arm-template');
  // The decoded ccePolicy is the file SOURCES.md lists as its decoded copy; same byte count.
  const decodedRow = sourcesRows().find((r) =>
    r.file === 'confcom/sample-template-output.ccePolicy.decoded.rego')!;
  assert.is(decodedRow.sha256, parsed.host_data);
});

test('policy/hash cli: a missing file is an I/O error, exit 40, one line', () => {
  const result = spawnCli(['policy', 'hash', '/nonexistent/parma-sim/policy.rego']);
  assert.is(result.code, 40);
  assert.is(result.stderr.trim().split('\n').length, 1);
  assert.ok(result.stderr.includes('ENOENT'), result.stderr);
});

test('policy/hash cli: no FILE is a usage error, exit 2', () => {
  const result = spawnCli(['policy', 'hash']);
  assert.is(result.code, 2);
  assert.ok(result.stderr.includes('usage: parma-sim policy hash FILE'), result.stderr);
});

test('policy/hash cli: stdin ("-") hashes the bytes given', () => {
  // SHA-256("abc"), FIPS 180-2 appendix B.1 test vector.
  const result = spawnCli(['policy', 'hash', '-'], { input: 'abc' });
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n');
});

test.run();
