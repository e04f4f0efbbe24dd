/**
 * Models: nothing real. `parma-sim snp verify --report FILE --certs DIR`: reads the report and the
 * certificate files, calls models/verifier, prints the verdict as canonical JSON.
 * Exit codes (sim/kernel/errors.ts): 0 accepted; 10 rejected (a well-formed report that fails a
 * check: the verdict lists every failure with its VERIFY_* code); 30 malformed input (a report or
 * certificate that does not decode: SNP_* on stderr); 40 unreadable file; 2 usage error.
 * Trust: AMD's real roots by default; `--test-roots` pins parma-sim's TEST-ONLY roots instead;
 * `--trust-anchor ark.pem` pins a given ARK. Time: validity is checked only with `--at`.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { fromHex } from '../kernel/bytes.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import { EXIT_OK, EXIT_REJECTED, SimError } from '../kernel/errors.js';
import {
  POLICY_FLAG_NAMES, PRODUCTS, amdTrustAnchors, decodeTcb, fromPem, parmaSimTestAnchors,
  parseCertificate, parseTcbText, productHint, productOfName, trustAnchorFromArk,
  verifyAttestationReport, type AppraisalOptions, type EvidenceCertificates, type PolicyFlag,
  type Product, type TrustAnchor,
} from '../api/verify.js';
import { flagError, flagName, flagValue, productFlag, reasonOf } from './flags.js';
import type { CliIo } from './types.js';
import { newProgram, parseProgram } from './dispatch.js';
import { readInput } from './files.js';

function buildProgram(io: CliIo): Command {
  return newProgram('parma-sim snp verify', io)
    .description('Verify an ATTESTATION_REPORT against its AMD certificate chain and appraise it;'
      + ' prints a JSON verdict.')
    .requiredOption('--report <file>', 'raw 1184-byte report')
    .requiredOption('--certs <dir|file>',
      'directory with vcek.der|vcek.pem (or vlek.*), and optionally '
      + 'ark.pem, ask.pem, asvk.pem or cert_chain.pem; or one file: an Azure THIM JSON '
      + '({vcekCert, certificateChain}) or a PEM bundle such as vcek+ask+ark')
    .option('--crl <file>', 'ARK-signed CRL (DER or PEM); revoked ASK/ASVK fail; a bad CRL fails')
    .option('--test-roots', 'trust parma-sim\'s TEST-ONLY roots instead of AMD\'s')
    .option('--trust-anchor <ark.pem...>',
      'trust these ARK certificates (product from their CN ARK-<Product>)')
    .option('--product <product>', 'expected product (Milan, Genoa, Turin);'
      + ' needed for v2 reports whose chain does not name it')
    .option('--at <time>', 'check certificate validity at this ISO-8601 time, or "now"'
      + ' (default: no validity check)')
    .option('--measurement <hex>', 'expected MEASUREMENT (48 bytes)')
    .option('--host-data <hex>', 'expected HOST_DATA (32 bytes)')
    .option('--report-data <hex>', 'expected REPORT_DATA (up to 64 bytes, zero-padded)')
    .option('--min-tcb <tcb>',
      'minimum REPORTED_TCB, component-wise: bl=3,tee=0,snp=8,ucode=115 (fmc= on Turin)')
    .option('--max-vmpl <n>', 'maximum VMPL')
    .option('--allow-debug', 'accept guest POLICY.DEBUG (denied by default)')
    .option('--forbid-policy-bit <name...>',
      `guest POLICY flags that must be clear (${POLICY_FLAG_NAMES.join(', ')})`)
    .option('--require-policy-bit <name...>',
      'guest POLICY flags that must be set (e.g. mem_aes_256_xts)')
    .addOption(new Option('--signing-key <key>', 'require reports signed by this key')
      .choices(['vcek', 'vlek']))
    .option('--no-strict-reserved', 'tolerate reserved bytes and bits set inside the signed span'
      + ' (after the signature they always fail, as do VMPL > 3 and SIGNATURE_ALGO != 1)');
}

/** The certificates of a PEM text; an error names the file they came from. */
function pemBlocks(text: string, path: string): Uint8Array[] {
  try {
    return fromPem(text);
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    throw new SimError(error.code, { path, ...error.detail }, `${path}: ${reasonOf(error)}`);
  }
}

/** The first existing file of `names` in `dir`, read. */
function readFirst(dir: string, names: readonly string[]): Uint8Array | undefined {
  for (const name of names) {
    if (existsSync(join(dir, name))) return readInput(join(dir, name), name);
  }
  return undefined;
}

/**
 * Certificates from a KDS-style directory; a cert_chain.pem stands in for missing ask/ark files.
 */
export function readCertificateDir(dir: string): EvidenceCertificates {
  if (!existsSync(dir)) {
    throw new SimError('SIM_IO', { path: dir }, `certificates ${dir} do not exist`);
  }
  if (!statSync(dir).isDirectory()) return readCertificateFile(dir);
  const chain = (file: string): Uint8Array[] => {
    const bytes = readFirst(dir, [file]);
    const text = bytes === undefined ? '' : Buffer.from(bytes).toString('latin1');
    return pemBlocks(text, join(dir, file));
  };
  const vcekChain = chain('cert_chain.pem');
  const vlekChain = chain('vlek_cert_chain.pem');
  const certs: Record<string, Uint8Array | undefined> = {
    vcek: readFirst(dir, ['vcek.der', 'vcek.pem']),
    vlek: readFirst(dir, ['vlek.der', 'vlek.pem']),
    ask: readFirst(dir, ['ask.pem', 'ask.der']) ?? vcekChain[0],
    asvk: readFirst(dir, ['asvk.pem', 'asvk.der']) ?? vlekChain[0],
    ark: readFirst(dir, ['ark.pem', 'ark.der']) ?? vcekChain[1] ?? vlekChain[1],
  };
  return presentCertificates(certs, dir);
}

function presentCertificates(
  certs: Record<string, Uint8Array | undefined>, where: string,
): EvidenceCertificates {
  if (certs['vcek'] === undefined && certs['vlek'] === undefined) {
    throw new SimError('SNP_BAD_CERT', { where }, `no VCEK or VLEK certificate in ${where}`);
  }
  const present = Object.entries(certs).filter(([, v]) => v !== undefined);
  return Object.fromEntries(present) as EvidenceCertificates;
}

/** The role of an AMD certificate, from its subject CN (AMD profile, spec snp.md e.3). */
function roleOf(der: Uint8Array, where: string): keyof EvidenceCertificates {
  const cn = parseCertificate(der, where).subjectCn ?? '';
  if (cn === 'SEV-VCEK') return 'vcek';
  if (cn === 'SEV-VLEK') return 'vlek';
  if (cn.startsWith('ARK-')) return 'ark';
  if (cn.startsWith('SEV-VLEK-')) return 'asvk';
  if (cn.startsWith('SEV-')) return 'ask';
  throw new SimError('SNP_BAD_CERT', { where, subject: cn },
    `${where}: '${cn}' is not an AMD certificate`);
}

/**
 * One file of certificates: an Azure THIM / IMDS JSON (`vcekCert` and `certificateChain` PEM,
 * spec snp.md e.5), a PEM bundle in any order, or a single DER certificate. Roles come from the
 * subject names, so the order of a bundle does not matter.
 */
function readCertificateFile(path: string): EvidenceCertificates {
  const bytes = readInput(path, 'certificates');
  const text = Buffer.from(bytes).toString('latin1');
  let blocks: Uint8Array[];
  if (text.trimStart().startsWith('{')) {
    let thim: unknown;
    try {
      thim = JSON.parse(text);
    } catch {
      throw new SimError('SNP_BAD_CERT', { path },
        `${path}: not JSON (expected a THIM {vcekCert, certificateChain})`);
    }
    const record = (thim ?? {}) as Record<string, unknown>;
    const pems = [record['vcekCert'], record['certificateChain']];
    if (pems.some((pem) => typeof pem !== 'string')) {
      throw new SimError('SNP_BAD_CERT', { path },
        `${path}: THIM JSON needs string vcekCert and certificateChain`);
    }
    blocks = pems.flatMap((pem) => pemBlocks(pem as string, path));
  } else {
    blocks = text.includes('-----BEGIN') ? pemBlocks(text, path) : [bytes];
  }
  const certs: Record<string, Uint8Array | undefined> = {};
  for (const der of blocks) certs[roleOf(der, path)] ??= der;
  return presentCertificates(certs, path);
}

function anchorsFromFlags(flags: Readonly<Record<string, unknown>>): readonly TrustAnchor[] {
  const files = Array.isArray(flags['trustAnchor']) ? flags['trustAnchor'].map(String) : [];
  const given = files.map((file): TrustAnchor => {
    const ark = parseCertificate(readInput(file, 'trust anchor'), file);
    const product = productOfName(ark.subjectCn?.replace(/^ARK-/, ''));
    if (product === undefined) {
      throw new SimError('SNP_BAD_PRODUCT', { file, subject: ark.subjectCn },
        `${file}: '${ark.subjectCn ?? '?'}' is not an ARK-<Product>`);
    }
    return trustAnchorFromArk(product, ark.der, file);
  });
  if (given.length > 0) return given;
  return flags['testRoots'] === true ? parmaSimTestAnchors() : amdTrustAnchors();
}

function atFlag(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  // The CLI may read the wall clock (models never do): "now" is the caller's explicit choice.
  const at = text === 'now' ? new Date(Date.now()) : new Date(text);
  if (Number.isNaN(at.getTime())) {
    throw flagError('--at', `'${text.slice(0, 40)}' is not an ISO-8601 time or "now"`);
  }
  return at;
}

function appraisalFromFlags(
  flags: Readonly<Record<string, unknown>>, product: Product | undefined,
): AppraisalOptions {
  const hex = (name: string, bytes: number): Uint8Array | undefined => {
    if (typeof flags[name] !== 'string') return undefined;
    const value = fromHex(flags[name], flagName(name));
    if (value.length > bytes) {
      throw flagError(flagName(name), `at most ${bytes} bytes, got ${value.length}`);
    }
    if (name !== 'reportData' && value.length !== bytes) {
      throw flagError(flagName(name), `expected ${bytes} bytes, got ${value.length}`);
    }
    const padded = new Uint8Array(bytes);
    padded.set(value);
    return padded;
  };
  const bits = (name: string): PolicyFlag[] | undefined => {
    const list = flags[name];
    if (!Array.isArray(list)) return undefined;
    for (const bit of list) {
      if (!POLICY_FLAG_NAMES.includes(String(bit))) {
        throw flagError(flagName(name),
          `unknown policy bit '${String(bit)}' (known: ${POLICY_FLAG_NAMES.join(', ')})`);
      }
    }
    return list.map(String) as PolicyFlag[];
  };
  const layout = PRODUCTS[product ?? 'Milan'].tcbLayout;
  const minTcb = flags['minTcb'];
  const maxVmpl = typeof flags['maxVmpl'] === 'string' ? Number(flags['maxVmpl']) : undefined;
  if (maxVmpl !== undefined && !(Number.isInteger(maxVmpl) && maxVmpl >= 0 && maxVmpl <= 3)) {
    throw flagError('--max-vmpl', `'${String(flags['maxVmpl'])}' is not 0..3`);
  }
  const options: Record<string, unknown> = {
    measurement: hex('measurement', 48), hostData: hex('hostData', 32),
    reportData: hex('reportData', 64),
    allowDebug: flags['allowDebug'] === true, forbiddenPolicyBits: bits('forbidPolicyBit'),
    requiredPolicyBits: bits('requirePolicyBit'),
    minTcb: typeof minTcb === 'string'
      ? decodeTcb(flagValue('--min-tcb', () => parseTcbText(minTcb, layout, 0n)), layout)
      : undefined,
    maxVmpl, signingKey: flags['signingKey'],
  };
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
  return options as AppraisalOptions;
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  const stop = parseProgram(program, argv, io);
  if (stop !== undefined) return stop;
  const flags = program.opts<Record<string, unknown>>();
  const expected = typeof flags['product'] === 'string' ? productFlag(flags['product']) : undefined;
  const at = atFlag(flags['at']);
  const report = readInput(String(flags['report']), 'report');
  const appraisal = appraisalFromFlags(flags, productHint(report, expected)); // flags first
  const certs = readCertificateDir(String(flags['certs']));
  const crl = typeof flags['crl'] === 'string' ? readInput(flags['crl'], 'CRL') : undefined;
  const verdict = verifyAttestationReport(report, certs, {
    trustAnchors: anchorsFromFlags(flags), appraisal,
    strictReserved: flags['strictReserved'] !== false,
    ...(expected === undefined ? {} : { product: expected }),
    ...(at === undefined ? {} : { at }),
    ...(crl === undefined ? {} : { crl }),
  });
  io.stdout(`${canonicalJson(verdict, 2)}\n`);
  return verdict.ok ? EXIT_OK : EXIT_REJECTED;
}
