/**
 * Goal: the explorer's state table keeps each 16-byte key once, remembers how each state was
 * first reached (parent, action) so a path can be rebuilt, grows past its initial size without
 * losing a key, and refuses to grow past its limit.
 * Method: keys are SHA-256 prefixes of counters (uniform, like state keys); a chain of states
 * each reached from the previous one; a table of limit 5.
 */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StateTable } from '../../sim/check/state-table.js';

const key = (n: number): Buffer => createHash('sha256').update(`state ${n}`).digest()
  .subarray(0, 16);

test('state table: each key is stored once; a second add says "seen" with the first index', () => {
  const table = new StateTable(100);
  table.addRoot(key(0));
  assert.equal(table.add(key(1), 0, 7), { kind: 'new', index: 1 });
  assert.equal(table.add(key(1), 0, 8), { kind: 'seen', index: 1 });
  assert.equal(table.add(key(0), 1, 3), { kind: 'seen', index: 0 });
  assert.is(table.size, 2);
});

test('state table: pathTo rebuilds the actions from the root along first parents', () => {
  const table = new StateTable(100);
  table.addRoot(key(0));
  table.add(key(1), 0, 4);
  table.add(key(2), 1, 9);
  table.add(key(3), 0, 2);
  table.add(key(4), 2, 1);
  assert.equal(table.pathTo(4), [4, 9, 1]);
  assert.equal(table.pathTo(3), [2]);
  assert.equal(table.pathTo(0), []);
});

test('state table: 100,000 keys survive growth and rehashing, each found again', () => {
  const table = new StateTable(1_000_000, 16);
  table.addRoot(key(0));
  for (let n = 1; n < 100_000; n++) table.add(key(n), n - 1, n % 60);
  assert.is(table.size, 100_000);
  let missing = 0;
  for (let n = 0; n < 100_000; n++) if (table.add(key(n), 0, 0).kind !== 'seen') missing++;
  assert.is(missing, 0);
  assert.ok(table.bytesPerState() < 64, `${table.bytesPerState()} bytes per state`);
});

test('state table: past its limit a new key is refused ("full"); known keys are still found',
  () => {
  const table = new StateTable(5);
  table.addRoot(key(0));
  for (let n = 1; n < 5; n++) table.add(key(n), 0, 0);
  assert.equal(table.add(key(99), 0, 0), { kind: 'full' });
  assert.equal(table.add(key(3), 0, 0), { kind: 'seen', index: 3 });
  assert.is(table.size, 5);
});

test.run();
