/**
 * Models: the Confidential ACI execution policy document (hcsshim pkg/securitypolicy: the data
 * part of a confcom-generated `package policy` Rego module, the legacy pre-Rego JSON policy, and a
 * native JSON form of parma-sim). See shared/spec/policy.md section (b).
 * Real counterpart: the `data.policy` document OPA evaluates `data.framework` rules against.
 * Differs: normalised: every optional field has an explicit value after import (the compatibility
 * shim for older framework versions has run), so the engine never sees "undefined".
 * Invariants: plain, readonly, JSON-serialisable data; layers are lowercase 64-hex, base first.
 */

import type { Json } from '../../sim/kernel/canonical-json.js';

export type Semver = string;

export type MatchStrategy = 'string' | 're2';

export type EnvRule = Readonly<{
  pattern: string;
  strategy: MatchStrategy;
  required: boolean;
}>;

export type IdNameStrategy = 'any' | 'id' | 'name' | 're2';

export type IdNameRule = Readonly<{ pattern: string; strategy: IdNameStrategy }>;

export type UserRule = Readonly<{
  user_idname: IdNameRule;
  group_idnames: readonly IdNameRule[];
  umask: string;
}>;

export type CapabilitySets = Readonly<{
  bounding: readonly string[];
  effective: readonly string[];
  inheritable: readonly string[];
  permitted: readonly string[];
  ambient: readonly string[];
}>;

export type MountRule = Readonly<{
  destination: string;
  options: readonly string[];
  source: string;
  type: string;
}>;

export type ExecProcess = Readonly<{
  command: readonly string[];
  signals: readonly number[];
}>;

/** Container fields later framework versions added (the compatibility shim's concern). */
export const VERSIONED_FIELD_NAMES = ['no_new_privileges', 'user', 'capabilities',
  'seccomp_profile_sha256'] as const;

export type VersionedFieldName = (typeof VERSIONED_FIELD_NAMES)[number];

export type PolicyContainer = Readonly<{
  /** Image reference; informational only, never read by the rules. */
  id: string;
  /** Container name; informational only. */
  name: string;
  /** Exact argv, or null when the generator wrote `null` (see importer docs for its meaning). */
  command: readonly string[] | null;
  env_rules: readonly EnvRule[];
  /** dm-verity root hashes, base layer first. */
  layers: readonly string[];
  mounts: readonly MountRule[];
  exec_processes: readonly ExecProcess[];
  signals: readonly number[];
  working_dir: string;
  allow_elevated: boolean;
  allow_stdio_access: boolean;
  no_new_privileges: boolean;
  user: UserRule;
  /** null: the defaults are computed at decision time (unprivileged or privileged lists). */
  capabilities: CapabilitySets | null;
  seccomp_profile_sha256: string;
  /**
   * (added by the importer) Fields the text lacks although its framework_version has them. The
   * value above is then only a display default: the framework's compatibility shim drops such a
   * container from every candidate set, and a policy of the framework's own version reads the
   * field as undefined, which fails every check that reads it. Absent when none is missing.
   */
  absent_fields?: readonly VersionedFieldName[];
}>;

export type ExternalProcess = Readonly<{
  command: readonly string[];
  env_rules: readonly EnvRule[];
  working_dir: string;
  allow_stdio_access: boolean;
}>;

export type FragmentReference = Readonly<{
  issuer: string;
  feed: string;
  /** As written: generated policies use a string ("4"); old ones an integer. */
  minimum_svn: string | number;
  includes: readonly string[];
}>;

export type PolicyFlags = Readonly<{
  allow_properties_access: boolean;
  allow_dump_stacks: boolean;
  allow_runtime_logging: boolean;
  allow_environment_variable_dropping: boolean;
  allow_unencrypted_scratch: boolean;
  allow_capability_dropping: boolean;
  allow_host_network: boolean;
}>;

/** How the text was written; decides which rules exist and the compatibility defaults. */
export type PolicyFormat = 'rego' | 'legacy-json' | 'native-json';

export type SecurityPolicy = Readonly<{
  format: PolicyFormat;
  api_version: Semver;
  framework_version: Semver;
  containers: readonly PolicyContainer[];
  external_processes: readonly ExternalProcess[];
  fragments: readonly FragmentReference[];
  flags: PolicyFlags;
  /**
   * Enforcement points the policy text binds (e.g. `mount_device := data.framework.mount_device`),
   * or that it defines itself with a constant (`create_container := {"allowed": true}`).
   * Rules missing here get their api.rego defaults (see the engine).
   */
  rules: Readonly<Record<string, RuleBinding>>;
  /**
   * The legacy JSON policy's `allow_all`: the GCS's open-door enforcer. Rego has no such flag: a
   * Rego policy of constant allows is judged rule by rule through `rules`.
   */
  allow_all: boolean;
  /**
   * (added by the importer) The Rego package: "policy" for a policy, anything else for a fragment
   * (e.g. "contoso"). JSON policies (legacy, native) are always "policy".
   */
  package_name: string;
  /**
   * (added by the importer) A fragment's own `svn`, as written (string or integer); null if none.
   */
  svn: string | number | null;
  /**
   * (added by the importer) What the compatibility shim did that a reader should know: defaults
   * filled in for fields the declared framework_version should have had, fields ignored because
   * the declared version predates them, recognised-but-unread spellings. Empty for clean input.
   */
  notes: readonly string[];
  /**
   * (added by the importer) Whether `data.policy.reason.errors` is `data.framework.errors`
   * (`reason := {"errors": data.framework.errors}`), so a denial carries the framework's reasons.
   * False when the policy defines no `reason`: the GCS then has no reason list.
   */
  reason_errors: boolean;
}>;

export type RuleBinding =
  | Readonly<{ kind: 'framework' }>                       // rule := data.framework.rule
  | Readonly<{ kind: 'constant'; allowed: boolean; outputs: Readonly<Record<string, Json>> }>;
// constant: rule := {"allowed": true|false, ...}; `outputs` holds the other keys as written
// (e.g. {"allow_stdio_access": true, "env_list": null}), added by the importer.

/**
 * A policy as loaded from bytes: the normalised document plus what binds it to attestation.
 * `digest` is SHA-256 of the exact policy bytes (after base64 decoding, when the input was base64):
 * this is the HOST_DATA a report must carry.
 */
export type LoadedPolicy = Readonly<{
  policy: SecurityPolicy;
  bytes: Uint8Array;
  digestHex: string;
}>;
