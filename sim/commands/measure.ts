/**
 * Models: nothing real. `parma-sim measure`: the expected launch digest, a drop-in for
 * virtee/sev-snp-measure 0.0.13 (same flags, same output, same messages and exit codes: 0 success,
 * 1 "Error: <message>" for inputs the measurement refuses, 2 usage errors). Because it must be
 * swappable with that tool, this command deliberately uses its 0/1/2 exit codes rather than the
 * house table; internal assertion failures still exit 70 through sim/cli.ts.
 * Loads only the hypervisor measurement modules (no xstate, no curves) so the process starts
 * fast.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fromHex, toHex } from '../kernel/bytes.js';
import { SimError } from '../kernel/errors.js';
import {
  MEASURE_MODES, SEV_MODE_NAME, VCPU_TYPE_NAMES, VMM_QUIRKS, VMM_TYPE_NAMES, cmdlineSha256,
  cpuSignature, isVmmType, measureLaunch, vcpuTypeSignature, type MeasureMode, type VmmType,
} from '../api/measure.js';
import type { CliIo } from './types.js';

const PROG = 'parma-sim measure';
const EXIT_MEASURE_ERROR = 1;
const EXIT_MEASURE_USAGE = 2;

const USAGE = `usage: ${PROG} [-h] [--version] [-v] --mode {${MEASURE_MODES.join(',')}}`
  + ` [--vcpus N]
       [--vcpu-type CPUTYPE] [--vcpu-sig VALUE] [--vcpu-family FAMILY] [--vcpu-model MODEL]
       [--vcpu-stepping STEPPING] [--vmm-type VMMTYPE] --ovmf PATH [--kernel PATH]`
  + ` [--initrd PATH]
       [--append CMDLINE] [--guest-features VALUE] [--output-format {hex,base64}]
       [--snp-ovmf-hash HASH] [--dump-vmsa] [--svsm PATH] [--vars-size SIZE | --vars-file PATH]
`;

const HELP = `${USAGE}
Calculate the AMD SEV/SEV-ES/SEV-SNP guest launch measurement (sev-snp-measure compatible).

options:
  -h, --help              show this help message and exit
  --version               show the version and exit
  -v, --verbose           print "Calculated <MODE> guest measurement: <value>"
  --mode MODE             guest mode (${MEASURE_MODES.join(', ')})
  --vcpus N               number of guest vCPUs
  --vcpu-type CPUTYPE     type of guest vCPU (${VCPU_TYPE_NAMES.join(', ')})
  --vcpu-sig VALUE        guest vCPU signature value (CPUID(1).EAX)
  --vcpu-family FAMILY    guest vCPU family (with --vcpu-model and --vcpu-stepping)
  --vmm-type VMMTYPE      type of guest VMM (${VMM_TYPE_NAMES.join(', ')}); default QEMU
  --ovmf PATH             OVMF file to calculate the hash from
  --kernel PATH           kernel file to calculate the hash from
  --initrd PATH           initrd file (use with --kernel)
  --append CMDLINE        kernel command line (use with --kernel)
  --guest-features VALUE  SEV_FEATURES of the guest VMSAs (default 0x1)
  --output-format FORMAT  hex (default) or base64
  --snp-ovmf-hash HASH    precalculated OVMF launch digest (hex; from --mode snp:ovmf-hash)
  --dump-vmsa             write the measured VMSAs to vmsa<N>.bin (seves, snp, snp:svsm)
  --svsm PATH             SVSM binary (snp:svsm)
  --vars-size SIZE        size of the OVMF_VARS file in bytes (snp:svsm)
  --vars-file PATH        OVMF_VARS file (snp:svsm)
`;

class UsageError extends Error {}

/** Python int(text, base) semantics, as argparse applies them (base 0 = auto prefix). */
function parsePythonInt(text: string, autoBase: boolean): number | undefined {
  const clean = text.trim().replace(/_(?=[0-9a-fA-F])/g, '');
  const pattern = autoBase
    ? /^[+-]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[1-9][0-9]*|0+)$/
    : /^[+-]?[0-9]+$/;
  if (!pattern.test(clean)) return undefined;
  const negative = clean.startsWith('-');
  const body = clean.replace(/^[+-]/, '');
  const value = /^0[oO]/.test(body) ? Number.parseInt(body.slice(2), 8)
    : /^0[bB]/.test(body) ? Number.parseInt(body.slice(2), 2) : Number(body);
  if (!Number.isSafeInteger(value)) return undefined;
  return negative ? -value : value;
}

function intArg(
  name: string, text: string | undefined, kind: 'int' | 'auto_base_int' | '<lambda>',
): number | undefined {
  if (text === undefined) return undefined;
  const value = parsePythonInt(text, kind !== 'int');
  if (value === undefined) {
    throw new UsageError(`argument --${name}: invalid ${kind} value: '${text}'`);
  }
  return value;
}

function choiceArg(
  name: string, text: string | undefined, choices: readonly string[],
): string | undefined {
  if (text === undefined || choices.includes(text)) return text;
  const quoted = choices.map((c) => `'${c}'`).join(', ');
  throw new UsageError(`argument --${name}: invalid choice: '${text}' (choose from ${quoted})`);
}

const OPTIONS = {
  'help': { type: 'boolean', short: 'h' }, 'version': { type: 'boolean' },
  'verbose': { type: 'boolean', short: 'v' },
  'mode': { type: 'string' }, 'vcpus': { type: 'string' }, 'vcpu-type': { type: 'string' },
  'vcpu-sig': { type: 'string' }, 'vcpu-family': { type: 'string' },
  'vcpu-model': { type: 'string' },
  'vcpu-stepping': { type: 'string' }, 'vmm-type': { type: 'string' }, 'ovmf': { type: 'string' },
  'kernel': { type: 'string' }, 'initrd': { type: 'string' }, 'append': { type: 'string' },
  'guest-features': { type: 'string' }, 'output-format': { type: 'string' },
  'snp-ovmf-hash': { type: 'string' },
  'dump-vmsa': { type: 'boolean' }, 'svsm': { type: 'string' }, 'vars-size': { type: 'string' },
  'vars-file': { type: 'string' },
} as const;

type RawArgs = ReturnType<typeof parseArgs<{
  options: typeof OPTIONS; strict: true; allowPositionals: false;
}>>['values'];

function parseRaw(argv: readonly string[]): RawArgs {
  try {
    return parseArgs({
      args: [...argv], options: OPTIONS, strict: true, allowPositionals: false,
    }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/, ''));
  }
}

function ioError(flag: string, path: string, error: unknown): SimError {
  const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
  return new SimError('SIM_IO', { flag, path, reason },
    `cannot read --${flag} file '${path}': ${reason}`);
}

function readInput(flag: string, path: string): Uint8Array {
  try {
    const buffer = readFileSync(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw ioError(flag, path, error);
  }
}

/**
 * SHA-256 of a kernel or initrd, streamed through one reused 1 MiB buffer: the bytes are hashed
 * while they are still in cache and never held in memory whole (this is I/O, not measurement
 * logic: the library receives the digests, exactly as when it hashes bytes itself).
 */
function sha256OfFile(flag: string, path: string): Uint8Array {
  const hasher = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      hasher.update(chunk.subarray(0, n));
    }
  } catch (error) {
    throw ioError(flag, path, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return new Uint8Array(hasher.digest());
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return measureCommand(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${USAGE}${PROG}: error: ${error.message}\n`);
      return EXIT_MEASURE_USAGE;
    }
    if (error instanceof SimError) {
      const prefix = `${error.code}: `;
      const message = error.message.startsWith(prefix)
        ? error.message.slice(prefix.length) : error.message;
      io.stderr(`Error: ${message}\n`);
      return EXIT_MEASURE_ERROR;
    }
    throw error;
  }
}

function measureCommand(argv: readonly string[], io: CliIo): number {
  const raw = parseRaw(argv);
  if (raw.help === true) { io.stdout(HELP); return 0; }
  if (raw.version === true) {
    io.stdout(`${PROG} (sev-snp-measure 0.0.13 compatible)\n`);
    return 0;
  }
  const missing = [
    raw.mode === undefined ? '--mode' : '', raw.ovmf === undefined ? '--ovmf' : '',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new UsageError(`the following arguments are required: ${missing.join(', ')}`);
  }
  if (raw['vars-size'] !== undefined && raw['vars-file'] !== undefined) {
    throw new UsageError('argument --vars-file: not allowed with argument --vars-size');
  }
  const mode = choiceArg('mode', raw.mode, MEASURE_MODES) as MeasureMode;
  choiceArg('vcpu-type', raw['vcpu-type'], VCPU_TYPE_NAMES);
  const outputFormat = choiceArg('output-format', raw['output-format'], ['hex', 'base64']) ?? 'hex';
  const vcpus = intArg('vcpus', raw.vcpus, 'int');
  const vcpuSigArg = intArg('vcpu-sig', raw['vcpu-sig'], 'auto_base_int');
  const family = intArg('vcpu-family', raw['vcpu-family'], 'int');
  const model = intArg('vcpu-model', raw['vcpu-model'], 'int');
  const stepping = intArg('vcpu-stepping', raw['vcpu-stepping'], 'int');
  // Sources disagree (spec snp.md g.7): sev-snp-measure's README says 0x21, its CLI uses 0x1.
  // We follow the CLI, which is what the recorded vectors were produced with.
  const guestFeatures = intArg('guest-features', raw['guest-features'], '<lambda>') ?? 0x1;
  const varsSize = intArg('vars-size', raw['vars-size'], 'int');
  const ovmf = readInput('ovmf', raw.ovmf!);
  if (mode === 'snp:ovmf-hash') {
    io.stdout(`${toHex(measureLaunch({ mode, ovmf }).digest)}\n`);
    return 0;
  }
  if (raw.initrd && !raw.kernel) throw new UsageError('--kernel required when using --initrd');
  if (raw.append && !raw.kernel) throw new UsageError('--kernel required when using --append');
  if (mode !== 'sev' && vcpus === undefined) {
    throw new UsageError(`missing --vcpus N in guest mode '${mode}'`);
  }
  if (vcpus !== undefined && vcpus < 0) {
    throw new UsageError(`argument --vcpus: must not be negative: '${raw.vcpus}'`);
  }
  const vmmType = raw['vmm-type'] ?? 'QEMU';
  if (!isVmmType(vmmType)) throw new UsageError(`unknown VMM type '${vmmType}'`);
  const vcpuSig = guestVcpuSig(raw, mode, vmmType, { family, model, stepping, vcpuSigArg });
  if (guestFeatures < 0) {
    throw new UsageError(
      `argument --guest-features: must not be negative: '${raw['guest-features']}'`);
  }
  let varsSizeBytes = 0;
  if (mode === 'snp:svsm') {
    if (raw['vars-file']) varsSizeBytes = fileSize(raw['vars-file']);
    else if (varsSize) varsSizeBytes = varsSize;
    else throw new UsageError('snp:svsm mode requires --vars-size or --vars-file');
  }
  if (raw['dump-vmsa'] === true && !['seves', 'snp', 'snp:svsm'].includes(mode)) {
    throw new UsageError('--dump-vmsa is not availibe in the selected mode');
  }
  const result = measureLaunch({
    mode, ovmf, vcpus, vcpuSig, guestFeatures: BigInt(guestFeatures), vmmType, varsSizeBytes,
    ...(raw.kernel ? { hashes: {
      kernel_sha256: sha256OfFile('kernel', raw.kernel),
      initrd_sha256: raw.initrd ? sha256OfFile('initrd', raw.initrd) : sha256OfEmpty(),
      cmdline_sha256: cmdlineSha256(raw.append ?? ''),
    } } : {}),
    ...(raw['snp-ovmf-hash'] ? { ovmfHash: ovmfHashArg(raw['snp-ovmf-hash']) } : {}),
    ...(raw.svsm ? { svsm: readInput('svsm', raw.svsm) } : {}),
  });
  if (raw['dump-vmsa'] === true) {
    result.vmsas.forEach((page, i) => writeFileSync(join(process.cwd(), `vmsa${i}.bin`), page));
  }
  const text = outputFormat === 'base64'
    ? Buffer.from(result.digest).toString('base64') : toHex(result.digest);
  io.stdout(raw.verbose === true
    ? `Calculated ${SEV_MODE_NAME[mode]} guest measurement: ${text}\n` : `${text}\n`);
  return 0;
}

/** The guest vCPU signature: from --vcpu-family/model/stepping, --vcpu-sig or --vcpu-type. */
function guestVcpuSig(
  raw: RawArgs, mode: MeasureMode, vmmType: VmmType,
  args: Readonly<{
    family: number | undefined; model: number | undefined; stepping: number | undefined;
    vcpuSigArg: number | undefined;
  }>,
): number {
  const { family, model, stepping, vcpuSigArg } = args;
  let vcpuSig = 0;
  if (mode !== 'sev') {
    if (family !== undefined) {
      if (model === undefined || stepping === undefined) {
        throw new UsageError('--vcpu-family needs --vcpu-model and --vcpu-stepping');
      }
      vcpuSig = cpuSignature({ family, model, stepping });
    } else if (vcpuSigArg !== undefined) {
      if (vcpuSigArg < 0 || vcpuSigArg > 0xffffffff) {
        throw new UsageError(`argument --vcpu-sig: not a u32: '${raw['vcpu-sig']}'`);
      }
      vcpuSig = vcpuSigArg;
    } else if (raw['vcpu-type'] !== undefined) {
      vcpuSig = vcpuTypeSignature(raw['vcpu-type'])!;
    } else if (VMM_QUIRKS[vmmType].needs_vcpu_sig) {
      throw new UsageError(
        `missing --vcpu-type or --vcpu-sig or --vcpu-family in guest mode '${mode}'`);
    }
  }
  return vcpuSig;
}

function sha256OfEmpty(): Uint8Array {
  return new Uint8Array(createHash('sha256').digest());
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SimError('SIM_IO', { flag: 'vars-file', path, reason },
      `cannot stat --vars-file '${path}': ${reason}`);
  }
}

function ovmfHashArg(text: string): Uint8Array {
  const bytes = fromHex(text, '--snp-ovmf-hash');
  if (bytes.length !== 48) {
    throw new SimError('HV_BAD_LAUNCH_INPUT', { bytes: bytes.length },
      `--snp-ovmf-hash must be 48 bytes (96 hex digits), got ${bytes.length}`);
  }
  return bytes;
}
