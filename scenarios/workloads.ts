/**
 * Goal: the workloads scenarios deploy: a generated two-container group (an app with three
 * layers and a sidecar, as `az confcom` would write its policy), variants of it (other flags, an
 * edited policy), the shared real policies (lift-and-shift), and the allow-all policy a relaxed
 * run enforces instead.
 * Method: generated workloads come from models/host/confcom.ts (real layer images, computed
 * dm-verity roots); a policy edit rewrites the `containers := [...]` JSON line or appends Rego
 * lines, so every edit is visible in the policy bytes (and so in HOST_DATA). The allow-all
 * policy is written from the enforcement-point table of the engine (every point allowed, env
 * lists kept as sent), not copied from a file.
 * Invariants: a workload is a pure function of its spec and flags; images are file trees as
 * JSON image specs (the world's `images` option), so a scenario's world is rebuilt identically
 * from its trace header.
 */
import { assert } from '../sim/kernel/assert.js';
import { memo } from '../sim/kernel/memo.js';
import {
  DEFAULT_WORKLOAD_FLAGS, generateWorkload, pauseLayerTree, type WorkloadContainer,
  type WorkloadFlags,
} from '../models/host/confcom.js';
import type { ImageTreeSpec } from '../models/host/adversary.js';
import type { LayerFileTree } from '../models/guest/layer-image.js';
import { ENFORCEMENT_POINTS } from '../models/policy/enforcement-points.js';
import { imageTreeSpecOf } from '../sim/world.js';

const utf8 = new TextEncoder();

export const file = (text: string, mode = 0o644) =>
  ({ kind: 'file' as const, content: utf8.encode(text), mode });

/** The policy a world enforces and the images it knows. */
export type BuiltWorkload = Readonly<{ policy: string | Uint8Array;
  images: readonly ImageTreeSpec[] }>;

/** A workload a scenario deploys: a generated group (flags can be relaxed) or fixed bytes. */
export type WorkloadSpec =
  | Readonly<{ kind: 'generated'; id: string; containers: readonly WorkloadContainer[];
    flags?: Partial<WorkloadFlags>; edit?: (policyText: string) => string;
    extraImages?: readonly LayerFileTree[] }>
  | Readonly<{ kind: 'policy'; id: string; policy: string | Uint8Array }>;

/** The layer trees of the standard workload: web (base, lib, app) and side. */
export const TREES = Object.freeze({
  base: { '/etc/passwd': file('root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000::/srv:/bin/sh\n'),
    '/etc/group': file('root:x:0:\nweb:x:1000:\n'), '/bin/sh': file('#!sh\n', 0o755) },
  lib: { '/usr/lib/libweb.so': file('lib\n') },
  app: { '/usr/bin/web': file('#!web\n', 0o755), '/srv': { kind: 'dir' as const } },
  side: { '/etc/passwd': file('root:x:0:0:root:/root:/bin/sh\n'),
    '/etc/group': file('root:x:0:\n'), '/bin/side': file('#!side\n', 0o755) },
  /** An image the host made: a shell and a root account, in no policy. */
  evil: { '/etc/passwd': file('root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000::/:/bin/sh\n'),
    '/etc/group': file('root:x:0:\nweb:x:1000:\n'), '/bin/sh': file('#!evil\n', 0o755),
    '/usr/bin/web': file('#!evil web\n', 0o755), '/srv': { kind: 'dir' as const } },
} satisfies Record<string, LayerFileTree>);

/** The standard group: web (three layers, user web, probes, signals) and a sidecar. */
export const STANDARD_CONTAINERS: readonly WorkloadContainer[] = Object.freeze([
  { name: 'web', layers: [TREES.base, TREES.lib, TREES.app],
    command: ['/usr/bin/web', '--port', '80'], env: ['PATH=/usr/bin:/bin', 'TERM=xterm'],
    workingDir: '/srv', user: 'web', execProbes: [['/usr/bin/web', '--health']],
    signals: [1, 15] },
  { name: 'side', layers: [TREES.side], command: ['/bin/side'], env: ['PATH=/bin'],
    workingDir: '/', execProbes: [['/bin/side', '--ready']] },
]);

export function standardWorkload(more: Partial<Omit<Extract<WorkloadSpec,
  { kind: 'generated' }>, 'kind' | 'containers'>> = {}): WorkloadSpec {
  return { kind: 'generated', id: more.id ?? 'standard', containers: STANDARD_CONTAINERS,
    ...more };
}

/** Builds a workload under (its flags overridden by) `relaxedFlags`; memoised by id and flags. */
export function buildWorkload(spec: WorkloadSpec,
  relaxedFlags: Partial<WorkloadFlags> = {}): BuiltWorkload {
  if (spec.kind === 'policy') return { policy: spec.policy, images: [] };
  const flags: WorkloadFlags = { ...DEFAULT_WORKLOAD_FLAGS, ...spec.flags, ...relaxedFlags };
  const key = `${spec.id}/${JSON.stringify(flags)}`;
  return memo('scenarios/workload', key, () => {
    const workload = generateWorkload(spec.containers, flags);
    const policy = spec.edit === undefined ? workload.policyText : spec.edit(workload.policyText);
    const trees = [pauseLayerTree(), ...spec.containers.flatMap((c) => c.layers),
      ...(spec.extraImages ?? [])];
    const images = trees.map(imageTreeSpecOf);
    assert(policy.startsWith('package policy'), 'a workload policy is a Rego policy');
    assert(images.length >= spec.containers.length + 1, 'the pause image and every layer');
    return Object.freeze({ policy, images: Object.freeze(images) });
  }, 256);
}

type PolicyContainerJson = Record<string, unknown> & { name: string };

/** Rewrites the `containers := [...]` line of a generated policy. */
export function editContainers(policyText: string,
  edit: (containers: PolicyContainerJson[]) => void): string {
  const lines = policyText.split('\n');
  const at = lines.findIndex((line) => line.startsWith('containers := '));
  assert(at >= 0, 'a generated policy has a containers line');
  const containers = JSON.parse(lines[at]!.slice('containers := '.length)) as
    PolicyContainerJson[];
  edit(containers);
  lines[at] = `containers := ${JSON.stringify(containers)}`;
  return lines.join('\n');
}

/** Appends Rego lines (e.g. `fragments := [...]`) after the containers line. */
export function addPolicyLines(policyText: string, extra: readonly string[]): string {
  const lines = policyText.split('\n');
  const at = lines.findIndex((line) => line.startsWith('containers := '));
  assert(at >= 0, 'a generated policy has a containers line');
  lines.splice(at + 1, 0, ...extra);
  return lines.join('\n');
}

/** Changes the `api_version` of a generated policy (a policy written for an older framework). */
export function withApiVersion(policyText: string, version: string): string {
  assert(/^[0-9]+\.[0-9]+\.[0-9]+$/.test(version), 'a semver api version');
  const out = policyText.replace(/^api_version := "[^"]*"$/m, `api_version := "${version}"`);
  assert(out !== policyText || policyText.includes(`api_version := "${version}"`),
    'the api_version line was found');
  return out;
}

/**
 * An allow-all policy: every enforcement point the engine knows is `{"allowed": true}`;
 * create_container and the exec points keep the env list as sent (env_list null) and stdio.
 * The relaxed run of a policy-blocked attack enforces this instead of the workload's policy
 * (HOST_DATA is its hash, so the guest installs it).
 */
export function allowAllPolicy(): string {
  const stdio = new Set(['create_container', 'exec_external']);
  const envList = new Set(['create_container', 'exec_in_container', 'exec_external']);
  const lines = ['package policy', '', 'api_version := "0.10.0"', ''];
  for (const name of Object.keys(ENFORCEMENT_POINTS).sort()) {
    const fields = ['"allowed": true', ...(envList.has(name) ? ['"env_list": null'] : []),
      ...(stdio.has(name) ? ['"allow_stdio_access": true'] : [])];
    lines.push(`${name} := {${fields.join(', ')}}`);
  }
  assert(lines.length > 10, 'every enforcement point is listed');
  return `${lines.join('\n')}\n`;
}
