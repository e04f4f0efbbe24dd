/**
 * Goal: bad input never crashes anything (DESIGN principles): every decoder and decision entry
 * point answers hostile bytes and hostile JSON with a SimError or a value, never with a raw
 * exception or an assertion failure.
 * Method: fast-check properties with fixed seeds over mutations (1-4 bytes changed, or a
 * truncation) of valid artifacts, real ones from ../shared/testdata where they exist; a
 * counterexample is a bug to fix, with its seed kept in the test that found it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimError } from '../../sim/kernel/errors.js';
import { Rng } from '../../sim/kernel/rng.js';
import { generateReport } from '../../models/snp/report-generator.js';
import { reportJson } from '../../models/snp/report-view.js';
import { decodeCertTable } from '../../models/snp/cert-table.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import { openGuestMessage, sealGuestMessage } from '../../models/snp/guest-message-channel.js';
import { signIdBlock, testIdSigningKey } from '../../models/snp/launch/id-key.js';
import { verifyIdAuth } from '../../models/snp/launch/id-auth.js';
import { loadFirmwareImage } from '../../models/hypervisor/qemu-launch-driver.js';
import { verifyAttestationReport } from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { emptyMetadata } from '../../models/policy/metadata.js';
import { ENFORCEMENT_POINT_NAMES } from '../../models/policy/enforcement-points.js';
import { shared, sharedTest } from '../support/requires.js';

const SUITE = 'robustness/hostile-input';
const RUNS = 200;

/** Valid bytes with 1-4 bytes replaced, or cut short. */
function mutationsOf(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edited = fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })),
    { minLength: 1, maxLength: 4 }).map((edits) => {
    const copy = bytes.slice();
    for (const [index, value] of edits) copy[index] = value;
    return copy;
  });
  return fc.oneof(edited, fc.nat(bytes.length - 1).map((length) => bytes.slice(0, length)));
}

/** Runs `fn` on every generated input; only SimError may escape it. */
function neverCrashes<T>(
  arbitrary: fc.Arbitrary<T>, fn: (value: T) => unknown, seed: number,
): void {
  fc.assert(fc.property(arbitrary, (value) => {
    try {
      fn(value);
    } catch (error) {
      if (!(error instanceof SimError)) throw error;
    }
  }), { numRuns: RUNS, seed });
}

const generated = generateReport({ seed: 5, product: 'Milan' });
const certs = buildCertificateSet({ seed: 5, product: 'Milan', platform: generated.platform });
const evidence = { ark: certs.ark, ask: certs.ask, vcek: certs.endorsementCert };
const options = { trustAnchors: parmaSimTestAnchors(), product: 'Milan' as const };

test(`${SUITE}: the report JSON view of a mutated report`, () => {
  neverCrashes(mutationsOf(generated.report), (bytes) => reportJson(bytes), 1);
});

test(`${SUITE}: verifying a mutated report`, () => {
  neverCrashes(mutationsOf(generated.report),
    (bytes) => verifyAttestationReport(bytes, evidence, options), 2);
});

test(`${SUITE}: verifying with a mutated ARK, ASK, VCEK or CRL`, () => {
  const roles = ['ark', 'ask', 'vcek'] as const;
  roles.forEach((role, index) => {
    neverCrashes(mutationsOf(evidence[role]), (bytes) => verifyAttestationReport(generated.report,
      { ...evidence, [role]: bytes }, options), 10 + index);
  });
  neverCrashes(mutationsOf(certs.crl),
    (crl) => verifyAttestationReport(generated.report, evidence, { ...options, crl }), 13);
});

test(`${SUITE}: decoding hostile extended-report certificate tables`, () => {
  neverCrashes(fc.uint8Array({ maxLength: 256 }), (bytes) => decodeCertTable(bytes), 3);
});

test(`${SUITE}: opening a mutated guest message`, () => {
  const vmpck = new Uint8Array(32).fill(7);
  const sealed = sealGuestMessage({
    vmpck, vmpckIndex: 0, seqno: 1n, msgType: 5, payload: new Uint8Array(0x60),
  });
  neverCrashes(mutationsOf(sealed), (bytes) => openGuestMessage(bytes, vmpck), 4);
});

test(`${SUITE}: LAUNCH_FINISH ID checks on a mutated ID block or ID auth info`, () => {
  const rng = Rng.fromSeed(5);
  const ld = new Uint8Array(48).fill(9);
  const signed = signIdBlock({
    ld, policy: 0x30000n, idKey: testIdSigningKey(rng.fork('id')),
    authorKey: testIdSigningKey(rng.fork('author')),
  });
  neverCrashes(mutationsOf(signed.id_auth_info), (id_auth_info) => verifyIdAuth(
    { id_block: signed.id_block, id_auth_info, auth_key_en: true }, ld, 0x30000n), 5);
  neverCrashes(mutationsOf(signed.id_block), (id_block) => verifyIdAuth(
    { id_block, id_auth_info: signed.id_auth_info, auth_key_en: true }, ld, 0x30000n), 6);
});

sharedTest(`${SUITE}: loading a mutated real OVMF image`, () => {
  const path = shared('vectors', 'inputs', 'ovmf_AmdSev_suffix.bin');
  const image = new Uint8Array(readFileSync(path));
  neverCrashes(mutationsOf(image), (bytes) => loadFirmwareImage(bytes), 7);
});

sharedTest(`${SUITE}: importing mutated real policies (Rego, legacy JSON, ARM template)`, () => {
  const root = shared('policies');
  const files = ['confcom/multi_containers.policy.rego', 'confcom/sample-template-output.json',
    'confidential-sidecar-containers/legacy_json_policy_tampered.decoded.json'];
  files.forEach((file, index) => {
    neverCrashes(mutationsOf(new Uint8Array(readFileSync(join(root, file)))),
      (bytes) => loadSecurityPolicy(bytes), 20 + index);
  });
});

sharedTest(`${SUITE}: every enforcement point given arbitrary JSON input`, () => {
  const root = shared('policies');
  const { policy } = loadSecurityPolicy(
    new Uint8Array(readFileSync(join(root, 'confcom', 'multi_containers.policy.rego'))));
  ENFORCEMENT_POINT_NAMES.forEach((rule, index) => {
    neverCrashes(fc.jsonValue(), (input) => {
      const decision = evaluateEnforcementPoint(policy, emptyMetadata(), rule, input);
      assert.type(decision.allowed, 'boolean');
    }, 100 + index);
  });
});

test.run();
