/**
 * Models: the Linux configfs-tsm report interface, `/sys/kernel/config/tsm/report/<name>/`
 *   (drivers/virt/coco/tsm.c; Documentation/ABI/testing/configfs-tsm), with the SEV-SNP provider
 *   (drivers/virt/coco/sev-guest: `provider` reads `sev_guest`). `mkdir` creates an entry with
 *   its attributes: `inblob` (write-only, at most 64 bytes: REPORT_DATA), `privlevel`
 *   (write-only: the VMPL, `privlevel_floor`..3), `outblob` (the 0x4A0-byte report for the
 *   current inputs), `auxblob` (the extended report's certificate table), `provider`,
 *   `privlevel_floor` and `generation` (the number of writes to the entry).
 * Real counterpart: the kernel, read through a JS `fs`. Differs: it lives on a memfs Volume; the
 *   kernel's semantics apply to readFile/writeFile (sync, promise and callback forms), mkdir,
 *   rmdir, unlink and rm; fd-level calls (open/write/close) reach the memfs files without them.
 *   Writes take effect when writeFile returns (configfs commits a binary attribute on close).
 *   The generation wrap-around EBUSY (2^64 writes without a read) is not modelled. No
 *   service_provider / manifest attributes (SVSM).
 * Invariants: reading outblob or auxblob regenerates both exactly when a write happened since the
 *   last generation (write generation ≠ read generation) or none exists yet; the sev provider
 *   refuses an inblob that is not exactly 64 bytes (EINVAL); a refused write leaves the entry
 *   unchanged; errors are Node-style errno errors (`error.code`), as a real fs throws.
 */
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFsFromVolume, Volume, type IFs } from 'memfs';
import { assert } from './kernel/assert.js';

export const TSM_REPORT_ROOT = '/sys/kernel/config/tsm/report';
/** TSM_INBLOB_MAX (include/linux/tsm.h). */
export const TSM_INBLOB_MAX = 64;
/** TSM_PRIVLEVEL_MAX: the highest VMPL (SEV-SNP GHCB). */
export const TSM_PRIVLEVEL_MAX = 3;
/** SNP_REPORT_USER_DATA_SIZE: the sev provider wants exactly this much inblob. */
const SEV_USER_DATA_BYTES = 64;

/** Attribute → who may do what (configfs modes), as tsm.c declares them. */
export const TSM_ATTRIBUTES = Object.freeze({
  inblob: { mode: 0o200, binary: true },
  outblob: { mode: 0o444, binary: true },
  auxblob: { mode: 0o444, binary: true },
  provider: { mode: 0o444, binary: false },
  privlevel: { mode: 0o200, binary: false },
  privlevel_floor: { mode: 0o444, binary: false },
  generation: { mode: 0o444, binary: false },
} as const);

export type TsmAttribute = keyof typeof TSM_ATTRIBUTES;

/** Who makes the reports: `createFakeSnp(…)` fits (its extendedReport). */
export type TsmReportProvider = Readonly<{
  extendedReport: (options: Readonly<{ reportData: Uint8Array; vmpl: number }>) =>
    Readonly<{ report: Uint8Array; certTable: Uint8Array }>;
}>;

/** One report entry's state (plain data). */
export type TsmEntry = Readonly<{
  inblob: Uint8Array;
  privlevel: number;
  writeGeneration: number;
  readGeneration: number;
  outblob: Uint8Array | undefined;
  auxblob: Uint8Array | undefined;
}>;

export type TsmErrno =
  'EINVAL' | 'EFBIG' | 'EACCES' | 'EPERM' | 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR';

const ERRNO: Readonly<Record<TsmErrno, number>> = {
  EPERM: 1, ENOENT: 2, EACCES: 13, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EFBIG: 27,
};

/** A Node-style errno error, as `fs` throws. */
export function errnoError(code: TsmErrno, syscall: string, path: string,
  why: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${why}, ${syscall} '${path}'`);
  error.code = code;
  error.errno = -ERRNO[code];
  error.syscall = syscall;
  error.path = path;
  return error;
}

export function newTsmEntry(): TsmEntry {
  return Object.freeze({ inblob: new Uint8Array(0), privlevel: 0, writeGeneration: 0,
    readGeneration: 0, outblob: undefined, auxblob: undefined });
}

/** A write to an attribute: the new entry, or the errno the kernel returns (entry unchanged). */
export function tsmWrite(entry: TsmEntry, attribute: TsmAttribute, data: Uint8Array,
  privlevelFloor: number): TsmEntry | TsmErrno {
  if (TSM_ATTRIBUTES[attribute].mode !== 0o200) return 'EACCES';
  let next: TsmEntry;
  if (attribute === 'inblob') {
    if (data.length > TSM_INBLOB_MAX) return 'EFBIG';
    next = { ...entry, inblob: data.slice() };
  } else {
    const text = Buffer.from(data).toString('latin1').trim();
    if (!/^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(text)) return 'EINVAL';
    const value = Number(text.startsWith('0x') || text.startsWith('0X') ? text
      : /^0[0-7]+$/.test(text) ? parseInt(text, 8) : text);
    if (value < privlevelFloor || value > TSM_PRIVLEVEL_MAX) return 'EINVAL';
    next = { ...entry, privlevel: value };
  }
  const written = Object.freeze({ ...next, writeGeneration: entry.writeGeneration + 1 });
  assert(written.writeGeneration === entry.writeGeneration + 1, 'every write counts');
  return written;
}

/** A read: the bytes and the entry after it (outblob/auxblob generated when stale). */
export function tsmRead(entry: TsmEntry, attribute: TsmAttribute, provider: TsmReportProvider,
  privlevelFloor: number): Readonly<{ entry: TsmEntry; bytes: Uint8Array }> | TsmErrno {
  const text = (value: string | number) => new TextEncoder().encode(`${value}\n`);
  switch (attribute) {
    case 'inblob':
    case 'privlevel': return 'EACCES';
    case 'provider': return { entry, bytes: text('sev_guest') };
    case 'privlevel_floor': return { entry, bytes: text(privlevelFloor) };
    case 'generation': return { entry, bytes: text(entry.writeGeneration) };
    case 'outblob':
    case 'auxblob': {
      let current = entry;
      if (current.outblob === undefined || current.readGeneration !== current.writeGeneration) {
        if (current.inblob.length !== SEV_USER_DATA_BYTES) return 'EINVAL';
        const made = provider.extendedReport({ reportData: current.inblob,
          vmpl: current.privlevel });
        current = Object.freeze({ ...current, outblob: made.report, auxblob: made.certTable,
          readGeneration: current.writeGeneration });
      }
      const bytes = attribute === 'outblob' ? current.outblob! : current.auxblob!;
      assert(current.readGeneration === current.writeGeneration, 'a read blob is current');
      return { entry: current, bytes };
    }
  }
}

export type ConfigfsTsmOptions = Readonly<{
  provider: TsmReportProvider;
  /** privlevel_floor: the VMPL the guest kernel runs at (default 0). */
  privlevelFloor?: number;
}>;

export type ConfigfsTsm = Readonly<{
  /** An fs (memfs) with /sys/kernel/config/tsm/report; inject it where code expects `fs`. */
  fs: IFs;
  vol: Volume;
  root: string;
  /** The state of an entry, or undefined. */
  entry: (name: string) => TsmEntry | undefined;
}>;

type Located =
  | Readonly<{ kind: 'entry'; name: string; path: string }>
  | Readonly<{ kind: 'attribute'; name: string; attribute: TsmAttribute; path: string }>
  | Readonly<{ kind: 'inside'; path: string }>
  | Readonly<{ kind: 'other'; path: string }>;

function pathText(path: unknown): string {
  if (path instanceof URL) return fileURLToPath(path);
  if (path instanceof Uint8Array) return Buffer.from(path).toString('utf8');
  return String(path);
}

function locate(path: unknown): Located {
  const normal = posix.resolve('/', pathText(path));
  if (!normal.startsWith(`${TSM_REPORT_ROOT}/`)) return { kind: 'other', path: normal };
  const rest = normal.slice(TSM_REPORT_ROOT.length + 1).split('/');
  if (rest.length === 1) return { kind: 'entry', name: rest[0]!, path: normal };
  if (rest.length === 2 && Object.hasOwn(TSM_ATTRIBUTES, rest[1]!)) {
    return { kind: 'attribute', name: rest[0]!, attribute: rest[1] as TsmAttribute, path: normal };
  }
  return { kind: 'inside', path: normal };
}

function bytesOf(data: unknown, encoding: BufferEncoding | undefined): Uint8Array {
  if (typeof data === 'string') return new Uint8Array(Buffer.from(data, encoding ?? 'utf8'));
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }
  throw new TypeError('data must be a string, Buffer, TypedArray or DataView');
}

function encodingOf(options: unknown): BufferEncoding | undefined {
  if (typeof options === 'string') return options as BufferEncoding;
  if (typeof options === 'object' && options !== null && 'encoding' in options) {
    const encoding = (options as { encoding?: unknown }).encoding;
    return typeof encoding === 'string' ? encoding as BufferEncoding : undefined;
  }
  return undefined;
}

/** The kernel side: the entries' state, and the memfs files a reader sees. */
type TsmKernel = Readonly<{
  base: IFs;
  entries: Map<string, TsmEntry>;
  provider: TsmReportProvider;
  floor: number;
}>;

/** memfs enforces modes, so the "kernel" lifts them while it updates a file's contents. */
function setContent(kernel: TsmKernel, path: string, attribute: TsmAttribute,
  content: Uint8Array | string): void {
  const { base } = kernel;
  if (base.existsSync(path)) base.chmodSync(path, 0o600);
  base.writeFileSync(path, content);
  base.chmodSync(path, TSM_ATTRIBUTES[attribute].mode);
}

function syncFiles(kernel: TsmKernel, name: string, entry: TsmEntry): void {
  const dir = `${TSM_REPORT_ROOT}/${name}`;
  setContent(kernel, `${dir}/generation`, 'generation', `${entry.writeGeneration}\n`);
  setContent(kernel, `${dir}/outblob`, 'outblob', entry.outblob ?? new Uint8Array(0));
  setContent(kernel, `${dir}/auxblob`, 'auxblob', entry.auxblob ?? new Uint8Array(0));
}

function entryAt(kernel: TsmKernel, where: Readonly<{ name: string; path: string }>,
  syscall: string): TsmEntry {
  const entry = kernel.entries.get(where.name);
  if (entry === undefined) throw errnoError('ENOENT', syscall, where.path, 'no such entry');
  return entry;
}

/** mkdir: a new entry with every attribute; false when the path is not under the report root. */
function tsmMkdir(kernel: TsmKernel, path: unknown): boolean {
  const where = locate(path);
  if (where.kind === 'other') return false;
  if (where.kind !== 'entry') throw errnoError('EPERM', 'mkdir', where.path, 'not allowed');
  if (kernel.entries.has(where.name)) {
    throw errnoError('EEXIST', 'mkdir', where.path, 'file exists');
  }
  kernel.base.mkdirSync(where.path);
  const entry = newTsmEntry();
  kernel.entries.set(where.name, entry);
  for (const attribute of Object.keys(TSM_ATTRIBUTES) as TsmAttribute[]) {
    const content = attribute === 'provider' ? 'sev_guest\n'
      : attribute === 'privlevel_floor' ? `${kernel.floor}\n` : '';
    setContent(kernel, `${where.path}/${attribute}`, attribute, content);
  }
  syncFiles(kernel, where.name, entry);
  assert(kernel.entries.get(where.name) === entry);
  return true;
}

/** rmdir: the entry and its attributes go; false when the path is not under the report root. */
function tsmRmdir(kernel: TsmKernel, path: unknown): boolean {
  const where = locate(path);
  if (where.kind === 'other') return false;
  if (where.kind !== 'entry') throw errnoError('ENOTDIR', 'rmdir', where.path, 'not a directory');
  entryAt(kernel, where, 'rmdir');
  for (const attribute of Object.keys(TSM_ATTRIBUTES)) {
    kernel.base.unlinkSync(`${where.path}/${attribute}`);
  }
  kernel.base.rmdirSync(where.path);
  kernel.entries.delete(where.name);
  assert(!kernel.entries.has(where.name));
  return true;
}

function tsmWriteFile(kernel: TsmKernel, path: unknown, data: unknown, options: unknown): boolean {
  const where = locate(path);
  if (where.kind === 'other') return false;
  if (where.kind !== 'attribute') {
    throw errnoError('EACCES', 'open', where.path, 'permission denied');
  }
  const next = tsmWrite(entryAt(kernel, where, 'open'), where.attribute,
    bytesOf(data, encodingOf(options)), kernel.floor);
  if (typeof next === 'string') throw errnoError(next, 'write', where.path, 'refused');
  kernel.entries.set(where.name, next);
  syncFiles(kernel, where.name, next);
  return true;
}

function tsmReadFile(kernel: TsmKernel, path: unknown): Uint8Array | undefined {
  const where = locate(path);
  if (where.kind === 'other') return undefined;
  if (where.kind !== 'attribute') throw errnoError('EISDIR', 'read', where.path, 'not a file');
  const result = tsmRead(entryAt(kernel, where, 'open'), where.attribute, kernel.provider,
    kernel.floor);
  if (typeof result === 'string') throw errnoError(result, 'read', where.path, 'refused');
  kernel.entries.set(where.name, result.entry);
  syncFiles(kernel, where.name, result.entry);
  return result.bytes;
}

/**
 * A memfs filesystem holding `/sys/kernel/config/tsm/report` whose entries behave like the
 * kernel's: `mkdir report/r0`, write `inblob`, read `outblob` and `auxblob`, check `generation`.
 */
export function createConfigfsTsm(options: ConfigfsTsmOptions): ConfigfsTsm {
  const floor = options.privlevelFloor ?? 0;
  assert(Number.isInteger(floor) && floor >= 0 && floor <= TSM_PRIVLEVEL_MAX, 'floor is a VMPL');
  const vol = new Volume();
  const base = createFsFromVolume(vol);
  base.mkdirSync(TSM_REPORT_ROOT, { recursive: true });
  const kernel: TsmKernel = { base, entries: new Map(), provider: options.provider, floor };
  const fs = wrapFs(base, {
    mkdir: (path) => tsmMkdir(kernel, path),
    rmdir: (path) => tsmRmdir(kernel, path),
    write: (path, data, writeOptions) => tsmWriteFile(kernel, path, data, writeOptions),
    read: (path) => tsmReadFile(kernel, path),
  });
  assert(base.existsSync(TSM_REPORT_ROOT));
  return Object.freeze({
    fs, vol, root: TSM_REPORT_ROOT, entry: (name: string) => kernel.entries.get(name),
  });
}

type Semantics = Readonly<{
  mkdir: (path: unknown) => boolean;
  rmdir: (path: unknown) => boolean;
  write: (path: unknown, data: unknown, options: unknown) => boolean;
  read: (path: unknown) => Uint8Array | undefined;
}>;

/** An fs whose file-level calls go through the configfs semantics first. */
function wrapFs(base: IFs, semantics: Semantics): IFs {
  const fs = Object.create(base) as IFs;
  const promises = Object.create(base.promises) as IFs['promises'];
  const readResult = (bytes: Uint8Array, options: unknown): Buffer | string => {
    const encoding = encodingOf(options);
    const buffer = Buffer.from(bytes);
    return encoding === undefined ? buffer : buffer.toString(encoding);
  };
  const readSync = (path: unknown, options?: unknown): Buffer | string => {
    const bytes = semantics.read(path);
    return bytes === undefined
      ? base.readFileSync(path as string, options as undefined) as Buffer | string
      : readResult(bytes, options);
  };
  const writeSync = (path: unknown, data: unknown, options?: unknown): void => {
    if (!semantics.write(path, data, options)) {
      base.writeFileSync(path as string, data as string, options as undefined);
    }
  };
  const mkdirSync = (path: unknown, options?: unknown): string | undefined => {
    if (semantics.mkdir(path)) return undefined;
    return base.mkdirSync(path as string, options as undefined) as string | undefined;
  };
  const rmdirSync = (path: unknown, options?: unknown): void => {
    if (!semantics.rmdir(path)) base.rmdirSync(path as string, options as undefined);
  };
  const guardRemove = (path: unknown, syscall: string): void => {
    const where = locate(path);
    if (where.kind !== 'other') throw errnoError('EPERM', syscall, where.path, 'use rmdir');
  };
  Object.assign(fs, {
    readFileSync: readSync, writeFileSync: writeSync, mkdirSync, rmdirSync, promises,
    unlinkSync: (path: unknown) => {
      guardRemove(path, 'unlink');
      base.unlinkSync(path as string);
    },
    rmSync: (path: unknown, options?: unknown) => {
      guardRemove(path, 'rm');
      base.rmSync(path as string, options as undefined);
    },
    readFile: callbackForm(readSync), writeFile: callbackForm(writeSync),
    mkdir: callbackForm(mkdirSync), rmdir: callbackForm(rmdirSync),
  });
  Object.assign(promises, {
    readFile: promiseForm(readSync), writeFile: promiseForm(writeSync),
    mkdir: promiseForm(mkdirSync), rmdir: promiseForm(rmdirSync),
  });
  return fs;
}

type Callback = (error: Error | null, value?: unknown) => void;

function callbackForm(sync: (...args: never[]) => unknown) {
  return (...args: unknown[]): void => {
    const callback = args.pop();
    if (typeof callback !== 'function') throw new TypeError('the last argument must be a callback');
    let value: unknown;
    try {
      value = (sync as (...a: unknown[]) => unknown)(...args);
    } catch (error) {
      queueMicrotask(() => (callback as Callback)(error as Error));
      return;
    }
    queueMicrotask(() => (callback as Callback)(null, value));
  };
}

function promiseForm(sync: (...args: never[]) => unknown) {
  return async (...args: unknown[]): Promise<unknown> =>
    (sync as (...a: unknown[]) => unknown)(...args);
}
