/**
 * Models: the data of a loaded fragment module (data[namespace].svn, framework_version,
 * containers, fragments, external_processes) as load_fragment's second call reads it.
 * Real counterpart: the fragment's Rego module, after the Go side verified its COSE_Sign1 envelope.
 * Differs: objects must already be normalised by the fragment's own framework_version (the
 *   compatibility shim is the importer's); this module only validates their shape.
 * Invariants: hostile JSON gets POLICY_BAD_INPUT naming the field, never a crash.
 */
import { bad, capabilitySets, stringArray } from '../input-shapes.js';
import type {
  EnvRule, ExecProcess, ExternalProcess, FragmentReference, IdNameRule, MountRule, PolicyContainer,
    UserRule,
} from '../policy-model.js';

export type FragmentDocument = Readonly<{
  svn: string | number | null;
  framework_version: string | null;
  containers: readonly PolicyContainer[];
  fragments: readonly FragmentReference[];
  external_processes: readonly ExternalProcess[];
}>;

const RULE = 'load_fragment';

type Obj = Readonly<Record<string, unknown>>;

function obj(field: string, v: unknown): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw bad(RULE, field, 'must be an object');
  }
  return v as Obj;
}
function str(field: string, v: unknown): string {
  if (typeof v !== 'string') throw bad(RULE, field, 'must be a string');
  return v;
}
function bool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw bad(RULE, field, 'must be a boolean');
  return v;
}
function arr<T>(field: string, v: unknown, each: (f: string, x: unknown) => T): readonly T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(RULE, field, 'must be an array');
  return v.map((x, i) => each(`${field}[${i}]`, x));
}
function ints(field: string, v: unknown): readonly number[] {
  return arr(field, v, (f, x) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x)) throw bad(RULE, f, 'must be an integer');
    return x;
  });
}

function envRule(f: string, v: unknown): EnvRule {
  const o = obj(f, v);
  const strategy = str(`${f}.strategy`, o['strategy']);
  if (strategy !== 'string' && strategy !== 're2') {
    throw bad(RULE, `${f}.strategy`, 'must be "string" or "re2"');
  }
  return { pattern: str(`${f}.pattern`, o['pattern']), strategy,
    required: o['required'] === undefined ? false : bool(`${f}.required`, o['required']) };
}
function idNameRule(f: string, v: unknown): IdNameRule {
  const o = obj(f, v);
  const strategy = str(`${f}.strategy`, o['strategy']);
  if (strategy !== 'any' && strategy !== 'id' && strategy !== 'name' && strategy !== 're2') {
    throw bad(RULE, `${f}.strategy`, 'must be any, id, name or re2');
  }
  return { pattern: str(`${f}.pattern`, o['pattern']), strategy };
}
function userRule(f: string, v: unknown): UserRule {
  const o = obj(f, v);
  return { user_idname: idNameRule(`${f}.user_idname`, o['user_idname']),
    group_idnames: arr(`${f}.group_idnames`, o['group_idnames'], idNameRule),
    umask: str(`${f}.umask`, o['umask']) };
}
function mountRule(f: string, v: unknown): MountRule {
  const o = obj(f, v);
  return { destination: str(`${f}.destination`, o['destination']),
    options: stringArray(RULE, `${f}.options`, o['options']),
    source: str(`${f}.source`, o['source']), type: str(`${f}.type`, o['type']) };
}
function execProcess(f: string, v: unknown): ExecProcess {
  const o = obj(f, v);
  return { command: stringArray(RULE, `${f}.command`, o['command']),
    signals: ints(`${f}.signals`, o['signals']) };
}

export function policyContainer(f: string, v: unknown): PolicyContainer {
  const o = obj(f, v);
  return {
    id: typeof o['id'] === 'string' ? o['id'] : '',
    name: typeof o['name'] === 'string' ? o['name'] : '',
    command: o['command'] === null ? null : stringArray(RULE, `${f}.command`, o['command']),
    env_rules: arr(`${f}.env_rules`, o['env_rules'], envRule),
    layers: stringArray(RULE, `${f}.layers`, o['layers']),
    mounts: arr(`${f}.mounts`, o['mounts'], mountRule),
    exec_processes: arr(`${f}.exec_processes`, o['exec_processes'], execProcess),
    signals: ints(`${f}.signals`, o['signals']),
    working_dir: str(`${f}.working_dir`, o['working_dir']),
    allow_elevated: bool(`${f}.allow_elevated`, o['allow_elevated']),
    allow_stdio_access: bool(`${f}.allow_stdio_access`, o['allow_stdio_access']),
    no_new_privileges: bool(`${f}.no_new_privileges`, o['no_new_privileges']),
    user: userRule(`${f}.user`, o['user']),
    capabilities: o['capabilities'] === null || o['capabilities'] === undefined
      ? null : capabilitySets(RULE, `${f}.capabilities`, o['capabilities']),
    seccomp_profile_sha256: str(`${f}.seccomp_profile_sha256`, o['seccomp_profile_sha256']),
  };
}

function externalProcess(f: string, v: unknown): ExternalProcess {
  const o = obj(f, v);
  return {
    command: stringArray(RULE, `${f}.command`, o['command']),
      env_rules: arr(`${f}.env_rules`, o['env_rules'], envRule),
    working_dir: str(`${f}.working_dir`, o['working_dir']),
      allow_stdio_access: bool(`${f}.allow_stdio_access`, o['allow_stdio_access']),
  };
}

function fragmentReference(f: string, v: unknown): FragmentReference {
  const o = obj(f, v);
  const minimum = o['minimum_svn'];
  if (typeof minimum !== 'string' && typeof minimum !== 'number') {
    throw bad(RULE, `${f}.minimum_svn`, 'must be a string or a number');
  }
  return { issuer: str(`${f}.issuer`, o['issuer']), feed: str(`${f}.feed`, o['feed']),
    minimum_svn: minimum, includes: stringArray(RULE, `${f}.includes`, o['includes']) };
}

export function parseFragmentDocument(field: string, v: unknown): FragmentDocument {
  const o = obj(field, v);
  const svn = o['svn'] ?? null;
  if (svn !== null && typeof svn !== 'string' && typeof svn !== 'number') {
    throw bad(RULE, `${field}.svn`, 'must be a string or a number');
  }
  const fw = o['framework_version'] ?? null;
  if (fw !== null && typeof fw !== 'string') {
    throw bad(RULE, `${field}.framework_version`, 'must be a string');
  }
  return {
    svn, framework_version: fw,
    containers: arr(`${field}.containers`, o['containers'], policyContainer),
    fragments: arr(`${field}.fragments`, o['fragments'], fragmentReference),
    external_processes: arr(`${field}.external_processes`, o['external_processes'],
      externalProcess),
  };
}

/**
 * The data of an imported fragment module (importer output for a `package <name>` text that
 * carries svn / framework_version / containers ...): what load_fragment's second call reads.
 */
export function fragmentDocumentFromPolicy(
  fragment: Readonly<{ svn: string | number | null; framework_version: string }> &
    Pick<FragmentDocument, 'containers' | 'fragments' | 'external_processes'>,
): FragmentDocument {
  return {
    svn: fragment.svn,
    framework_version: fragment.framework_version === '' ? null : fragment.framework_version,
    containers: fragment.containers, fragments: fragment.fragments,
      external_processes: fragment.external_processes,
  };
}
