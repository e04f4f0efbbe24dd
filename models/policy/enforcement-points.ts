/**
 * Models: hcsshim `api.rego` enforcement_points (introducedVersion, default_results, use_framework)
 * plus the interpreter's rule-missing logic (securitypolicyenforcer_rego.go). See spec (c),
 * "Versioning".
 * Real counterpart: data.api.enforcement_points at HEAD (API 0.12.0, framework 0.5.0).
 * Differs: Windows-only points (mount_cims, registry_changes, log_provider) and
 *   load_transparency_trust_list are not modelled. The introducedVersion of mount_blockdev /
 *   unmount_blockdev (0.11.1) and host_network (0.12.0) come from the spec, not from api.rego text.
 * Invariants: one row per point; names are the real rule names; a point whose default is "use the
 *   framework" has no default result.
 */
import { assert } from '../../sim/kernel/assert.js';
import { compareSemver } from './match/semver.js';

/** The versions of the GCS this engine models (HEAD). */
export const ENGINE_API_VERSION = '0.12.0';
export const ENGINE_FRAMEWORK_VERSION = '0.5.0';

export type EnforcementPointInfo = Readonly<{
  name: string;
  introducedVersion: string;
  /** The result for a policy older than the point that does not bind it; null = use_framework. */
  defaultAllowed: boolean | null;
  useFramework: boolean;
  /**
   * v0.14.1-era api.rego field: the same information as defaultAllowed for non-framework points.
   */
  allowedByDefault: boolean;
}>;

function point(name: string, introducedVersion: string, defaultAllowed: boolean
    | null): EnforcementPointInfo {
  return Object.freeze({
    name, introducedVersion, defaultAllowed, useFramework: defaultAllowed === null,
      allowedByDefault: defaultAllowed === true,
  });
}

export const ENFORCEMENT_POINTS = Object.freeze({
  mount_device: point('mount_device', '0.1.0', false),
  rw_mount_device: point('rw_mount_device', '0.11.0', null),
  mount_overlay: point('mount_overlay', '0.1.0', false),
  create_container: point('create_container', '0.1.0', false),
  unmount_device: point('unmount_device', '0.2.0', true),
  rw_unmount_device: point('rw_unmount_device', '0.11.0', null),
  mount_blockdev: point('mount_blockdev', '0.11.1', false),
  unmount_blockdev: point('unmount_blockdev', '0.11.1', false),
  unmount_overlay: point('unmount_overlay', '0.6.0', true),
  exec_in_container: point('exec_in_container', '0.2.0', true),
  exec_external: point('exec_external', '0.3.0', true),
  shutdown_container: point('shutdown_container', '0.4.0', true),
  signal_container_process: point('signal_container_process', '0.5.0', true),
  plan9_mount: point('plan9_mount', '0.6.0', true),
  plan9_unmount: point('plan9_unmount', '0.6.0', true),
  get_properties: point('get_properties', '0.7.0', true),
  dump_stacks: point('dump_stacks', '0.7.0', true),
  runtime_logging: point('runtime_logging', '0.8.0', true),
  load_fragment: point('load_fragment', '0.9.0', false),
  scratch_mount: point('scratch_mount', '0.10.0', true),
  scratch_unmount: point('scratch_unmount', '0.10.0', true),
  host_network: point('host_network', '0.12.0', false),
} satisfies Record<string, EnforcementPointInfo>);

export type EnforcementPointName = keyof typeof ENFORCEMENT_POINTS;

export const ENFORCEMENT_POINT_NAMES: readonly EnforcementPointName[] =
  Object.freeze(Object.keys(ENFORCEMENT_POINTS) as EnforcementPointName[]);

for (const name of ENFORCEMENT_POINT_NAMES) {
  const info = ENFORCEMENT_POINTS[name];
  assert(info.name === name, `enforcement point row ${name} names itself`);
  assert(compareSemver(info.introducedVersion, ENGINE_API_VERSION) !== 1,
    `${name} is not newer than the engine API`);
}

export function isEnforcementPointName(name: string): name is EnforcementPointName {
  return Object.hasOwn(ENFORCEMENT_POINTS, name);
}
