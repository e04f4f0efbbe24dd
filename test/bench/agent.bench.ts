/**
 * Goal: the guest agent's step rate over the benign deployment (negotiate, policy, scratch,
 * layers, overlays, create, start for a pause and an app container), which the world steps on
 * every host action (issue 8 aims at 20,000 world steps/s), with the kernel memo warm as in an
 * explored or property-tested run; and the decode-only rate over the same requests, the floor
 * under any step.
 * Method: the requests are built once; each iteration runs the whole sequence from the booted
 * state with `stepAgent` (pure: the host's disks as after the benign run, writes not applied).
 */
import { decodeBridgeRequest } from '../../models/guest/bridge-protocol.js';
import { stepAgent } from '../../models/guest/agent.js';
import type { GuestState } from '../../models/guest/guest-state.js';
import {
  benignRequests, benignWorld, bootedGuest, generatedPolicy, policyBytes, run,
} from '../guest/agent-support.js';
import { opsPerSecond, type Bench } from './harness.js';

function setup(): { states: readonly GuestState[]; requests: readonly unknown[];
  world: ReturnType<typeof benignWorld> } {
  const bytes = policyBytes(generatedPolicy());
  const requests = benignRequests(bytes);
  const world = benignWorld();
  const { states } = run(world, bootedGuest(bytes), requests);
  return { states, requests, world };
}

export const benches: readonly Bench[] = [{
  name: 'guest agent (models/guest/agent.ts)',
  run: async () => {
    const { states, requests, world } = setup();
    const env = world.env();
    const sequence = (): void => {
      for (let i = 0; i < requests.length; i++) {
        const step = stepAgent(states[i]!, requests[i], world.io, env);
        if (step.refusal !== null) throw new Error(`benign step ${i} refused`);
      }
    };
    const steps = opsPerSecond(sequence, 2_000) * requests.length;
    // CPU time as well: on a shared machine the wall-clock rate moves with the load.
    const rounds = 2_000;
    const before = process.cpuUsage();
    for (let i = 0; i < rounds; i++) sequence();
    const used = process.cpuUsage(before);
    const cpuMicros = (used.user + used.system) / (rounds * requests.length);
    const decodes = opsPerSecond(() => {
      for (const request of requests) decodeBridgeRequest(request);
    }, 500) * requests.length;
    return [
      { name: 'stepAgent, benign deployment (12 requests)', value: steps, unit: 'steps/s',
        note: 'memo warm; aim: the whole world at 20,000 steps/s' },
      { name: 'stepAgent, benign deployment, CPU time', value: cpuMicros, unit: 'µs/step',
        note: `${(1e6 / cpuMicros).toFixed(0)} steps per CPU-second` },
      { name: 'bridge decoding only, same requests', value: decodes, unit: 'requests/s' },
    ];
  },
}];
