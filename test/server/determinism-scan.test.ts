/**
 * Goal: what decides a response is deterministic: the fake backend's modules (sim/server/**), the
 * configfs-tsm double and the serve command never read the wall clock, use timers or draw OS
 * randomness; only sim/server.ts (socket plumbing, and the optional real delay) may use timers.
 * Method: scan the TypeScript sources for the forbidden calls, as test/kernel does for models.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../support/paths.js';

const FORBIDDEN = new RegExp([
  /Math\.random|Date\.now|new Date\(\)/, /randomBytes|randomUUID|getRandomValues/,
  /setTimeout|setInterval|performance\.now|hrtime/,
].map((part) => part.source).join('|'));

test('server/determinism: sim/server/**, sim/configfs-tsm.ts and sim/commands/serve.ts use no '
  + 'clock, timer or OS randomness', () => {
  const files = [
    ...readdirSync(join(REPO_ROOT, 'sim', 'server')).filter((f) => f.endsWith('.ts'))
      .map((f) => join(REPO_ROOT, 'sim', 'server', f)),
    join(REPO_ROOT, 'sim', 'configfs-tsm.ts'), join(REPO_ROOT, 'sim', 'commands', 'serve.ts'),
  ];
  assert.ok(files.length >= 8, 'the server modules are found');
  const offenders: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
      if (FORBIDDEN.test(line)) offenders.push(`${relative(REPO_ROOT, file)}:${index + 1}`);
    });
  }
  assert.equal(offenders, []);
});

test.run();
