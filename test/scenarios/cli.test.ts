/**
 * Goal: `parma-sim scenario list|run` as issue 10 specifies: the JSON document has exactly
 * {seed, scenarios: [{name, tags, kind, expected, actual, pass, trace_sha256}]}; the same seed
 * gives the same trace hash for every scenario, in another process too; another seed changes
 * the hashes; the exit code is 0 when every outcome is as declared, 10 when one is not, 2 for
 * an unknown scenario, tag or format; --trace writes the runs as JSONL.
 * Method: the compiled CLI in a child process for the whole catalog (as a user runs it), the
 * library in this process for the comparison; a failing catalog is made with PARMA_SIM_SHARED
 * pointing at a shared folder whose only policy cannot deploy.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseTraceJsonl } from '../../sim/kernel/trace.js';
import { catalog } from '../../scenarios/catalog/index.js';
import { runScenario } from '../../scenarios/runner.js';
import { runCli, spawnCli } from '../support/cli.js';
import { CLI_JS } from '../support/paths.js';
import { SCENARIOS, resultOf } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'parma-scenarios-'));

type Doc = { seed: string; scenarios: Record<string, unknown>[] };

test('scenario cli: run all --format json prints the one document, with every scenario\'s '
  + 'in-process trace hash (another process, same seed)', () => {
  const out = spawnCli(['scenario', 'run', 'all', '--format', 'json', '--seed', '1']);
  const doc = JSON.parse(out.stdout) as Doc;
  assert.equal(Object.keys(doc), ['seed', 'scenarios']);
  assert.is(doc.seed, '1');
  const scenarios = SCENARIOS;
  assert.is(doc.scenarios.length, scenarios.length);
  for (const [i, entry] of doc.scenarios.entries()) {
    assert.equal(Object.keys(entry), ['name', 'tags', 'kind', 'expected', 'actual', 'pass',
      'trace_sha256']);
    assert.is(entry['name'], scenarios[i]!.name);
    assert.is(entry['trace_sha256'], resultOf(scenarios[i]!, 1).traceSha256,
      `${String(entry['name'])}: one seed, one trace hash`);
  }
  const failed = doc.scenarios.some((s) => s['pass'] !== true);
  assert.is(out.code, failed ? 10 : 0);
});

test('scenario cli: another seed gives other trace hashes', () => {
  const names = ['substituted-layer', 'forged-report', 'host-reads-scratch'];
  for (const name of names) {
    const scenario = catalog({ sharedPolicies: null }).find((s) => s.name === name)!;
    assert.is.not(runScenario(scenario, 1).traceSha256, runScenario(scenario, 2).traceSha256,
      name);
  }
});

test('scenario cli: one scenario as text shows its timeline and the summary; exit 0', async () => {
  const out = await runCli(['scenario', 'run', 'oci-hooks', '--seed', '3']);
  assert.is(out.code, 0, out.stderr);
  assert.match(out.stdout, /== oci-hooks {2}\[hardening, attack\]/);
  assert.match(out.stdout, /create web with a prestart hook .*-> REFUSED by structure/);
  assert.match(out.stdout, /-- relaxed: with the defence relaxed/);
  assert.match(out.stdout, /-- historical: against the v0\.14\.1-era agent/);
  assert.match(out.stdout, /1 as expected, 0 not\n$/);
});

test('scenario cli: list --tag filters; unknown names, tags and formats exit 2', async () => {
  const list = await runCli(['scenario', 'list', '--tag', 'evidence']);
  assert.is(list.code, 0);
  assert.match(list.stdout, /^signature-algo-zero /m);
  assert.not.match(list.stdout, /^oci-hooks /m);
  assert.is((await runCli(['scenario', 'run', 'no-such-scenario'])).code, 2);
  assert.is((await runCli(['scenario', 'run', 'all', '--tag', 'no-such-tag'])).code, 2);
  assert.is((await runCli(['scenario', 'run', 'oci-hooks', '--format', 'yaml'])).code, 2);
  assert.is((await runCli(['scenario', 'run'])).code, 2);
});

test('scenario cli: --trace writes every run as JSONL events behind a header per run', () => {
  const path = join(dir, 'trace.jsonl');
  const out = spawnCli(['scenario', 'run', '--tag', 'confidentiality', '--trace', path]);
  assert.is(out.code, 0, out.stderr);
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const headers = lines.filter((line) => line.startsWith('{"scenario"'));
  assert.is(headers.length, 8, '4 scenarios, each a main and a relaxed run');
  const events = parseTraceJsonl(lines.filter((line) => !line.startsWith('{"scenario"'))
    .join('\n'));
  assert.ok(events.some((e) => e.source === 'host' && e.type === 'action'));
});

test('scenario cli: an outcome other than declared exits 10', () => {
  const shared = join(dir, 'shared');
  mkdirSync(join(shared, 'testdata', 'policies'), { recursive: true });
  // A container whose layer no image provides: the deployment cannot be allowed.
  writeFileSync(join(shared, 'testdata', 'policies', 'broken.rego'), 'package policy\n'
    + 'api_version := "0.10.0"\nframework_version := "0.2.3"\n'
    + 'containers := [{"name":"x","command":["/x"],"layers":["' + '00'.repeat(32) + '"],'
    + '"env_rules":[],"mounts":[],"exec_processes":[],"signals":[],"working_dir":"/",'
    + '"allow_elevated":false,"allow_stdio_access":false,"no_new_privileges":false,'
    + '"user":{"user_idname":{"pattern":"","strategy":"any"},"group_idnames":[],'
    + '"umask":"0022"},"capabilities":null,"seccomp_profile_sha256":""}]\n'
    + 'mount_device := {"allowed": false}\n');
  const result = spawnSync(process.execPath, [CLI_JS, 'scenario', 'run', 'shared-broken',
    '--format', 'json'], { encoding: 'utf8', env: { ...process.env, PARMA_SIM_SHARED: shared } });
  const doc = JSON.parse(result.stdout) as Doc;
  assert.is(doc.scenarios[0]!['pass'], false);
  assert.is(result.status, 10);
});

test.run();
