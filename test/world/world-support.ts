/**
 * Goal: what the world tests share: worlds built from the shared policies and from generated
 * workloads, and the run-to-trace-hash function a child process also runs.
 * Method: generated workloads come from models/host/confcom.ts (real images, computed roots).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  generateWorkload, pauseLayerTree, type WorkloadFlags,
} from '../../models/host/confcom.js';
import {
  createWorld, deployBenign, imageTreeSpecOf, traceJsonl, type World,
} from '../../sim/world.js';
import type { LayerFileTree } from '../../models/guest/layer-image.js';
import { shared } from '../support/requires.js';

const utf8 = new TextEncoder();

export const file = (text: string, mode = 0o644) =>
  ({ kind: 'file' as const, content: utf8.encode(text), mode });

/** A two-container workload (three layers for the app) with exec probes and a signal. */
export function workloadTrees(): Readonly<{ base: LayerFileTree; lib: LayerFileTree;
  app: LayerFileTree; sidecar: LayerFileTree }> {
  return {
    base: { '/etc/passwd': file('root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000::/srv:/bin/sh\n'),
      '/etc/group': file('root:x:0:\nweb:x:1000:\n'), '/bin/sh': file('#!sh\n', 0o755) },
    lib: { '/usr/lib/libweb.so': file('lib\n') },
    app: { '/usr/bin/web': file('#!web\n', 0o755), '/srv': { kind: 'dir' } },
    sidecar: { '/etc/passwd': file('root:x:0:0:root:/root:/bin/sh\n'),
      '/etc/group': file('root:x:0:\n'), '/bin/side': file('#!side\n', 0o755) },
  };
}

/** Policy text and image specs of the generated two-container workload. */
export function generatedWorldInputs(flags?: WorkloadFlags) {
  const t = workloadTrees();
  const workload = generateWorkload([
    { name: 'web', layers: [t.base, t.lib, t.app], command: ['/usr/bin/web', '--port', '80'],
      env: ['PATH=/usr/bin:/bin', 'TERM=xterm'], workingDir: '/srv', user: 'web',
      execProbes: [['/usr/bin/web', '--health']], signals: [1, 15] },
    { name: 'side', layers: [t.sidecar], command: ['/bin/side'], env: ['PATH=/bin'],
      workingDir: '/', execProbes: [['/bin/side', '--ready']] },
  ], flags);
  const trees = [pauseLayerTree(), t.base, t.lib, t.app, t.sidecar];
  return { policy: workload.policyText, images: trees.map(imageTreeSpecOf), workload };
}

export function generatedWorld(seed: number | string = 1, flags?: WorkloadFlags): World {
  const inputs = generatedWorldInputs(flags);
  return createWorld({ seed, policy: inputs.policy, images: inputs.images });
}

/** A world for a policy file of ../shared; only inside a sharedTest. */
export function sharedPolicyWorld(relative: string, seed = 1): World {
  const path = shared('policies', ...relative.split('/'));
  return createWorld({ seed, policy: new Uint8Array(readFileSync(path)) });
}

/** The SHA-256 of the benign run's trace for a seed (what two processes must agree on). */
export function benignTraceHash(seed: number | string): string {
  const world = generatedWorld(seed);
  const run = deployBenign(world);
  return createHash('sha256').update(traceJsonl(world, run.events, run.world)).digest('hex');
}
