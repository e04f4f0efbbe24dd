/**
 * Goal: the top-level `parma-sim` command: --version prints the package's version, and no
 * command, an unknown one or a prototype-polluting name is a usage error (exit 2) with the usage
 * text, never an internal error.
 * Method: run the CLI in-process and as a child process; the version comes from package.json.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';
import { runCli, spawnCli } from '../support/cli.js';

const manifest = JSON.parse(
  readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'),
) as { version: string };

test('sim/cli: --version and -V print "parma-sim <package.json version>" and exit 0', async () => {
  for (const flag of ['--version', '-V']) {
    const r = await runCli([flag]);
    assert.is(r.code, 0);
    assert.is(r.stdout, `parma-sim ${manifest.version}\n`);
  }
});

test('sim/cli: no command prints the usage and exits 2; --help exits 0', async () => {
  const none = spawnCli([]);
  assert.is(none.code, 2);
  assert.match(none.stdout, /usage: parma-sim <command>/);
  assert.is((await runCli(['--help'])).code, 0);
});

test(
  'sim/cli: unknown and prototype names (__proto__, constructor) are usage errors, not crashes',
  async () => {
    for (const name of ['nope', '__proto__', 'constructor', 'toString']) {
      const r = await runCli([name]);
      assert.is(r.code, 2, name);
      assert.match(r.stderr, `unknown command '${name}'`);
    }
  },
);

test('sim/cli: prototype names as subcommands are usage errors too', async () => {
  for (const group of ['snp', 'policy']) {
    const r = await runCli([group, '__proto__']);
    assert.is(r.code, 2, group);
  }
});

test.run();
