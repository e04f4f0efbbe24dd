/**
 * Models: nothing real. `parma-sim policy fragment <sign|verify|issuer>`: make signed policy
 * fragments with a deterministic test issuer, verify any COSE_Sign1 fragment or signed statement
 * (including Microsoft's real UVM reference info) as the GCS does, and print a test issuer's DIDs.
 * Flag parsing is commander's (exitOverride: a usage error is exit 2); output is JSON.
 * Exit codes: 0 verified, 10 a well-formed envelope failed a check (POLICY_FRAGMENT_*), 30 bytes
 * that do not decode (POLICY_BAD_FRAGMENT), 40 I/O, 2 usage.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { Option } from 'commander';
import { EXIT_MALFORMED, EXIT_OK, EXIT_REJECTED, SimError } from '../kernel/errors.js';
import {
  certificateFingerprint, createTestIssuer, parseFragmentNamespace, signFragment,
  verifyFragmentEnvelope, verifySignedStatement, type SignedStatement, type TestIssuer,
  type TestIssuerCurve,
} from '../index.js';
import { flagValue, seedFlag } from './flags.js';
import type { CliIo } from './types.js';
import { dispatchSubcommand, newProgram, parseProgram, type Subcommand } from './dispatch.js';
import { readInput, writeOutput } from './files.js';

type Flags = Readonly<Record<string, string | boolean | undefined>>;

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function issuerFromFlags(flags: Flags): TestIssuer {
  const seed = seedFlag(String(flags['seed'] ?? '0'));
  const curve = (flags['curve'] ?? 'P-384') as TestIssuerCurve;
  const eku = flags['eku'];
  if (typeof eku !== 'string') return createTestIssuer({ seed, curve });
  // The EKU is the one value the issuer checks; from a flag, a bad one is a usage error.
  return flagValue('--eku', () => createTestIssuer({ seed, curve, ekuOid: eku }));
}

/** A file holding base64 text (as the bridge carries it) rather than raw CBOR. */
function envelopeInput(bytes: Uint8Array): Uint8Array | string {
  const text = Buffer.from(bytes).toString('latin1').trim();
  return text.length > 0 && /^[A-Za-z0-9+/=\s]+$/.test(text) ? text : bytes;
}

function chainSummary(statement: SignedStatement): unknown[] {
  return statement.chain.map((der) => ({
    subject: new X509Certificate(der).subject.replace(/\n/g, ', '),
    sha256: certificateFingerprint(der),
  }));
}

async function sign(argv: readonly string[], io: CliIo): Promise<number> {
  const cmd = newProgram('parma-sim policy fragment sign', io)
    .description('Sign a Rego fragment as a COSE_Sign1 envelope with a deterministic test issuer.')
    .requiredOption('--fragment <file>', 'the fragment Rego text (first line: package <name>)')
    .requiredOption('--feed <feed>', 'the feed header, e.g. contoso.azurecr.io/infra')
    .option('--svn <svn>', 'header SVN (CWT claim svn), as a string')
    .option('--seed <seed>', 'test issuer seed (default 0)', '0')
    .addOption(new Option('--curve <curve>', 'test issuer key curve')
      .choices(['P-384', 'P-256']).default('P-384'))
    .option('--eku <oid>', 'fragment-signing EKU of the leaf (default the ACI one)')
    .option('--subject-did', 'write the ::subject:CN: DID as issuer instead of the ::eku: one')
    .option('--out <file>', 'write the envelope here (default: base64 on stdout)')
    .option('--base64', 'write base64 text to --out instead of raw CBOR');
  const stop = parseProgram(cmd, argv, io);
  if (stop !== undefined) return stop;
  const flags = cmd.opts<Flags>();
  const issuer = issuerFromFlags(flags);
  const regoText = new TextDecoder().decode(readInput(String(flags['fragment']), '--fragment'));
  const envelope = signFragment({
    regoText, feed: String(flags['feed']), issuer,
    ...(typeof flags['svn'] === 'string' ? { svn: flags['svn'] } : {}),
    ...(flags['subjectDid'] === true ? { issuerDid: issuer.didSubject } : {}),
  });
  const b64 = Buffer.from(envelope).toString('base64');
  let namespace: string | { error: string };
  try {
    namespace = parseFragmentNamespace(regoText);
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    namespace = { error: error.code }; // signed anyway: hostile fragments are for attack scenarios
  }
  if (typeof flags['out'] === 'string') {
    writeOutput(flags['out'], flags['base64'] === true ? `${b64}\n` : envelope);
  }
  io.stdout(json({
    issuer: flags['subjectDid'] === true ? issuer.didSubject : issuer.did, feed: flags['feed'],
    svn: flags['svn'] ?? null, namespace, bytes: envelope.length,
    sha256: createHash('sha256').update(envelope).digest('hex'),
    ...(typeof flags['out'] === 'string' ? { out: flags['out'] } : { base64: b64 }),
  }));
  return EXIT_OK;
}

async function verify(argv: readonly string[], io: CliIo): Promise<number> {
  const cmd = newProgram('parma-sim policy fragment verify', io)
    .description('Verify a COSE_Sign1 fragment (raw CBOR or base64) as the GCS does before Rego.')
    .argument('<file>', 'the envelope (raw CBOR or base64 text; - for stdin)')
    .option('--issuer <did>', 'require this issuer DID')
    .option('--feed <feed>', 'require this feed')
    .option('--statement',
      'any signed statement: skip the Rego package-line checks (e.g. UVM reference info)');
  const stop = parseProgram(cmd, argv, io);
  if (stop !== undefined) return stop;
  const flags = cmd.opts<Flags>();
  const input = envelopeInput(readInput(String(cmd.args[0]), 'envelope'));
  const options = {
    ...(typeof flags['issuer'] === 'string' ? { expectedIssuer: flags['issuer'] } : {}),
    ...(typeof flags['feed'] === 'string' ? { expectedFeed: flags['feed'] } : {}),
  };
  try {
    const statement = flags['statement'] === true
      ? verifySignedStatement(input, options)
      : verifyFragmentEnvelope(input, options);
    const { payload, chain: _chain, ...rest } = statement;
    io.stdout(json({
      ok: true, ...rest, chain: chainSummary(statement),
      payloadSha256: createHash('sha256').update(payload).digest('hex'),
      ...('payloadText' in statement ? {} : { payloadText: new TextDecoder().decode(payload) }),
    }));
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof SimError) || error.area !== 'POLICY') throw error;
    io.stdout(json({ ok: false, code: error.code, message: error.message, detail: error.detail }));
    return error.code === 'POLICY_BAD_FRAGMENT' ? EXIT_MALFORMED : EXIT_REJECTED;
  }
}

async function issuer(argv: readonly string[], io: CliIo): Promise<number> {
  const cmd = newProgram('parma-sim policy fragment issuer', io)
    .description("Print a test issuer's DIDs and certificate chain (PEM, leaf first).")
    .option('--seed <seed>', 'test issuer seed (default 0)', '0')
    .addOption(new Option('--curve <curve>', 'key curve')
      .choices(['P-384', 'P-256']).default('P-384'))
    .option('--eku <oid>', 'fragment-signing EKU of the leaf (default the ACI one)');
  const stop = parseProgram(cmd, argv, io);
  if (stop !== undefined) return stop;
  const testIssuer = issuerFromFlags(cmd.opts<Flags>());
  io.stdout(json({
    seed: testIssuer.seed, did: testIssuer.did, didSubject: testIssuer.didSubject,
    rootFingerprint: testIssuer.rootFingerprint, ekuOid: testIssuer.ekuOid,
    algorithm: testIssuer.algorithm.name,
    chainPem: testIssuer.chain.map((der) => new X509Certificate(der).toString()).join(''),
  }));
  return EXIT_OK;
}

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  sign: { summary: 'sign a Rego fragment with a deterministic test issuer', run: sign },
  verify: {
    summary: 'verify an envelope: signature, issuer/feed, did:x509, package line', run: verify,
  },
  issuer: { summary: "print a test issuer's DIDs and chain", run: issuer },
};

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  return dispatchSubcommand('parma-sim policy fragment', SUBCOMMANDS, argv, io);
}
