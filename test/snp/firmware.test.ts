/**
 * Goal: the fake AMD-SP fills reports as real firmware does and answers bad requests with the AMD
 * status codes.
 * Method: configure platform + guest context from each real report's SOURCES.md facts and require
 * the firmware to rebuild that report's signed span byte for byte (so VERSION per firmware,
 * PLATFORM_INFO per firmware, KEY_INFO, CHIP_ID masking and every copied field are checked against
 * real hardware); then KEY_SEL / VMPL / MASK_CHIP_KEY statuses, signatures under an independent
 * verifier (node:crypto), firmware update and rollback, SNP_CONFIG.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snpStream, rootOf, guestStream } from '../support/snp.js';
import { fromHex, hexBytes, isAllZero, toHex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { decodeAttestationReport, SIGNED_BYTES } from '../../models/snp/attestation-report.js';
import { deriveVcek, type EndorsementKey } from '../../models/snp/endorsement-keys.js';
import {
  createFirmware, reportVersionFor, requestReport, signReport, type FirmwareState,
  type ReportRequestInput,
} from '../../models/snp/firmware.js';
import { guestContextFromFields } from '../../models/snp/guest-context-fields.js';
import { decodeKeyInfo } from '../../models/snp/key-info.js';
import {
  commitFirmware, createPlatform, downloadFirmware, parseFirmwareVersion, platformVcek,
  platformVlek, snpConfig, type PlatformState,
} from '../../models/snp/platform.js';
import type { Product } from '../../models/snp/product.js';
import { reportSignatureP1363 } from '../../models/snp/report-signature.js';
import { encodeTcb } from '../../models/snp/tcb-version.js';
import { shared, sharedTests } from '../support/requires.js';
import { loadReportFacts, type ReportFacts } from './sources-facts.js';

const SUITE = 'snp/firmware';

/** ECDSA P-384/SHA-384 over [0, 0x2A0) with node:crypto: independent of the signing library. */
function verifiesWith(report: Uint8Array, key: EndorsementKey): boolean {
  const point = key.publicKey;
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const publicKey = createPublicKey({
    key: { kty: 'EC', crv: 'P-384', x: b64(point.subarray(1, 49)), y: b64(point.subarray(49)) },
    format: 'jwk',
  });
  const signature = reportSignatureP1363(report);
  if (signature === undefined) return false;
  return cryptoVerify(
    'sha384', report.subarray(0, SIGNED_BYTES), { key: publicKey, dsaEncoding: 'ieee-p1363' },
    signature,
  );
}

function signedReport(firmware: FirmwareState, input: ReportRequestInput): Uint8Array {
  const response = requestReport(firmware, input);
  if (response.status !== 0 || !('value' in response)) {
    throw new Error(`expected success, got ${response.statusName}`);
  }
  return signReport(firmware, response.value);
}

function setup(
  product: Product, options: Partial<Parameters<typeof createPlatform>[0]> = {}, seed = 11,
) {
  const platform = createPlatform({ rng: snpStream(seed), product, ...options });
  const firmware = createFirmware(rootOf(seed), platform);
  const context = guestContextFromFields({ rng: guestStream(seed),
    launchTcb: platform.current_tcb, guest_svn: 5 });
  return { platform, firmware, context };
}

const zeros64 = new Uint8Array(64);

// ---------------------------------------------------------------------------------------------
// Real reports rebuilt from their facts

function rebuild(fact: ReportFacts): Uint8Array {
  const product = fact.product as Product;
  const n = fact.numbers;
  const hex = (name: string) => fromHex(fact.hex[name]!);
  const masked = isAllZero(hex('chip_id'));
  const platform = createPlatform({ rng: snpStream(1), product,
    firmwareVersion: parseFirmwareVersion(fact.currentVersion),
    committedVersion: parseFirmwareVersion(fact.committedVersion),
    tcb: fact.tcb['current_tcb']!.raw, committedTcb: fact.tcb['committed_tcb']!.raw,
    reportedTcb: fact.tcb['reported_tcb']!.raw,
    ...(masked ? { maskChipId: true } : { chipId: hex('chip_id') }),
    ...(fact.keyInfo['signing_key'] === 1 ? { vlekCspId: 'CN=from-sources.test' } : {}),
    // The platform's switches: SMT and TSME come from the fact; ECC, alias check and bit 6 are
    // the firmware model's rule and must reproduce the real value.
    smt: (n['platform_info']! & 1n) === 1n, tsme: (n['platform_info']! & 2n) === 2n,
    currentMitVector: n['current_mit_vector'] ?? 0n,
    ...(fact.cpuid === undefined ? {} : {
      cpuid: { family: fact.cpuid[0], model: fact.cpuid[1], stepping: fact.cpuid[2] },
    }),
  });
  const context = guestContextFromFields({
    rng: guestStream(1), launchTcb: fact.tcb['launch_tcb']!.raw, policy: n['policy']!,
    guest_svn: Number(n['guest_svn']),
    family_id: hex('family_id'), image_id: hex('image_id'), measurement: hex('measurement'),
    host_data: hex('host_data'), id_key_digest: hex('id_key_digest'),
    author_key_digest: hex('author_key_digest'), report_id: hex('report_id'),
    report_id_ma: hex('report_id_ma'), launch_mit_vector: n['launch_mit_vector'] ?? 0n,
  });
  const vmpl = Number(n['vmpl']);
  return signedReport(createFirmware(rootOf(1), platform), {
    context, senderVmpl: vmpl, request: { report_data: hex('report_data'), vmpl, key_sel: 0 },
  });
}

sharedTests(`${SUITE}: each real report's signed span is rebuilt from its SOURCES.md facts`, () => {
  for (const fact of loadReportFacts()) {
    test(
      `${SUITE}: configured from ${fact.dir}'s facts, the firmware ` +
        `rebuilds its signed span byte for byte`,
      () => {
        const real = realReport(fact.dir);
        const ours = rebuild(fact);
        assert.is(toHex(ours.subarray(0, SIGNED_BYTES)), toHex(real.subarray(0, SIGNED_BYTES)));
        assert.is.not(
          toHex(ours.subarray(SIGNED_BYTES)), toHex(real.subarray(SIGNED_BYTES)),
          'our key is a test key',
        );
      },
    );
  }
});

function realReport(dir: string): Uint8Array {
  return new Uint8Array(readFileSync(shared('snp', 'reports', dir, 'report.bin')));
}

test(`${SUITE}: VERSION follows the emulated firmware as in spec a.10`, () => {
  const cases: readonly (readonly [Product, string, number])[] = [
    ['Milan', '1.49.3', 2], ['Milan', '1.52.4', 2], ['Milan', '1.55.29', 3],
    ['Genoa', '1.55.40', 3], ['Genoa', '1.55.43', 5], ['Turin', '1.55.61', 5],
  ];
  for (const [product, version, expected] of cases) {
    const platform = createPlatform({ rng: snpStream(1), product,
      firmwareVersion: parseFirmwareVersion(version),
    });
    assert.is(reportVersionFor(platform), expected, `${product} ${version}`);
  }
});

test(`${SUITE}: report fields come from the platform and the guest context`, () => {
  const { platform, firmware } = setup('Genoa', { vlekCspId: undefined, currentMitVector: 3n });
  const context = guestContextFromFields({ rng: guestStream(11), launchTcb: platform.current_tcb,
    guest_svn: 7, policy: 0x3001fn,
    host_data: new Uint8Array(32).fill(0xab), measurement: new Uint8Array(48).fill(0xcd),
    launch_mit_vector: 2n,
  });
  const reportData = new Uint8Array(64).fill(0x5a);
  const report = decodeAttestationReport(signedReport(firmware, {
    context, senderVmpl: 1, request: { report_data: reportData, vmpl: 2, key_sel: 0 },
  }));
  assert.is(report.guest_svn, 7);
  assert.is(report.policy, 0x3001fn);
  assert.is(report.vmpl, 2);
  assert.is(toHex(report.report_data), toHex(reportData));
  assert.is(toHex(report.host_data), 'ab'.repeat(32));
  assert.is(toHex(report.measurement), 'cd'.repeat(48));
  assert.is(toHex(report.chip_id), platform.chip_id);
  assert.is(toHex(report.report_id), context.report_id);
  assert.is(report.reported_tcb, platform.reported_tcb);
  assert.is(report.launch_mit_vector, 2n);
  assert.is(report.current_mit_vector, 3n);
  assert.equal([report.cpuid_fam_id, report.cpuid_mod_id, report.cpuid_step], [0x19, 0x11, 1]);
});

test(
  `${SUITE}: a report verifies with platformVcek under node:crypto ` +
    `and not with another chip's VCEK`,
  () => {
    const { platform, firmware, context } = setup('Milan');
    const report = signedReport(firmware, {
      context, senderVmpl: 0, request: { report_data: zeros64, vmpl: 0, key_sel: 0 },
    });
    assert.ok(verifiesWith(report, platformVcek(platform, rootOf(11))));
    assert.not.ok(
      verifiesWith(report,
        platformVcek(createPlatform({ rng: snpStream(12), product: 'Milan' }), rootOf(12))),
    );
  },
);

// ---------------------------------------------------------------------------------------------
// KEY_SEL and VMPL (a.4, a.10, b.2)

function status(
  platform: PlatformState, request: { vmpl?: number; key_sel?: number; senderVmpl?: number },
  vcekDisabled = false,
): string {
  const context = guestContextFromFields({ rng: guestStream(11), launchTcb: platform.current_tcb,
    vcek_disabled: vcekDisabled,
  });
  return requestReport(createFirmware(rootOf(11), platform), {
    context, senderVmpl: request.senderVmpl ?? 0,
    request: { report_data: zeros64, vmpl: request.vmpl ?? 0, key_sel: request.key_sel ?? 0 },
  }).statusName;
}

test(`${SUITE}: KEY_SEL 3 is INVALID_KEY (0x27)`, () => {
  assert.is(status(createPlatform({ rng: snpStream(11), product: 'Milan' }), { key_sel: 3 }),
    'INVALID_KEY');
  assert.is(status(createPlatform({ rng: snpStream(11), product: 'Milan' }), { key_sel: 1 }),
    'SUCCESS');
});

test(
  `${SUITE}: KEY_SEL 2 without a loaded VLEK is INVALID_KEY, with one it signs with the VLEK`,
  () => {
    assert.is(
      status(createPlatform({ rng: snpStream(11), product: 'Milan' }), { key_sel: 2 }),
        'INVALID_KEY',
    );
    const { platform, firmware, context } = setup('Milan', {
      vlekCspId: 'CN=cc-us-east-2.amazonaws.com',
    });
    const report = signedReport(firmware, {
      context, senderVmpl: 0, request: { report_data: zeros64, vmpl: 0, key_sel: 2 },
    });
    assert.is(decodeKeyInfo(decodeAttestationReport(report).key_info).signing_key, 1);
    assert.ok(verifiesWith(report, platformVlek(platform, rootOf(11))));
  },
);

test(`${SUITE}: KEY_SEL 0 prefers a loaded VLEK`, () => {
  const { firmware, context } = setup('Turin', { vlekCspId: 'CN=csp.test' });
  const response = requestReport(firmware, {
    context, senderVmpl: 0, request: { report_data: zeros64, vmpl: 0, key_sel: 0 },
  });
  assert.is(response.statusName, 'SUCCESS');
  assert.is('value' in response ? response.value.signingKey : undefined, 'vlek');
});

test(
  `${SUITE}: MASK_CHIP_KEY makes KEY_SEL 1 INVALID_KEY and KEY_SEL ` +
    `0 an unsigned report (SIGNING_KEY 7)`,
  () => {
    const platform = createPlatform({ rng: snpStream(11), product: 'Milan', maskChipKey: true });
    assert.is(status(platform, { key_sel: 1 }), 'INVALID_KEY');
    const { firmware, context } = setup('Milan', { maskChipKey: true });
    const report = signedReport(firmware, {
      context, senderVmpl: 0, request: { report_data: zeros64, vmpl: 0, key_sel: 0 },
    });
    const keyInfo = decodeKeyInfo(decodeAttestationReport(report).key_info);
    assert.is(keyInfo.signing_key, 7);
    assert.is(keyInfo.mask_chip_key, true);
    assert.ok(isAllZero(report.subarray(SIGNED_BYTES)), 'signature field stays zero');
  },
);

test(`${SUITE}: a guest launched with VCEK_DIS gets INVALID_KEY for KEY_SEL 1`, () => {
  assert.is(
    status(createPlatform({ rng: snpStream(11), product: 'Genoa' }), { key_sel: 1 }, true),
      'INVALID_KEY',
  );
});

test(`${SUITE}: reserved bits of the KEY_SEL word are INVALID_PARAM (0x16)`, () => {
  assert.is(
    status(createPlatform({ rng: snpStream(11), product: 'Milan' }), { key_sel: 4 }),
      'INVALID_PARAM',
  );
  assert.is(
    status(createPlatform({ rng: snpStream(11), product: 'Milan' }), { key_sel: 0x8000_0000 }),
    'INVALID_PARAM',
  );
});

test(`${SUITE}: a VMPL2 sender asking for a VMPL0 or VMPL1 report gets INVALID_PARAM`, () => {
  const platform = createPlatform({ rng: snpStream(11), product: 'Milan' });
  assert.is(status(platform, { senderVmpl: 2, vmpl: 0 }), 'INVALID_PARAM');
  assert.is(status(platform, { senderVmpl: 2, vmpl: 1 }), 'INVALID_PARAM');
  assert.is(status(platform, { senderVmpl: 2, vmpl: 2 }), 'SUCCESS');
  assert.is(status(platform, { senderVmpl: 2, vmpl: 3 }), 'SUCCESS');
});

test(`${SUITE}: VMPL 4 is INVALID_PARAM`, () => {
  assert.is(status(createPlatform({ rng: snpStream(11), product: 'Milan' }), { vmpl: 4 }),
    'INVALID_PARAM');
  assert.is(status(createPlatform({ rng: snpStream(11), product: 'Milan' }), { vmpl: 3 }),
    'SUCCESS');
});

// ---------------------------------------------------------------------------------------------
// Platform: chip id, masking, SNP_CONFIG, firmware update and rollback

test(`${SUITE}: a Turin chip id has 8 meaningful bytes then zeros; Milan uses all 64`, () => {
  const turin = hexBytes(createPlatform({ rng: snpStream(3), product: 'Turin' }).chip_id);
  assert.ok(isAllZero(turin.subarray(8)));
  assert.not.ok(isAllZero(turin.subarray(0, 8)));
  const milan = hexBytes(createPlatform({ rng: snpStream(3), product: 'Milan' }).chip_id);
  assert.not.ok(isAllZero(milan.subarray(56)));
});

test(`${SUITE}: MASK_CHIP_ID zeroes CHIP_ID in the report but the VCEK is still the chip's`, () => {
  const { platform, firmware, context } = setup('Milan', { maskChipId: true });
  const report = signedReport(firmware, {
    context, senderVmpl: 0, request: { report_data: zeros64, vmpl: 0, key_sel: 0 },
  });
  assert.ok(isAllZero(decodeAttestationReport(report).chip_id));
  const expected = deriveVcek({ root: rootOf(11), product: 'Milan',
    chipId: hexBytes(platform.chip_id), tcb: platform.reported_tcb,
  });
  assert.ok(verifiesWith(report, expected));
});

test(`${SUITE}: SNP_CONFIG lowers REPORTED_TCB and the VCEK follows it`, () => {
  const layout = 'legacy';
  const base = createPlatform({ rng: snpStream(11), product: 'Milan' });
  const lowered = encodeTcb({ fmc: 0, bl: 4, tee: 0, snp: 24, ucode: 217 }, layout);
  const platform = snpConfig(base, { reportedTcb: lowered });
  assert.is(platform.reported_tcb, lowered);
  assert.is(platform.current_tcb, base.current_tcb);
  const context = guestContextFromFields({ rng: guestStream(11), launchTcb: platform.current_tcb });
  const report = signedReport(createFirmware(rootOf(11), platform), {
    context, senderVmpl: 0, request: { report_data: zeros64, vmpl: 0, key_sel: 0 },
  });
  assert.is(decodeAttestationReport(report).reported_tcb, lowered);
  assert.ok(verifiesWith(
    report, deriveVcek({ root: rootOf(11), product: 'Milan', chipId: hexBytes(platform.chip_id),
      tcb: lowered }),
  ));
});

test(`${SUITE}: SNP_CONFIG refuses a REPORTED_TCB above CURRENT_TCB with INVALID_CONFIG`, () => {
  const base = createPlatform({ rng: snpStream(11), product: 'Milan' });
  const above = encodeTcb({ fmc: 0, bl: 4, tee: 0, snp: 25, ucode: 219 }, 'legacy');
  assert.throws(() => snpConfig(base, { reportedTcb: above }),
    (e: unknown) => e instanceof SimError && e.code === 'SNP_FIRMWARE_STATUS'
      && e.detail['status'] === 0x03);
});

test(
  `${SUITE}: a firmware update raises CURRENT_TCB and the report is signed by a new VCEK`,
  () => {
    const before = createPlatform({ rng: snpStream(11), product: 'Genoa' });
    const newTcb = encodeTcb({ fmc: 0, bl: 10, tee: 0, snp: 26, ucode: 88 }, 'legacy');
    const after = downloadFirmware(before, {
      version: parseFirmwareVersion('1.55.44'), tcb: newTcb,
    });
    assert.is(after.current_tcb, newTcb);
    assert.is(after.reported_tcb, newTcb);
    assert.is(after.committed_tcb, before.committed_tcb, 'update alone does not commit');
    const oldKey = platformVcek(before, rootOf(11));
    const newKey = platformVcek(after, rootOf(11));
    assert.is.not(toHex(newKey.publicKey), toHex(oldKey.publicKey));
    const context = guestContextFromFields({ rng: guestStream(11), launchTcb: after.current_tcb });
    const report = signedReport(createFirmware(rootOf(11), after), {
      context, senderVmpl: 0, request: { report_data: zeros64, vmpl: 0, key_sel: 0 },
    });
    assert.ok(verifiesWith(report, newKey));
    assert.not.ok(verifiesWith(report, oldKey));
  },
);

test(
  `${SUITE}: after SNP_COMMIT a rollback below COMMITTED_TCB is ` +
    `refused with BAD_SVN and changes nothing`,
  () => {
    const original = createPlatform({ rng: snpStream(11), product: 'Milan' });
    const newer = downloadFirmware(original, { version: parseFirmwareVersion('1.55.30'),
      tcb: encodeTcb({ fmc: 0, bl: 4, tee: 0, snp: 25, ucode: 220 }, 'legacy') });
    const rolledBack = downloadFirmware(newer, {
      version: original.current_version, tcb: original.current_tcb,
    });
    assert.is(rolledBack.current_tcb, original.current_tcb, 'rollback before commit is allowed');
    const committed = commitFirmware(newer);
    assert.is(committed.committed_tcb, newer.current_tcb);
    let caught: unknown;
    try {
      downloadFirmware(committed, { version: original.current_version, tcb: original.current_tcb });
    } catch (error) { caught = error; }
    assert.ok(caught instanceof SimError && caught.code === 'SNP_FIRMWARE_STATUS');
    assert.is((caught as SimError).detail['status'], 0x1f);
    assert.is(
      committed.current_tcb, newer.current_tcb, 'the refused command left the state as it was',
    );
  },
);

test.run();
