/**
 * Goal: models and the kernel take randomness and time only from sim/kernel (house rule 7).
 * Method: scan the TypeScript sources of models/ and sim/kernel/ for the forbidden calls.
 * Comments are included on purpose: naming a forbidden call in a model is suspicious enough.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';

const FORBIDDEN = new RegExp([
  /Math\.random|Date\.now|new Date\(\)/, /randomBytes|randomUUID|getRandomValues/,
  /setTimeout|setInterval|performance\.now/,
].map((part) => part.source).join('|'));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

test(
  'determinism: no model or kernel file calls Math.random, Date.now, timers or OS randomness',
  () => {
    const offenders: string[] = [];
    for (const dir of ['models', join('sim', 'kernel')]) {
      for (const file of sources(join(REPO_ROOT, dir))) {
        readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
          if (FORBIDDEN.test(line)) {
            offenders.push(`${relative(REPO_ROOT, file)}:${index + 1}: ${line.trim()}`);
          }
        });
      }
    }
    assert.equal(offenders, []);
  },
);

test.run();
