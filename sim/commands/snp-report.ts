/**
 * Models: nothing real. `parma-sim snp report`: flags → GenerateReportOptions → one signed
 * ATTESTATION_REPORT, written raw (1184 bytes) to --out or as hex to stdout.
 * Flag parsing is commander's (exitOverride: a usage error is exit 2 with one line); every default
 * lives in the model (models/snp/platform.ts, guest-context-fields.ts), none here.
 */
import { Command, Option } from 'commander';
import { fromHex, toHex } from '../kernel/bytes.js';
import { EXIT_OK } from '../kernel/errors.js';
import {
  DEFAULT_FIRMWARE, PRODUCTS, buildCertificateSet, encodeTcb, extendedReportCertTable,
  generateReport, isReportVersion, parseFirmwareVersion, parseTcbText,
  type GenerateReportOptions, type GeneratedReport, type ReportVersion,
} from '../index.js';
import {
  flagError, flagName, flagValue, fromFlags, productFlag, seedFlag, uintFlag,
} from './flags.js';
import type { CliIo } from './types.js';
import { newProgram, parseProgram } from './dispatch.js';
import { writeOutput } from './files.js';

type Flags = Readonly<Record<string, string | boolean | undefined>>;

function hexFlag(flags: Flags, name: string, bytes?: number): Uint8Array | undefined {
  const text = flags[name];
  return typeof text === 'string' ? fromHex(text, flagName(name), bytes) : undefined;
}

function numFlag(flags: Flags, name: string, bits: number): number | undefined {
  const text = flags[name];
  return typeof text === 'string' ? Number(uintFlag(flagName(name), text, bits)) : undefined;
}

function bigFlag(flags: Flags, name: string): bigint | undefined {
  const text = flags[name];
  return typeof text === 'string' ? uintFlag(flagName(name), text, 64) : undefined;
}

/** The flag that sets each field a model may refuse (its `detail.field`). */
export const REPORT_FIELD_FLAGS: Readonly<Record<string, string>> = {
  report_data: '--report-data', chip_id: '--chip-id', guest_svn: '--guest-svn',
  committed_tcb: '--committed-tcb', committed_version: '--committed-firmware',
  csp_id: '--vlek-csp-id', version: '--version', current_tcb: '--tcb',
  reported_tcb: '--reported-tcb', launch_tcb: '--launch-tcb',
};

function buildProgram(io: CliIo): Command {
  const program = newProgram('parma-sim snp report', io)
    .description(
      'Make a signed SEV-SNP ATTESTATION_REPORT on a simulated chip. Same flags, same bytes.')
    .option('--seed <seed>', 'simulation seed: chip id, REPORT_ID, keys (default 0)', '0')
    .addOption(new Option('--product <product>', 'Milan, Genoa or Turin (default Milan)')
      .default('Milan'))
    .option('--firmware <version>',
      'emulated firmware MAJOR.MINOR.BUILD (default per product, e.g. 1.55.29)')
    .option('--committed-firmware <version>', 'committed firmware version (default: --firmware)')
    .addOption(new Option('--version <n>', 'force report VERSION (default: from the firmware)')
      .choices(['2', '3', '5']))
    .addOption(new Option('--signing-key <key>', 'KEY_SEL 1 (vcek) or 2 (vlek); default KEY_SEL 0')
      .choices(['vcek', 'vlek']))
    .option('--key-sel <n>', 'raw KEY_SEL word of MSG_REPORT_REQ (overrides --signing-key)')
    .option('--vlek-csp-id <id>',
      'load a VLEK for this cloud provider (e.g. CN=cc-us-east-2.amazonaws.com)')
    .option('--report-data <hex>', 'REPORT_DATA, up to 64 bytes, zero-padded')
    .option('--host-data <hex>', 'HOST_DATA, 32 bytes')
    .option('--measurement <hex>', 'MEASUREMENT, 48 bytes')
    .option('--policy <u64>', 'guest POLICY (default 0x30000)')
    .option('--vmpl <n>', 'VMPL requested (default 0)')
    .option('--sender-vmpl <n>', 'VMPL of the VMPCK the request comes with (default: --vmpl)')
    .option('--family-id <hex>', 'FAMILY_ID, 16 bytes')
    .option('--image-id <hex>', 'IMAGE_ID, 16 bytes')
    .option('--guest-svn <n>', 'GUEST_SVN')
    .option('--id-key-digest <hex>', 'ID_KEY_DIGEST, 48 bytes')
    .option('--author-key-digest <hex>',
      'AUTHOR_KEY_DIGEST, 48 bytes (sets KEY_INFO.AUTHOR_KEY_EN)')
    .option('--report-id <hex>', 'REPORT_ID, 32 bytes (default: from the seed)')
    .option('--report-id-ma <hex>', 'REPORT_ID_MA, 32 bytes (default ff..ff: no migration agent)')
    .option('--tcb <tcb>',
      'CURRENT_TCB: bl=3,tee=0,snp=8,ucode=115 (fmc= on Turin) or raw 0x… u64')
    .option('--reported-tcb <tcb>', 'REPORTED_TCB (SNP_CONFIG; default: current)')
    .option('--committed-tcb <tcb>', 'COMMITTED_TCB (default: current)')
    .option('--launch-tcb <tcb>', 'LAUNCH_TCB (default: current)')
    .option('--chip-id <hex>', 'CHIP_ID, 64 bytes (Turin: 8) (default: from the seed)')
    .option('--platform-info <u64>', 'PLATFORM_INFO (default: from platform and firmware)')
    .option('--mask-chip-id', 'SNP_CONFIG MASK_CHIP_ID: CHIP_ID reported as zeros')
    .option('--mask-chip-key', 'SNP_CONFIG MASK_CHIP_KEY: no VCEK signing')
    .option('--no-smt', 'SMT disabled on the platform')
    .option('--vcek-disabled', 'guest launched with VCEK_DIS')
    .option('--launch-mit-vector <u64>', 'LAUNCH_MIT_VECTOR (v5)')
    .option('--current-mit-vector <u64>', 'CURRENT_MIT_VECTOR (v5)')
    .option('--cert-table <file>', 'also write the extended-report certificate table (GUID table '
      + 'with VCEK or VLEK, ASK or ASVK, ARK), as SNP_GET_EXT_REPORT / configfs-tsm auxblob give')
    .option('--out <file>', 'write the raw 1184-byte report here (default: hex on stdout)');
  return program;
}

/** --report-data: up to 64 bytes (the model zero-pads it). */
function reportDataFlag(flags: Flags): Uint8Array | undefined {
  const value = hexFlag(flags, 'reportData');
  if (value !== undefined && value.length > 64) {
    throw flagError('--report-data', `at most 64 bytes, got ${value.length}`);
  }
  return value;
}

/** Parsed flags → the library's options. */
export function reportOptionsFromFlags(flags: Flags): GenerateReportOptions {
  const product = productFlag(String(flags['product']));
  const layout = PRODUCTS[product].tcbLayout;
  const tcbFlag = (name: string, base: bigint): bigint | undefined => {
    const text = flags[name];
    return typeof text === 'string'
      ? flagValue(flagName(name), () => parseTcbText(text, layout, base)) : undefined;
  };
  const current = tcbFlag('tcb', encodeTcb(DEFAULT_FIRMWARE[product].tcb, layout));
  const base = current ?? encodeTcb(DEFAULT_FIRMWARE[product].tcb, layout);
  const version = flags['version'] === undefined ? undefined : Number(flags['version']);
  if (version !== undefined && !isReportVersion(version)) {
    throw flagError('--version', 'must be 2, 3 or 5');
  }
  const firmwareFlag = (name: string) => {
    const text = flags[name];
    return typeof text === 'string'
      ? flagValue(flagName(name), () => parseFirmwareVersion(text)) : undefined;
  };
  const firmware = firmwareFlag('firmware');
  const committedFirmware = firmwareFlag('committedFirmware');
  const options: Record<string, unknown> = {
    seed: seedFlag(String(flags['seed'])), product,
    firmwareVersion: firmware, committedVersion: committedFirmware,
    tcb: current, reportedTcb: tcbFlag('reportedTcb', base),
    committedTcb: tcbFlag('committedTcb', base),
    launchTcb: tcbFlag('launchTcb', base),
    version: version as ReportVersion | undefined,
    signingKey: flags['signingKey'], keySel: numFlag(flags, 'keySel', 32),
    vlekCspId: flags['vlekCspId'],
    report_data: reportDataFlag(flags), host_data: hexFlag(flags, 'hostData', 32),
    measurement: hexFlag(flags, 'measurement', 48), policy: bigFlag(flags, 'policy'),
    vmpl: numFlag(flags, 'vmpl', 32), senderVmpl: numFlag(flags, 'senderVmpl', 2),
    family_id: hexFlag(flags, 'familyId', 16), image_id: hexFlag(flags, 'imageId', 16),
    guest_svn: numFlag(flags, 'guestSvn', 32),
    id_key_digest: hexFlag(flags, 'idKeyDigest', 48),
    author_key_digest: hexFlag(flags, 'authorKeyDigest', 48),
    report_id: hexFlag(flags, 'reportId', 32), report_id_ma: hexFlag(flags, 'reportIdMa', 32),
    chipId: hexFlag(flags, 'chipId'), platformInfo: bigFlag(flags, 'platformInfo'),
    maskChipId: flags['maskChipId'] === true ? true : undefined,
    maskChipKey: flags['maskChipKey'] === true ? true : undefined,
    smt: flags['smt'] === false ? false : undefined,
    vcek_disabled: flags['vcekDisabled'] === true ? true : undefined,
    launch_mit_vector: bigFlag(flags, 'launchMitVector'),
    currentMitVector: bigFlag(flags, 'currentMitVector'),
  };
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
  return options as GenerateReportOptions;
}

/** `--cert-table FILE`: the extended-report certificate blob for the chip that signed. */
function writeCertTable(path: string, generated: GeneratedReport,
    flags: Readonly<Record<string, string | boolean | undefined>>): void {
  if (generated.signingKey === 'none') {
    throw flagError('--cert-table',
      'the report is unsigned (MASK_CHIP_KEY without a VLEK): no certificates');
  }
  const set = buildCertificateSet({
    seed: String(flags['seed']), product: generated.platform.product,
    signingKey: generated.signingKey, platform: generated.platform,
  });
  writeOutput(path, extendedReportCertTable(set));
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  const stop = parseProgram(program, argv, io);
  if (stop !== undefined) return stop;
  const flags = program.opts<Record<string, string | boolean | undefined>>();
  const options = reportOptionsFromFlags(flags);
  const generated = fromFlags('snp report', REPORT_FIELD_FLAGS, () => generateReport(options));
  const certTable = flags['certTable'];
  if (typeof certTable === 'string') writeCertTable(certTable, generated, flags);
  const out = flags['out'];
  if (typeof out === 'string') {
    writeOutput(out, generated.report);
    io.stdout(`wrote ${generated.report.length} bytes to ${out} (seed ${String(flags['seed'])}, `
      + `${generated.platform.product}, VERSION ${generated.version}, `
      + `signed by ${generated.signingKey})\n`);
  } else {
    io.stdout(`${toHex(generated.report)}\n`);
  }
  return EXIT_OK;
}
