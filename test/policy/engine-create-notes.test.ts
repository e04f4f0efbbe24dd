/**
 * Goal: what create_container's denials explain (no overlay for the ID, a null command under the
 * framework's reading, fields the input lacks, a guest that is not Linux), the claims of the
 * notes that mutation testing showed untested (reports/mutation).
 * Method: hand-built policies and inputs (test/policy/engine-support.ts); each note is checked
 * for what it must say, and for staying silent where it does not apply.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { initialMetadata } from '../../models/policy/metadata.js';
import {
  ID, caps, container, createInput, last, mountCalls, run, securityPolicy,
} from './engine-support.js';

const SUITE = 'policy/engine create_container';
const k = container();
const policy = securityPolicy({ containers: [k] });
const overlaid = last(run(policy, mountCalls(k.layers, ID(1)))).metadata;

const notesOf = (reasons: readonly string[]) => reasons.join(' | ');

test(`${SUITE}: with no overlay for the ID a denial says so`, () => {
  const d = evaluateEnforcementPoint(policy, initialMetadata('head'), 'create_container',
    createInput(k, ID(1)));
  assert.not.ok(d.allowed);
  assert.ok(d.reasons.includes(`no candidate containers for ${ID(1)}: no overlay was mounted `
    + 'for this ID'), notesOf(d.reasons));
});

test(`${SUITE}: a candidate whose command is null is explained under the framework reading and `
  + 'matches an empty argv under the empty-argv reading', () => {
  const n = container({ command: null });
  const p = securityPolicy({ containers: [n] });
  const md = last(run(p, mountCalls(n.layers, ID(1)))).metadata;
  const input = createInput(n, ID(1), { argList: [] });
  const strict = evaluateEnforcementPoint(p, md, 'create_container', input);
  assert.not.ok(strict.allowed);
  assert.ok(strict.reasons.some((r) => /command is null: the framework matches no argv/.test(r)),
    notesOf(strict.reasons));
  const lenient = evaluateEnforcementPoint(p, md, 'create_container', input,
    { nullCommand: 'empty-argv' });
  assert.ok(lenient.allowed, notesOf(lenient.reasons));
  const other = evaluateEnforcementPoint(policy, overlaid, 'create_container',
    createInput(k, ID(1), { argList: ['/other'] }));
  assert.not.ok(other.reasons.some((r) => /command is null/.test(r)), 'no null command here');
});

test(`${SUITE}: fields the input lacks are named, except isSandboxContainer, and devices where `
  + 'the dialect has no device check', () => {
  const { user: _u, isSandboxContainer: _s, devices: _d, ...rest } = createInput(k, ID(1));
  const head = evaluateEnforcementPoint(policy, overlaid, 'create_container', rest);
  assert.not.ok(head.allowed);
  const note = head.reasons.find((r) => r.startsWith('input lacks '));
  assert.ok(note !== undefined, notesOf(head.reasons));
  assert.match(note!, /^input lacks devices, user: the GCS always sends them/);
  const oldPolicy = securityPolicy({ containers: [k], framework_version: '0.3.0' });
  const old = last(run(oldPolicy, mountCalls(k.layers, ID(1)), initialMetadata('v0.14.1'),
    { dialect: 'v0.14.1' })).metadata;
  const v014 = evaluateEnforcementPoint(oldPolicy, old, 'create_container', rest,
    { dialect: 'v0.14.1' });
  const oldNote = v014.reasons.find((r) => r.startsWith('input lacks '));
  assert.ok(oldNote !== undefined && /^input lacks user:/.test(oldNote), notesOf(v014.reasons));
  const full = evaluateEnforcementPoint(policy, overlaid, 'create_container',
    createInput(k, ID(1), { argList: ['/other'] }));
  assert.not.ok(full.reasons.some((r) => r.startsWith('input lacks')), 'nothing lacking');
});

test(`${SUITE}: with no "linux" in metadata.operatingsystem (HEAD) a create is denied with the `
  + 'is_linux note', () => {
  const d = evaluateEnforcementPoint(policy, { ...overlaid, operatingsystem: {} },
    'create_container', createInput(k, ID(1)));
  assert.not.ok(d.allowed);
  assert.ok(d.reasons.some((r) => /is_linux is false/.test(r)), notesOf(d.reasons));
  const linux = evaluateEnforcementPoint(policy, overlaid, 'create_container',
    createInput(k, ID(1)));
  assert.ok(linux.allowed, notesOf(linux.reasons));
});

const narrowingDenials: readonly (readonly [string, Record<string, unknown>, RegExp])[] = [
  ['an environment no candidate accepts', { envList: ['EVIL=1'] },
    /^no remaining candidate accepts the environment variables$/],
  ['no capabilities object', { capabilities: null }, /^no capability list to judge: the request /],
  ['capabilities no candidate allows exactly', { capabilities: caps(['CAP_SYS_ADMIN']) },
    /^no remaining candidate allows exactly these capabilities$/],
];
for (const [condition, overrides, note] of narrowingDenials) {
  test(`${SUITE}: ${condition} is denied with a note naming the narrowing stage that emptied`, () => {
    const d = evaluateEnforcementPoint(policy, overlaid, 'create_container',
      createInput(k, ID(1), overrides));
    assert.not.ok(d.allowed);
    assert.ok(d.reasons.some((r) => note.test(r)), notesOf(d.reasons));
  });
}

test.run();
