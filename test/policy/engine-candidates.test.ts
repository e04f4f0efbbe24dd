/**
 * Goal: which policy objects are candidates (framework.rego candidate_containers /
 * candidate_external_processes and HEAD's compatibility shim): a policy older than 0.4.1 gets the
 * implicit init signals 9 and 15, a current one does not; a policy whose framework_version is
 * ahead has no usable objects; a loaded fragment's external processes are candidates. Written
 * after mutation testing showed these untested (reports/mutation).
 * Method: hand-built policies (test/policy/engine-support.ts); expectations from spec (c) and the
 * shim as the issue describes it ("only HEAD's compatibility shim adds them, for policies older
 * than 0.4.1").
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { initialMetadata } from '../../models/policy/metadata.js';
import {
  ID, container, createInput, last, mountCalls, run, securityPolicy,
} from './engine-support.js';

const SUITE = 'policy/engine candidates';
const k = container({ signals: [15] });

function signalInit(framework_version: string, signal: number): boolean {
  const policy = securityPolicy({ framework_version, containers: [k] });
  const started = last(run(policy, [...mountCalls(k.layers, ID(1)),
    ['create_container', createInput(k, ID(1))]], initialMetadata('head')));
  assert.ok(started.allowed, started.reasons.join(' | '));
  return evaluateEnforcementPoint(policy, started.metadata, 'signal_container_process',
    { containerID: ID(1), signal, isInitProcess: true, argList: k.command }).allowed;
}

test(`${SUITE}: HEAD's shim gives a policy older than 0.4.1 the init signals 9 and 15; a 0.5.0 `
  + 'policy keeps only its own', () => {
  assert.equal([signalInit('0.2.3', 9), signalInit('0.2.3', 15), signalInit('0.2.3', 2)],
    [true, true, false]);
  assert.equal([signalInit('0.5.0', 9), signalInit('0.5.0', 15)], [false, true]);
});

const EXTERNAL = { command: ['/bin/ls'], env_rules: [], working_dir: '/',
  allow_stdio_access: false };

test(`${SUITE}: a policy whose framework_version is ahead of the framework has no usable external `
  + 'processes', () => {
  const input = { argList: ['/bin/ls'], envList: [], workingDir: '/' };
  const current = evaluateEnforcementPoint(securityPolicy({ external_processes: [EXTERNAL] }),
    initialMetadata('head'), 'exec_external', input);
  assert.ok(current.allowed, current.reasons.join(' | '));
  const ahead = evaluateEnforcementPoint(securityPolicy({ framework_version: '9.9.9',
    external_processes: [EXTERNAL] }), initialMetadata('head'), 'exec_external', input);
  assert.not.ok(ahead.allowed);
  assert.ok(ahead.framework_reasons!.includes('invalid command'),
    JSON.stringify(ahead.framework_reasons));
});

test(`${SUITE}: a loaded fragment's external processes are candidates for exec_external`, () => {
  const issuer = 'did:x509:0:sha256:abc::eku:1.3.6.1.4.1.311.76.59.1.3';
  const feed = 'contoso.azurecr.io/infra';
  const policy = securityPolicy({ fragments: [{ issuer, feed, minimum_svn: '1',
    includes: ['external_processes'] }] });
  const input = { argList: ['/frag/tool'], envList: [], workingDir: '/' };
  const before = evaluateEnforcementPoint(policy, initialMetadata('head'), 'exec_external', input);
  assert.not.ok(before.allowed);
  const loaded = evaluateEnforcementPoint(policy, initialMetadata('head'), 'load_fragment',
    { issuer, feed, namespace: 'infra', fragment_loaded: true, fragment: { svn: '1',
      framework_version: '0.2.3', containers: [], fragments: [],
      external_processes: [{ ...EXTERNAL, command: ['/frag/tool'] }] } });
  assert.ok(loaded.allowed, loaded.reasons.join(' | '));
  const after = evaluateEnforcementPoint(policy, loaded.metadata, 'exec_external', input);
  assert.ok(after.allowed, after.reasons.join(' | '));
});

test.run();
