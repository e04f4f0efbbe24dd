/**
 * Models: nothing real. `parma-sim snp certs --out DIR`: flags → CertificateSetOptions → the
 * AMD certificate files a KDS would serve for one simulated chip, written under DIR:
 *   ark.pem ask.pem asvk.pem  vcek.der vcek.pem (or vlek.der vlek.pem)
 *   cert_chain.pem (ASK then ARK)  vlek_cert_chain.pem (ASVK then ARK)
 *   crl.der crl.pem (ARK-signed)
 * Same seed and flags → byte-identical files. Chip id and REPORTED_TCB default to the simulated
 * platform of `--seed`/`--product`, the same one `parma-sim snp report` uses.
 */
import { Command, Option } from 'commander';
import { fromHex, toHex } from '../kernel/bytes.js';
import { Rng } from '../kernel/rng.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import { EXIT_OK } from '../kernel/errors.js';
import {
  PRODUCTS, buildCertificateSet, certChainPem, createPlatform, decodeTcb, kdsVcekUrl,
  parseTcbText, tcbComponentsOf, toPem, type CertificateSetOptions,
} from '../index.js';
import {
  flagError, flagValue, fromFlags, productFlag, seedFlag, uintFlag,
} from './flags.js';
import { REPORT_FIELD_FLAGS } from './snp-report.js';
import type { CliIo } from './types.js';
import { newProgram, parseProgram } from './dispatch.js';
import { writeFilesInto } from './files.js';

function buildProgram(io: CliIo): Command {
  return newProgram('parma-sim snp certs', io)
    .description('Write the TEST-ONLY AMD certificate set (ARK/ASK/ASVK, VCEK or VLEK, chains, CRL)'
      + ' for a simulated chip.')
    .requiredOption('--out <dir>', 'directory to write the files into (created if missing)')
    .option('--seed <seed>', 'simulation seed: chip id, VCEK/VLEK key, PSS salts (default 0)', '0')
    .addOption(new Option('--product <product>', 'Milan, Genoa or Turin').default('Milan'))
    .addOption(new Option('--signing-key <key>', 'which endorsement key certificate to issue')
      .choices(['vcek', 'vlek']).default('vcek'))
    .option('--tcb <tcb>', 'REPORTED_TCB the VCEK/VLEK is issued for: bl=3,tee=0,snp=8,ucode=115'
      + ' (fmc= on Turin) or 0x… u64 (default: the platform\'s)')
    .option('--chip-id <hex>',
      'CHIP_ID (64 bytes; 8 on Turin, zero-padded) (default: from the seed)')
    .option('--vlek-csp-id <id>', 'csp_id of the VLEK (default CN=parma-sim.test)')
    .option('--revoke <serial...>', 'serial(s) the CRL lists as revoked, e.g. 0x10001 (ASK-Milan)')
    .option('--strict-x509',
      'quirk: add SKI/AKI to the VCEK/VLEK so `openssl verify -x509_strict` passes');
}

/** Flags → library options (no defaults of our own: the platform model supplies them). */
export function certOptionsFromFlags(
  flags: Readonly<Record<string, unknown>>,
): CertificateSetOptions {
  const seed = seedFlag(String(flags['seed']));
  const product = productFlag(String(flags['product']));
  const info = PRODUCTS[product];
  const cspId = typeof flags['vlekCspId'] === 'string' ? flags['vlekCspId'] : undefined;
  const platform = fromFlags('snp certs', REPORT_FIELD_FLAGS, () => createPlatform({
    rng: Rng.fromSeed(seed).fork('snp'), product,
    ...(cspId === undefined ? {} : { vlekCspId: cspId }),
  }));
  let chipId: Uint8Array | undefined;
  if (typeof flags['chipId'] === 'string') {
    const given = fromHex(flags['chipId'], '--chip-id');
    if (given.length !== 64 && given.length !== info.hwidBytes) {
      const sizes = `64${info.hwidBytes === 8 ? ' or 8' : ''}`;
      throw flagError('--chip-id', `${product} needs ${sizes} bytes, got ${given.length}`);
    }
    chipId = new Uint8Array(64);
    chipId.set(given);
  }
  const tcbText = flags['tcb'];
  const tcb = typeof tcbText === 'string'
    ? flagValue('--tcb', () => parseTcbText(tcbText, info.tcbLayout, platform.reported_tcb))
    : undefined;
  const revoke = Array.isArray(flags['revoke'])
    ? flags['revoke'].map((s) => uintFlag('--revoke', String(s), 160))
    : [];
  return {
    seed, product, platform, signingKey: flags['signingKey'] === 'vlek' ? 'vlek' : 'vcek',
    ...(chipId === undefined ? {} : { chipId }),
    ...(tcb === undefined ? {} : { tcb }),
    ...(cspId === undefined ? {} : { cspId }),
    revokedSerials: revoke,
    quirks: { addKeyIdentifiers: flags['strictX509'] === true },
  };
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  const stop = parseProgram(program, argv, io);
  if (stop !== undefined) return stop;
  const flags = program.opts<Record<string, unknown>>();
  const options = certOptionsFromFlags(flags);
  const set = fromFlags('snp certs', REPORT_FIELD_FLAGS, () => buildCertificateSet(options));
  const leaf = set.signingKey;
  const files: Record<string, Uint8Array | string> = {
    'ark.pem': toPem(set.ark), 'ask.pem': toPem(set.ask), 'asvk.pem': toPem(set.asvk),
    [`${leaf}.der`]: set.endorsementCert, [`${leaf}.pem`]: toPem(set.endorsementCert),
    'cert_chain.pem': certChainPem(set, 'vcek'), 'vlek_cert_chain.pem': certChainPem(set, 'vlek'),
    'crl.der': set.crl, 'crl.pem': toPem(set.crl, 'X509 CRL'),
  };
  const out = String(flags['out']);
  writeFilesInto(out, files);
  const layout = PRODUCTS[set.product].tcbLayout;
  io.stdout(`${canonicalJson({
    out, seed: String(flags['seed']), product: set.product, signingKey: leaf,
    files: Object.keys(files).sort(),
    chip_id: toHex(set.chipId), reported_tcb: tcbComponentsOf(decodeTcb(set.tcb, layout), layout),
    kdsVcekUrl: leaf === 'vcek'
      ? kdsVcekUrl({ product: set.product, chipId: set.chipId, tcb: decodeTcb(set.tcb, layout) })
      : undefined,
  }, 2)}\n`);
  return EXIT_OK;
}
