/**
 * Goal: a firmware update changes what KDS must serve, as on real chips: after the update the
 * report verifies only with a VCEK certificate issued for the new REPORTED_TCB; the certificate
 * for the old TCB is rejected.
 * Method: platform → update → report; certificate sets for the old and the new platform; the
 * verifier (node:crypto ECDSA, X.509 extensions) judges. No key is compared with another.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snpStream, rootOf, guestStream } from '../support/snp.js';
import {
  createPlatform, downloadFirmware, parseFirmwareVersion, type PlatformState,
} from '../../models/snp/platform.js';
import { createFirmware, requestReport, signReport } from '../../models/snp/firmware.js';
import { guestContextFromFields } from '../../models/snp/guest-context-fields.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import { encodeTcb } from '../../models/snp/tcb-version.js';
import { verifyAttestationReport } from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';

const SEED = 21;
const before = createPlatform({ rng: snpStream(SEED), product: 'Genoa' });
const after = downloadFirmware(before, {
  version: parseFirmwareVersion('1.55.44'),
  tcb: encodeTcb({ fmc: 0, bl: 10, tee: 0, snp: 26, ucode: 88 }, 'legacy'),
});

function reportOn(platform: PlatformState): Uint8Array {
  const firmware = createFirmware(rootOf(SEED), platform);
  const response = requestReport(firmware, {
    context: guestContextFromFields({ rng: guestStream(SEED), launchTcb: platform.current_tcb }),
    senderVmpl: 0, request: { report_data: new Uint8Array(64), vmpl: 0, key_sel: 0 },
  });
  assert.is(response.statusName, 'SUCCESS');
  if (response.statusName !== 'SUCCESS') throw new Error('unreachable');
  return signReport(firmware, response.value);
}

function failureCodes(report: Uint8Array, platform: PlatformState): string[] {
  const set = buildCertificateSet({ seed: SEED, product: 'Genoa', platform });
  const verdict = verifyAttestationReport(report, {
    ark: set.ark, ask: set.ask, vcek: set.endorsementCert,
  }, { trustAnchors: parmaSimTestAnchors(), product: 'Genoa' });
  return verdict.failures.map((f) => f.code);
}

test('verifier/firmware-update: the post-update report verifies with the new TCB\'s VCEK', () => {
  assert.equal(failureCodes(reportOn(after), after), []);
});

test('verifier/firmware-update: the post-update report fails with the old TCB\'s VCEK', () => {
  const codes = failureCodes(reportOn(after), before);
  assert.ok(codes.includes('VERIFY_TCB_MISMATCH'), codes.join(', '));
  assert.ok(codes.includes('VERIFY_BAD_SIGNATURE'), codes.join(', '));
});

test('verifier/firmware-update: the pre-update report verifies with the old TCB\'s VCEK', () => {
  assert.equal(failureCodes(reportOn(before), before), []);
});

test.run();
