/**
 * Goal: what exec_in_container's denials explain and the exec branches the recorded vectors do
 * not reach: the shut-down container, an input that lacks fields, a required variable left out,
 * and the capabilities of a container started privileged. Written after mutation testing showed
 * these untested (reports/mutation).
 * Method: threaded sequences on hand-built policies (test/policy/engine-support.ts); expected
 * framework reasons are spec (c)'s strings, and the notes are checked for what they must say.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import {
  DEFAULT_PRIVILEGED_CAPABILITIES, DEFAULT_UNPRIVILEGED_CAPABILITIES,
} from '../../models/policy/match/capabilities.js';
import {
  ID, caps, container, createInput, env, execInput, last, mountCalls, run, securityPolicy,
} from './engine-support.js';

const SUITE = 'policy/engine exec_in_container';
const k = container({ env_rules: [env('PATH=/usr/bin', 'string', true), env('TERM=xterm')],
  exec_processes: [{ command: ['sh'], signals: [] }] });
const policy = securityPolicy({ containers: [k] });
const started = last(run(policy, [...mountCalls(k.layers, ID(1)),
  ['create_container', createInput(k, ID(1))]])).metadata;

test(`${SUITE}: a denial notes why the per-process helpers always fail`, () => {
  const d = evaluateEnforcementPoint(policy, started, 'exec_in_container',
    execInput(k, ID(1), ['bash']));
  assert.not.ok(d.allowed);
  assert.ok(d.reasons.some((r) => /exec error helpers .* "invalid noNewPrivileges" and "invalid user"/
    .test(r)), d.reasons.join(' | '));
});

test(`${SUITE}: after shutdown a denial says the container was shut down`, () => {
  const ds = run(policy, [['shutdown_container', { containerID: ID(1) }],
    ['exec_in_container', execInput(k, ID(1), ['sh'])]], started);
  assert.ok(ds[0]!.allowed);
  assert.not.ok(ds[1]!.allowed);
  assert.ok(ds[1]!.reasons.includes(`no candidate containers for ${ID(1)}: it was shut down`),
    ds[1]!.reasons.join(' | '));
});

test(`${SUITE}: an input that lacks the user and umask is denied, and the denial names them`, () => {
  const { user: _user, umask: _umask, ...rest } = execInput(k, ID(1), ['sh']);
  const d = evaluateEnforcementPoint(policy, started, 'exec_in_container', rest);
  assert.not.ok(d.allowed);
  assert.ok(d.reasons.some((r) => /^input lacks .*user/.test(r) && /umask/.test(r)),
    d.reasons.join(' | '));
});

test(`${SUITE}: leaving out a required variable is "missing required environment variable"`,
  () => {
    const d = evaluateEnforcementPoint(policy, started, 'exec_in_container',
      execInput(k, ID(1), ['sh'], { envList: ['TERM=xterm'] }));
    assert.not.ok(d.allowed);
    assert.ok(d.framework_reasons!.includes('missing required environment variable'),
      JSON.stringify(d.framework_reasons));
    const ok = evaluateEnforcementPoint(policy, started, 'exec_in_container',
      execInput(k, ID(1), ['sh'], { envList: ['PATH=/usr/bin'] }));
    assert.ok(ok.allowed, ok.reasons.join(' | '));
  });

test(`${SUITE}: a container started privileged execs with the privileged capability sets, one `
  + 'started unprivileged does not', () => {
  // capabilities null: get_capabilities falls back to the defaults for (privileged, elevated).
  const e = container({ capabilities: null, allow_elevated: true,
    exec_processes: [{ command: ['sh'], signals: [] }] });
  const p = securityPolicy({ containers: [e] });
  const full = { bounding: DEFAULT_PRIVILEGED_CAPABILITIES, effective:
    DEFAULT_PRIVILEGED_CAPABILITIES, inheritable: DEFAULT_PRIVILEGED_CAPABILITIES,
  permitted: DEFAULT_PRIVILEGED_CAPABILITIES, ambient: [] };
  const startedAs = (privileged: boolean) => last(run(p, [...mountCalls(e.layers, ID(2)),
    ['create_container', createInput(e, ID(2), { privileged,
      capabilities: privileged ? full : caps(DEFAULT_UNPRIVILEGED_CAPABILITIES) })]]));
  const elevated = startedAs(true);
  assert.ok(elevated.allowed, elevated.reasons.join(' | '));
  const inElevated = evaluateEnforcementPoint(p, elevated.metadata, 'exec_in_container',
    execInput(e, ID(2), ['sh'], { capabilities: full }));
  assert.ok(inElevated.allowed, inElevated.reasons.join(' | '));
  const plain = startedAs(false);
  assert.ok(plain.allowed, plain.reasons.join(' | '));
  const inPlain = evaluateEnforcementPoint(p, plain.metadata, 'exec_in_container',
    execInput(e, ID(2), ['sh'], { capabilities: full }));
  assert.not.ok(inPlain.allowed, 'the privileged sets in an unprivileged container');
  assert.ok(inPlain.framework_reasons!.includes('capabilities don\'t match'),
    JSON.stringify(inPlain.framework_reasons));
});

test(`${SUITE}: with no "linux" in metadata.operatingsystem (HEAD) an exec is denied with the `
  + 'is_linux note, and the Linux-only helper errors are not reported', () => {
  const notLinux = { ...started, operatingsystem: {} };
  const d = evaluateEnforcementPoint(policy, notLinux, 'exec_in_container',
    execInput(k, ID(1), ['sh']));
  assert.not.ok(d.allowed);
  assert.ok(d.reasons.some((r) => /is_linux is false/.test(r)), d.reasons.join(' | '));
  assert.not.ok(d.framework_reasons!.includes('invalid noNewPrivileges'));
  assert.ok(d.framework_reasons!.includes('invalid user'), 'the user helper fails everywhere');
  const linux = evaluateEnforcementPoint(policy, started, 'exec_in_container',
    execInput(k, ID(1), ['bash']));
  assert.ok(linux.framework_reasons!.includes('invalid noNewPrivileges'));
});

test.run();
