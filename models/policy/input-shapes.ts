/**
 * Models: the `input` documents the GCS builds for each enforcement point (hcsshim
 * securitypolicyenforcer_rego.go), validated as hostile data.
 * Real counterpart: Go structs marshalled to JSON for the Rego query.
 * Differs: fields the GCS computes itself (mountPathRegex, rootPrefix, mountPathPrefix) may be
 *   absent and then take the HEAD GCS constants; fields an older trace lacks stay `undefined` and
 *   behave like Rego's undefined (the check that reads them fails), except the list fields mounts
 *   and groups, where absent means empty. JSON null counts as absent.
 * Invariants: a wrong type is a POLICY_BAD_INPUT naming the field; parsing never decides policy.
 */
import { SimError } from '../../sim/kernel/errors.js';
import type { CapabilitySets } from './policy-model.js';

export const GCS_MOUNT_PATH_REGEX = '/run/mounts/scsi/m[0-9]+';
export const GCS_RW_MOUNT_PATH_REGEX = '/run/gcs/c/[0-9a-fA-F]{64}';
export const GCS_PLAN9_ROOT_PREFIX = '/run/gcs/c';
export const GCS_PLAN9_MOUNT_PATH_PREFIX = '/mounts/m[0-9]+';

export type IdName = Readonly<{ id: string | undefined; name: string | undefined }>;
export type RequestedMount = Readonly<{ destination: string; options: readonly string[];
  source: string; type: string }>;

export type ProcessSecurityInput = Readonly<{
  noNewPrivileges: boolean | undefined;
  user: IdName | undefined;
  groups: readonly IdName[];
  umask: string | undefined;
  /** null: the request's JSON null (a defined value in Rego); undefined: absent. */
  capabilities: CapabilitySets | null | undefined;
}>;

export type CreateContainerInput = ProcessSecurityInput & Readonly<{
  containerID: string;
  argList: readonly string[];
  envList: readonly string[];
  workingDir: string;
  sandboxDir: string | undefined;
  hugePagesDir: string | undefined;
  mounts: readonly RequestedMount[];
  /** Linux device nodes; undefined when absent (devices_ok then fails at HEAD). */
  devices: readonly unknown[] | undefined;
  privileged: boolean | undefined;
  seccompProfileSHA256: string | undefined;
  isSandboxContainer: boolean;
}>;

export type ExecInContainerInput = ProcessSecurityInput & Readonly<{
  containerID: string; argList: readonly string[]; envList: readonly string[]; workingDir: string;
}>;

export type ExecExternalInput = Readonly<{ argList: readonly string[]; envList: readonly string[];
  workingDir: string }>;

/** Which optional fields were absent: a denial of an old trace can say so. */
export type Absent = readonly string[];

export class InputReader {
  readonly absent: string[] = [];
  private readonly fields: Readonly<Record<string, unknown>>;

  constructor(readonly rule: string, input: unknown) {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw bad(rule, 'input', 'must be a JSON object');
    }
    this.fields = input as Record<string, unknown>;
  }

  private raw(field: string): unknown {
    const value = Object.hasOwn(this.fields, field) ? this.fields[field] : undefined;
    return value === null ? undefined : value;
  }

  str(field: string): string {
    const value = this.optStr(field);
    if (value === undefined) throw bad(this.rule, field, 'is required (a string)');
    return value;
  }

  optStr(field: string): string | undefined {
    const value = this.raw(field);
    if (value === undefined) { this.absent.push(field); return undefined; }
    if (typeof value !== 'string') throw bad(this.rule, field, 'must be a string');
    return value;
  }

  optBool(field: string): boolean | undefined {
    const value = this.raw(field);
    if (value === undefined) { this.absent.push(field); return undefined; }
    if (typeof value !== 'boolean') throw bad(this.rule, field, 'must be a boolean');
    return value;
  }

  bool(field: string): boolean {
    const value = this.optBool(field);
    if (value === undefined) throw bad(this.rule, field, 'is required (a boolean)');
    return value;
  }

  int(field: string): number {
    const value = this.raw(field);
    // Number.isSafeInteger is false for anything that is not a number: no typeof test needed.
    if (!Number.isSafeInteger(value)) throw bad(this.rule, field, 'must be an integer');
    return value as number;
  }

  strList(field: string): readonly string[] {
    const value = this.optStrList(field);
    if (value === undefined) throw bad(this.rule, field, 'is required (an array of strings)');
    return value;
  }

  optStrList(field: string): readonly string[] | undefined {
    const value = this.raw(field);
    if (value === undefined) { this.absent.push(field); return undefined; }
    return stringArray(this.rule, field, value);
  }

  list(field: string): readonly unknown[] {
    return this.optList(field) ?? [];
  }

  optList(field: string): readonly unknown[] | undefined {
    const value = this.raw(field);
    if (value === undefined) { this.absent.push(field); return undefined; }
    if (!Array.isArray(value)) throw bad(this.rule, field, 'must be an array');
    return value;
  }

  strOrNum(field: string): string | number | undefined {
    const value = this.raw(field);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw bad(this.rule, field, 'must be a string or a number');
    }
    return value;
  }

  value(field: string): unknown {
    return this.raw(field);
  }

  idName(field: string, value: unknown): IdName {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw bad(this.rule, field, 'must be an object {id, name}');
    }
    const o = value as Record<string, unknown>;
    const id = o['id'] ?? undefined;
    const name = o['name'] ?? undefined;
    if (id !== undefined && typeof id !== 'string') {
      throw bad(this.rule, `${field}.id`, 'must be a string');
    }
    if (name !== undefined && typeof name !== 'string') {
      throw bad(this.rule, `${field}.name`, 'must be a string');
    }
    return { id, name };
  }

  processSecurity(): ProcessSecurityInput {
    const user = this.raw('user');
    if (user === undefined) this.absent.push('user');
    const groups = this.list('groups').map((g, i) => this.idName(`groups[${i}]`, g));
    return {
      noNewPrivileges: this.optBool('noNewPrivileges'),
      user: user === undefined ? undefined : this.idName('user', user),
      groups,
      umask: this.optStr('umask'),
      capabilities: this.capabilities(),
    };
  }

  /** The request's capability sets; null when it says JSON null, undefined when absent. */
  capabilities(): CapabilitySets | null | undefined {
    const value = Object.hasOwn(this.fields, 'capabilities') ? this.fields['capabilities']
      : undefined;
    if (value === undefined) { this.absent.push('capabilities'); return undefined; }
    if (value === null) return null;
    return capabilitySets(this.rule, 'capabilities', value);
  }

  mounts(): readonly RequestedMount[] {
    return this.list('mounts').map((m, i) => {
      const field = `mounts[${i}]`;
      if (m === null || typeof m !== 'object' || Array.isArray(m)) {
        throw bad(this.rule, field, 'must be an object');
      }
      const o = m as Record<string, unknown>;
      const text = (key: string): string => {
        const v = o[key];
        if (typeof v !== 'string') throw bad(this.rule, `${field}.${key}`, 'must be a string');
        return v;
      };
      return { destination: text('destination'), source: text('source'), type: text('type'),
        options: stringArray(this.rule, `${field}.options`, o['options']) };
    });
  }
}

export function stringArray(rule: string, field: string, value: unknown): readonly string[] {
  if (!Array.isArray(value)) throw bad(rule, field, 'must be an array of strings');
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') throw bad(rule, `${field}[${i}]`, 'must be a string');
  }
  return value as string[];
}

const CAP_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

export function capabilitySets(rule: string, field: string, value: unknown): CapabilitySets {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw bad(rule, field, 'must be an object of five capability lists');
  }
  const o = value as Record<string, unknown>;
  const out: Record<string, readonly string[]> = {};
  for (const set of CAP_SETS) out[set] = stringArray(rule, `${field}.${set}`, o[set] ?? []);
  return out as CapabilitySets;
}

export function bad(rule: string, field: string, problem: string): SimError {
  return new SimError('POLICY_BAD_INPUT', { rule, field }, `${rule}: input.${field} ${problem}`);
}

export function parseCreateContainerInput(rule: string,
    input: unknown): Readonly<{ value: CreateContainerInput; absent: Absent }> {
  const r = new InputReader(rule, input);
  const value: CreateContainerInput = {
    containerID: r.str('containerID'), argList: r.strList('argList'), envList: r.strList('envList'),
    workingDir: r.str('workingDir'), sandboxDir: r.optStr('sandboxDir'),
      hugePagesDir: r.optStr('hugePagesDir'),
    mounts: r.mounts(), devices: r.optList('devices'), privileged: r.optBool('privileged'),
    seccompProfileSHA256: r.optStr('seccompProfileSHA256'),
      isSandboxContainer: r.optBool('isSandboxContainer') ?? false,
    ...r.processSecurity(),
  };
  return { value, absent: r.absent };
}

export function parseExecInContainerInput(rule: string,
    input: unknown): Readonly<{ value: ExecInContainerInput; absent: Absent }> {
  const r = new InputReader(rule, input);
  const value: ExecInContainerInput = {
    containerID: r.str('containerID'), argList: r.strList('argList'), envList: r.strList('envList'),
    workingDir: r.str('workingDir'), ...r.processSecurity(),
  };
  return { value, absent: r.absent };
}
