/**
 * Models: hcsshim `api.rego` enforcement_points (introducedVersion, default_results,
 * use_framework) as the enforcer's applyDefaults reads them (securitypolicyenforcer_rego.go). See
 * spec (c), "Versioning".
 * Real counterpart: data.api.enforcement_points at HEAD (API 0.12.0); v0.14.1's api.rego (API
 *   0.10.0) lists the same rows except those DIALECTS['v0.14.1'].pointsAbsent names.
 * Differs: Windows-only points (mount_cims, registry_changes, log_provider) and
 *   load_transparency_trust_list are not modelled. The introducedVersion of mount_blockdev /
 *   unmount_blockdev (0.11.1) and host_network (0.12.0) come from the spec, not from api.rego text.
 * Invariants: one row per point; names are the real rule names; a point whose default is "use the
 *   framework" has no default result.
 */
import { assert } from '../../sim/kernel/assert.js';
import { compareSemver } from './match/semver.js';
import { DIALECTS } from './dialect.js';

/** api.rego default_results: `allowed` plus the outputs the GCS reads when a policy omits them. */
export type DefaultResults = Readonly<{
  allowed: boolean;
  /** create_container and exec_external: false unless the rule's result says otherwise. */
  allow_stdio_access?: boolean;
  /** load_fragment. */
  add_module?: boolean;
}>;

export type EnforcementPointInfo = Readonly<{
  name: string;
  introducedVersion: string;
  /** The result for a policy older than the point that does not bind it; null = use_framework. */
  defaultResults: DefaultResults | null;
}>;

function point(name: string, introducedVersion: string,
    defaultResults: DefaultResults | null): EnforcementPointInfo {
  return Object.freeze({ name, introducedVersion, defaultResults });
}

const ALLOW = Object.freeze({ allowed: true });
const DENY = Object.freeze({ allowed: false });

export const ENFORCEMENT_POINTS = Object.freeze({
  mount_device: point('mount_device', '0.1.0', DENY),
  rw_mount_device: point('rw_mount_device', '0.11.0', null),
  mount_overlay: point('mount_overlay', '0.1.0', DENY),
  create_container: point('create_container', '0.1.0',
    { allowed: false, allow_stdio_access: false }),
  unmount_device: point('unmount_device', '0.2.0', ALLOW),
  rw_unmount_device: point('rw_unmount_device', '0.11.0', null),
  mount_blockdev: point('mount_blockdev', '0.11.1', DENY),
  unmount_blockdev: point('unmount_blockdev', '0.11.1', DENY),
  unmount_overlay: point('unmount_overlay', '0.6.0', ALLOW),
  exec_in_container: point('exec_in_container', '0.2.0', ALLOW),
  exec_external: point('exec_external', '0.3.0', { allowed: true, allow_stdio_access: false }),
  shutdown_container: point('shutdown_container', '0.4.0', ALLOW),
  signal_container_process: point('signal_container_process', '0.5.0', ALLOW),
  plan9_mount: point('plan9_mount', '0.6.0', ALLOW),
  plan9_unmount: point('plan9_unmount', '0.6.0', ALLOW),
  get_properties: point('get_properties', '0.7.0', ALLOW),
  dump_stacks: point('dump_stacks', '0.7.0', ALLOW),
  runtime_logging: point('runtime_logging', '0.8.0', ALLOW),
  load_fragment: point('load_fragment', '0.9.0', { allowed: false, add_module: false }),
  scratch_mount: point('scratch_mount', '0.10.0', ALLOW),
  scratch_unmount: point('scratch_unmount', '0.10.0', ALLOW),
  host_network: point('host_network', '0.12.0', DENY),
} satisfies Record<string, EnforcementPointInfo>);

export type EnforcementPointName = keyof typeof ENFORCEMENT_POINTS;

export const ENFORCEMENT_POINT_NAMES: readonly EnforcementPointName[] =
  Object.freeze(Object.keys(ENFORCEMENT_POINTS) as EnforcementPointName[]);

assert(ENFORCEMENT_POINT_NAMES.every((name) => ENFORCEMENT_POINTS[name].name === name
  && compareSemver(ENFORCEMENT_POINTS[name].introducedVersion, DIALECTS.head.apiVersion) !== 1),
'every row names itself and is not newer than the HEAD API');
assert(DIALECTS['v0.14.1'].pointsAbsent.every((name) => Object.hasOwn(ENFORCEMENT_POINTS, name)),
  'the points v0.14.1 lacks are enforcement points');

export function isEnforcementPointName(name: string): name is EnforcementPointName {
  return Object.hasOwn(ENFORCEMENT_POINTS, name);
}
