/**
 * Models: the JSON shapes of framework.rego's policy objects (container, exec process, external
 * process, fragment reference, capability sets), read from hostile JSON: a loaded fragment's data
 * (load_fragment) and user-supplied metadata (`matches` holds containers).
 * Real counterpart: the objects OPA reads from data.<namespace>.* and data.metadata.*; OPA takes
 *   any JSON, parma-sim requires the shapes its rules read.
 * Differs: `id` and `name` (informational) default to ""; an absent `capabilities` reads as null
 *   (the defaults apply), an absent list as empty.
 * Invariants: every value is checked before it is used; a wrong shape throws the caller's
 *   SimError naming the JSON path, never a raw exception; results are fresh plain data that the
 *   kernel's state codec can encode (no -0, no undefined).
 */
import type {
  CapabilitySets, EnvRule, ExecProcess, ExternalProcess, FragmentReference, IdNameRule,
    MountRule, PolicyContainer, UserRule, VersionedFieldName,
} from './policy-model.js';
import { VERSIONED_FIELD_NAMES } from './policy-model.js';

/** Builds the error for `path` (e.g. `metadata.matches.c1[0].layers`) and `problem`. */
export type ShapeFailure = (path: string, problem: string) => Error;

type Obj = Readonly<Record<string, unknown>>;

const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

export class ShapeReader {
  constructor(private readonly fail: ShapeFailure) {}

  object(path: string, value: unknown): Obj {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw this.fail(path, 'must be an object');
    }
    return value as Obj;
  }

  string(path: string, value: unknown): string {
    if (typeof value !== 'string') throw this.fail(path, 'must be a string');
    return value;
  }

  boolean(path: string, value: unknown): boolean {
    if (typeof value !== 'boolean') throw this.fail(path, 'must be a boolean');
    return value;
  }

  /** A string or a finite number (SVNs); -0 is refused (state has one zero). */
  svn(path: string, value: unknown): string | number {
    if (typeof value === 'string') return value;
    // Number.isFinite is false for anything that is not a number (it does not convert).
    if (Number.isFinite(value) && !Object.is(value, -0)) return value as number;
    throw this.fail(path, 'must be a string or a number');
  }

  /** An array (absent or null reads as empty), each item read by `each`. */
  list<T>(path: string, value: unknown, each: (path: string, item: unknown) => T): readonly T[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw this.fail(path, 'must be an array');
    return value.map((item, i) => each(`${path}[${i}]`, item));
  }

  strings(path: string, value: unknown): readonly string[] {
    if (!Array.isArray(value)) throw this.fail(path, 'must be an array of strings');
    return value.map((item, i) => this.string(`${path}[${i}]`, item));
  }

  integers(path: string, value: unknown): readonly number[] {
    return this.list(path, value, (p, item) => {
      // Number.isSafeInteger is false for anything that is not a number.
      if (!Number.isSafeInteger(item) || Object.is(item, -0)) {
        throw this.fail(p, 'must be an integer');
      }
      return item as number;
    });
  }

  capabilities(path: string, value: unknown): CapabilitySets {
    const o = this.object(path, value);
    const out: Record<string, readonly string[]> = {};
    for (const set of CAPABILITY_SETS) out[set] = this.strings(`${path}.${set}`, o[set] ?? []);
    return out as CapabilitySets;
  }

  envRule(path: string, value: unknown): EnvRule {
    const o = this.object(path, value);
    const strategy = this.string(`${path}.strategy`, o['strategy']);
    if (strategy !== 'string' && strategy !== 're2') {
      throw this.fail(`${path}.strategy`, 'must be "string" or "re2"');
    }
    return { pattern: this.string(`${path}.pattern`, o['pattern']), strategy,
      required: o['required'] === undefined ? false
        : this.boolean(`${path}.required`, o['required']) };
  }

  idNameRule(path: string, value: unknown): IdNameRule {
    const o = this.object(path, value);
    const strategy = this.string(`${path}.strategy`, o['strategy']);
    if (strategy !== 'any' && strategy !== 'id' && strategy !== 'name' && strategy !== 're2') {
      throw this.fail(`${path}.strategy`, 'must be any, id, name or re2');
    }
    return { pattern: this.string(`${path}.pattern`, o['pattern']), strategy };
  }

  userRule(path: string, value: unknown): UserRule {
    const o = this.object(path, value);
    return { user_idname: this.idNameRule(`${path}.user_idname`, o['user_idname']),
      group_idnames: this.list(`${path}.group_idnames`, o['group_idnames'],
        (p, v) => this.idNameRule(p, v)),
      umask: this.string(`${path}.umask`, o['umask']) };
  }

  mountRule(path: string, value: unknown): MountRule {
    const o = this.object(path, value);
    return { destination: this.string(`${path}.destination`, o['destination']),
      options: this.strings(`${path}.options`, o['options']),
      source: this.string(`${path}.source`, o['source']),
      type: this.string(`${path}.type`, o['type']) };
  }

  execProcess(path: string, value: unknown): ExecProcess {
    const o = this.object(path, value);
    return { command: this.strings(`${path}.command`, o['command']),
      signals: this.integers(`${path}.signals`, o['signals']) };
  }

  container(path: string, value: unknown): PolicyContainer {
    const o = this.object(path, value);
    const absent = this.absentFields(path, o['absent_fields']);
    return {
      id: typeof o['id'] === 'string' ? o['id'] : '',
      name: typeof o['name'] === 'string' ? o['name'] : '',
      command: o['command'] === null ? null : this.strings(`${path}.command`, o['command']),
      env_rules: this.list(`${path}.env_rules`, o['env_rules'], (p, v) => this.envRule(p, v)),
      layers: this.strings(`${path}.layers`, o['layers']),
      mounts: this.list(`${path}.mounts`, o['mounts'], (p, v) => this.mountRule(p, v)),
      exec_processes: this.list(`${path}.exec_processes`, o['exec_processes'],
        (p, v) => this.execProcess(p, v)),
      signals: this.integers(`${path}.signals`, o['signals']),
      working_dir: this.string(`${path}.working_dir`, o['working_dir']),
      allow_elevated: this.boolean(`${path}.allow_elevated`, o['allow_elevated']),
      allow_stdio_access: this.boolean(`${path}.allow_stdio_access`, o['allow_stdio_access']),
      no_new_privileges: this.boolean(`${path}.no_new_privileges`, o['no_new_privileges']),
      user: this.userRule(`${path}.user`, o['user']),
      capabilities: o['capabilities'] === null || o['capabilities'] === undefined
        ? null : this.capabilities(`${path}.capabilities`, o['capabilities']),
      seccomp_profile_sha256: this.string(`${path}.seccomp_profile_sha256`,
        o['seccomp_profile_sha256']),
      ...(absent.length > 0 ? { absent_fields: absent } : {}),
    };
  }

  externalProcess(path: string, value: unknown): ExternalProcess {
    const o = this.object(path, value);
    return {
      command: this.strings(`${path}.command`, o['command']),
      env_rules: this.list(`${path}.env_rules`, o['env_rules'], (p, v) => this.envRule(p, v)),
      working_dir: this.string(`${path}.working_dir`, o['working_dir']),
      allow_stdio_access: this.boolean(`${path}.allow_stdio_access`, o['allow_stdio_access']),
    };
  }

  fragmentReference(path: string, value: unknown): FragmentReference {
    const o = this.object(path, value);
    return { issuer: this.string(`${path}.issuer`, o['issuer']),
      feed: this.string(`${path}.feed`, o['feed']),
      minimum_svn: this.svn(`${path}.minimum_svn`, o['minimum_svn']),
      includes: this.strings(`${path}.includes`, o['includes']) };
  }

  private absentFields(path: string, value: unknown): readonly VersionedFieldName[] {
    return this.list(`${path}.absent_fields`, value, (p, item) => {
      const name = VERSIONED_FIELD_NAMES.find((f) => f === item);
      if (name === undefined) {
        throw this.fail(p, `must be one of ${VERSIONED_FIELD_NAMES.join(', ')}`);
      }
      return name;
    });
  }
}
