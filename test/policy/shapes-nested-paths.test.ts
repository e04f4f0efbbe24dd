/**
 * Goal: a wrong value nested in a request or a policy object is refused under its full path:
 * the enforcement-point input reader (models/policy/input-shapes.ts) names `input.user`,
 * `input.mounts[i]` and `input.capabilities` when they are not objects (a string is not read as
 * an empty object, null is not read at all), and the policy-object reader
 * (models/policy/shape-reader.ts) names the nested field (`….user.user_idname`, `….signals`,
 * `….command`) through the caller's failure.
 * Method: hand-written hostile values; expected messages and paths written out by hand from the
 * readers' documented wording (`<rule>: input.<field> <problem>`; the JSON path of the value).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  InputReader, capabilitySets, parseCreateContainerInput, parseExecInContainerInput,
} from '../../models/policy/input-shapes.js';
import { failure } from '../support/failure.js';
import { reader, refusedAt } from './shape-refusals.js';

const SUITE = 'policy/shapes-nested-paths';

function refused(run: () => unknown, rule: string, field: string, problem: string): void {
  const error = failure(run);
  assert.is(error.code, 'POLICY_BAD_INPUT');
  assert.is(error.message, `POLICY_BAD_INPUT: ${rule}: input.${field} ${problem}`);
  assert.equal(error.detail, { rule, field });
}

const EXEC = { containerID: 'c1', argList: ['sh'], envList: [], workingDir: '/',
  groups: [], umask: '0022' };
const CREATE = { ...EXEC, mounts: [], sandboxDir: '/s', hugePagesDir: '/h' };

test(`${SUITE}: a user that is not an object is refused as input.user`, () => {
  for (const user of ['root', 0, true, ['root']]) {
    refused(() => parseExecInContainerInput('exec_in_container', { ...EXEC, user }),
      'exec_in_container', 'user', 'must be an object {id, name}');
  }
  refused(() => parseCreateContainerInput('create_container', { ...CREATE, user: 'root' }),
    'create_container', 'user', 'must be an object {id, name}');
});

test(`${SUITE}: a mount that is a string or a number is refused as the mount, not its fields`,
    () => {
  for (const mount of ['/data', 7, false]) {
    refused(() => new InputReader('create_container', { mounts: [
      { destination: '/d', source: '/s', type: 'bind', options: [] }, mount] }).mounts(),
    'create_container', 'mounts[1]', 'must be an object');
  }
  refused(() => parseCreateContainerInput('create_container', { ...CREATE, mounts: ['/x'] }),
    'create_container', 'mounts[0]', 'must be an object');
});

test(`${SUITE}: capabilities that are null, a string or a number are refused, not read as sets`,
    () => {
  for (const value of [null, 'CAP_SYS_ADMIN', 3, true]) {
    refused(() => capabilitySets('create_container', 'capabilities', value),
      'create_container', 'capabilities', 'must be an object of five capability lists');
  }
  refused(() => new InputReader('exec_in_container', { capabilities: 'all' }).capabilities(),
    'exec_in_container', 'capabilities', 'must be an object of five capability lists');
});

test(`${SUITE}: policy objects name the nested field that is wrong`, () => {
  refusedAt(() => reader.userRule('containers[0].user', { user_idname: 'root',
    group_idnames: [], umask: '0022' }), 'containers[0].user.user_idname', 'must be an object');
  refusedAt(() => reader.execProcess('containers[0].exec_processes[1]',
    { command: ['sh'], signals: 'SIGTERM' }), 'containers[0].exec_processes[1].signals',
  'must be an array');
  refusedAt(() => reader.execProcess('e', { command: ['sh'], signals: [9, 'x'] }),
    'e.signals[1]', 'must be an integer');
  refusedAt(() => reader.externalProcess('external_processes[2]', { command: 'sh',
    env_rules: [], working_dir: '/', allow_stdio_access: false }),
  'external_processes[2].command', 'must be an array of strings');
});

test(`${SUITE}: integers and SVNs refuse values of other types under their path`, () => {
  for (const item of ['9', true, null, 1.5, -0]) {
    refusedAt(() => reader.integers('signals', [item]), 'signals[0]', 'must be an integer');
  }
  for (const value of [true, null, [], {}, Number.NaN, -0]) {
    refusedAt(() => reader.svn('svn', value), 'svn', 'must be a string or a number');
  }
  assert.equal(reader.integers('signals', [0, 9, 15]), [0, 9, 15]);
  assert.equal([reader.svn('s', 0), reader.svn('s', '2')], [0, '2']);
  const r = new InputReader('signal_container_process', { signal: '9', n: 9, f: 1.5 });
  assert.is(r.int('n'), 9);
  refused(() => r.int('signal'), 'signal_container_process', 'signal', 'must be an integer');
  refused(() => r.int('f'), 'signal_container_process', 'f', 'must be an integer');
});

test.run();
