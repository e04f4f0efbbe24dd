/**
 * Goal: decisions per second of the policy engine, so the growth of the cost with the number of
 * policy containers is visible (create_container on policies with 1, 10 and 100 containers).
 * Method: every container shares the same layers (worst case: all are candidates after
 * mount_overlay) and differs by command (cheap, first stage) or by one env rule (every candidate
 * reaches the env stage); each create narrows to the last one. Metadata is
 * prepared once; each iteration evaluates one create_container on it (pure: nothing to reset).
 * The reference is the plain mount_device decision on the same policy. RE2 answers are memoised
 * per pattern, so a repeated request hits the memo; the "fresh env values" rows give every
 * request new HOSTNAME and Fabric_Id values, so the re2 rules really run each time.
 */
import type { Bench, BenchRow } from './harness.js';
import { opsPerSecond } from './harness.js';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import type { PolicyContainer } from '../../models/policy/policy-model.js';
import {
  ID, container, createInput, env, hash, mountCalls, run, securityPolicy,
} from '../policy/engine-support.js';

function rows(n: number, by: 'command' | 'env', fresh = false): BenchRow[] {
  const layers = [hash(1), hash(2), hash(3)];
  const containers: PolicyContainer[] = Array.from({ length: n }, (_, i) => container({
    name: `c${i}`, layers, command: by === 'command' ? ['/app', `--instance=${i}`] : ['/app'],
    env_rules: [
      env('PATH=/usr/bin'), env('TERM=xterm'), env('(?i)(FABRIC)_.+=.+', 're2'),
      env('HOSTNAME=.+', 're2'), env(by === 'env' ? `INSTANCE=${i}` : 'INSTANCE=0'),
    ],
  }));
  const policy = securityPolicy({
    containers,
    flags: { allow_environment_variable_dropping: true, allow_capability_dropping: true },
  });
  const ready = run(policy, mountCalls(layers, ID(1)));
  const metadata = ready[ready.length - 1]!.metadata;
  const target = containers[n - 1]!;
  const input = createInput(target, ID(1), {
    envList: [
      'PATH=/usr/bin', 'TERM=xterm', 'HOSTNAME=x', 'Fabric_Id=1', 'EXTRA=dropped',
      `INSTANCE=${by === 'env' ? n - 1 : 0}`,
    ],
  });
  const probe = evaluateEnforcementPoint(policy, metadata, 'create_container', input);
  if (!probe.allowed) throw new Error(`bench setup: create denied: ${probe.reasons.join(' | ')}`);
  let serial = 0;
  const inputs = (): Record<string, unknown> => {
    if (!fresh) return input;
    serial += 1;
    const envList = (input['envList'] as string[]).map((e) => e.startsWith('HOSTNAME=')
      ? `HOSTNAME=h${serial}` : e.startsWith('Fabric_Id=') ? `Fabric_Id=${serial}` : e);
    return { ...input, envList };
  };
  const creates = opsPerSecond(() => {
    evaluateEnforcementPoint(policy, metadata, 'create_container', inputs());
  }, 700);
  const mounts = opsPerSecond(() => {
    evaluateEnforcementPoint(
      policy, metadata, 'mount_device', { target: '/run/mounts/scsi/m9', deviceHash: hash(3) },
    );
  }, 300);
  return [{
    name: `create_container, ${n} container${n === 1 ? '' : 's'}, told apart by ${by}`
      + (fresh ? ', fresh env values' : ''),
    value: creates, unit: 'decisions/s',
    reference: { name: 'mount_device', value: mounts, unit: 'decisions/s' },
    note: `${(1e6 / creates).toFixed(1)} µs each`,
  }];
}

export const benches: Bench[] = [{
  name: 'policy engine: decisions per second',
  run: async () => [
    ...rows(1, 'command'), ...rows(10, 'command'), ...rows(100, 'command'),
    ...rows(10, 'env'), ...rows(100, 'env'), ...rows(10, 'env', true), ...rows(100, 'env', true),
  ],
}];
