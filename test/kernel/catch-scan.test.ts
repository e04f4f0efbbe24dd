/**
 * Goal: a bug in parma-sim never turns into an ordinary refusal. Models and the kernel catch only
 * what a library throws on bad input (`isInputRefusal`) or a SimError, never everything.
 * Method: scan models/ and sim/kernel/ for a bare `catch {` and for a catch that does not name a
 * type on its first line; check isInputRefusal on what libraries throw and on our own bugs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AssertionError } from '../../sim/kernel/assert.js';
import { SimError, isInputRefusal } from '../../sim/kernel/errors.js';
import { REPO_ROOT } from '../support/paths.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * A catch block is judged by its first lines: it must test the error's type (instanceof, a code,
 * a name, isInputRefusal) or hand the error to a helper of this file that does, before anything
 * else. A bare `catch {` cannot, so it never passes.
 */
function catchOffenders(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: string[] = [];
  lines.forEach((line, index) => {
    if (!/\}\s*catch\b/.test(line)) return;
    const body = lines.slice(index + 1, index + 4).join('\n');
    const typed = /catch \((\w+)\) \{/.test(line)
      && /(instanceof|isInputRefusal\(|\.code\b|\.name\b|'code' in|\w+\([^)]*\berror\b)/.test(body);
    if (!typed) out.push(`${relative(REPO_ROOT, file)}:${index + 1}: ${line.trim()}`);
  });
  return out;
}

test('catch-scan: no model or kernel file has a bare catch, and every catch tests what it caught',
  () => {
    const offenders = ['models', join('sim', 'kernel')]
      .flatMap((dir) => sources(join(REPO_ROOT, dir)))
      .flatMap(catchOffenders);
    assert.equal(offenders, []);
  });

test('catch-scan: isInputRefusal accepts library refusals and refuses our own bugs', () => {
  let urlError: unknown;
  try { new URL('::'); } catch (error) { urlError = error; }
  let decodeError: unknown;
  try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])); }
  catch (error) { decodeError = error; }
  assert.ok(isInputRefusal(urlError), 'ERR_INVALID_URL');
  assert.ok(isInputRefusal(decodeError), 'ERR_ENCODING_INVALID_ENCODED_DATA');
  assert.ok(isInputRefusal(new Error('invalid point')), 'a plain Error (@noble)');
  assert.ok(isInputRefusal(new SimError('SIM_USAGE')));
  assert.not.ok(isInputRefusal(new AssertionError('our bug')));
  assert.not.ok(isInputRefusal(new TypeError('cannot read properties of undefined')));
  assert.not.ok(isInputRefusal(new RangeError('offset out of bounds')));
  assert.not.ok(isInputRefusal('a string'));
});

test.run();
