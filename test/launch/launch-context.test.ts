/**
 * Goal: the firmware launch context refuses what the AMD-SP refuses, with the ABI status names
 * (bad policy bits, wrong order, ID block digest or policy mismatch, bad signatures, malformed
 * updates), keeps MEASUREMENT unchanged through LAUNCH_FINISH, and a launched guest's report shows
 * the digest `parma-sim measure` computes for the same inputs (and sev-snp-measure recorded).
 * Method: drive snpLaunchStart/Update/Finish directly; expected digests come from the shared
 * vectors, expected PAGE_INFO bytes are assembled here from spec/snp.md c.2 by hand.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snpStream, rootOf } from '../support/snp.js';
import { hexBytes, toHex } from '../../sim/kernel/bytes.js';
import { Rng } from '../../sim/kernel/rng.js';
import { decodeAttestationReport } from '../../models/snp/attestation-report.js';
import { createFirmware, requestReport, signReport } from '../../models/snp/firmware.js';
import { createPlatform } from '../../models/snp/platform.js';
import { firmwareStatusOf } from '../../models/snp/launch/firmware-status.js';
import {
  idSigningKeyFromSecret, signIdBlock, testIdSigningKey,
} from '../../models/snp/launch/id-key.js';
import {
  createLaunchContext, guestContextOf, launchPhase, snpLaunchFinish, snpLaunchStart,
  snpLaunchUpdate, type LaunchState,
} from '../../models/snp/launch/launch-context.js';
import { PAGE_TYPE } from '../../models/snp/launch/page-info.js';
import { parseFirmwareVersion } from '../../models/snp/platform.js';
import { launchVm } from '../../models/hypervisor/launch-vm.js';
import { loadFirmwareImage, planSnpLaunch } from '../../models/hypervisor/qemu-launch-driver.js';
import { sevHashesOf } from '../../models/hypervisor/sev-hashes-table.js';
import { vcpuTypeSignature } from '../../models/hypervisor/vcpu-types.js';
import { runCli } from '../support/cli.js';
import { shared, sharedTest } from '../support/requires.js';

const platform = createPlatform({ rng: snpStream(1), product: 'Milan' });
const rng = Rng.fromSeed(1).fork('snp').fork('guest').fork('guest0');
const POLICY = 0x30000n;

function started(policy = POLICY, imi_en = false): LaunchState {
  return snpLaunchStart(createLaunchContext(), {
    policy, platform, current_tcb: platform.current_tcb, rng, imi_en,
  });
}

const PAGE = new Uint8Array(4096).fill(0x5a);

function measuredOnePage(): LaunchState {
  return snpLaunchUpdate(started(), {
    page_type: PAGE_TYPE.NORMAL, gpa: 0x1000, lengthBytes: 4096, contents: PAGE,
  });
}

/** PAGE_INFO assembled by hand from spec/snp.md c.2 (firmware byte order). */
function pageInfoDigest(
  prev: Uint8Array, contents: Uint8Array, pageType: number, gpa: bigint, perms = [0, 0, 0],
): Uint8Array {
  const info = Buffer.alloc(0x70);
  Buffer.from(prev).copy(info, 0x00);
  Buffer.from(contents).copy(info, 0x30);
  info.writeUInt16LE(0x70, 0x60);
  info[0x62] = pageType;
  info[0x65] = perms[0]!; info[0x66] = perms[1]!; info[0x67] = perms[2]!;
  info.writeBigUInt64LE(gpa, 0x68);
  return new Uint8Array(createHash('sha384').update(info).digest());
}

const sha384 = (bytes: Uint8Array): Uint8Array =>
  new Uint8Array(createHash('sha384').update(bytes).digest());

test('snp/launch-context: a firmware refuses POLICY bits it does not define yet (1.52 has no '
  + 'bit 22), and accepts them once it does (1.55)', () => {
  const policy = POLICY | (1n << 22n);
  const at = (version: string) => snpLaunchStart(createLaunchContext(), {
    policy, platform: { ...platform, current_version: parseFirmwareVersion(version) },
    current_tcb: platform.current_tcb, rng,
  });
  assert.is(firmwareStatusOf(() => at('1.52.4')), 'INVALID_PARAM');
  assert.is(at('1.55.29').value, 'launching');
});

test('snp/launch-context: LAUNCH_START refuses reserved policy bits with INVALID_PARAM', () => {
  assert.is(firmwareStatusOf(() => started(POLICY | (1n << 26n))), 'INVALID_PARAM');
  assert.is(firmwareStatusOf(() => started(POLICY | (1n << 63n))), 'INVALID_PARAM');
});

test(
  'snp/launch-context: LAUNCH_START refuses a policy with bit 17 clear with INVALID_PARAM',
  () => {
    assert.is(firmwareStatusOf(() => started(0x10000n)), 'INVALID_PARAM');
  },
);

test(
  'snp/launch-context: LAUNCH_START refuses SMT=0 on an SMT platform ' +
    'and a too-new ABI with POLICY_FAILURE',
  () => {
    assert.is(firmwareStatusOf(() => started(0x20000n)), 'POLICY_FAILURE');
    assert.is(firmwareStatusOf(() => started(0x30000n | (2n << 8n))), 'POLICY_FAILURE');
    const noSmt = createPlatform({ rng: snpStream(1), product: 'Milan', smt: false });
    const ok = snpLaunchStart(createLaunchContext(), {
      policy: 0x20000n, platform: noSmt, current_tcb: noSmt.current_tcb, rng,
    });
    assert.is(launchPhase(ok), 'launching');
  },
);

test('snp/launch-context: LAUNCH_UPDATE before LAUNCH_START is INVALID_GUEST_STATE', () => {
  const status = firmwareStatusOf(() => snpLaunchUpdate(createLaunchContext(),
    { page_type: PAGE_TYPE.ZERO, gpa: 0, lengthBytes: 4096 }));
  assert.is(status, 'INVALID_GUEST_STATE');
});

test('snp/launch-context: LAUNCH_UPDATE after LAUNCH_FINISH is INVALID_GUEST_STATE', () => {
  const finished = snpLaunchFinish(measuredOnePage(), {});
  assert.is(firmwareStatusOf(() => snpLaunchUpdate(finished, {
    page_type: PAGE_TYPE.ZERO, gpa: 0, lengthBytes: 4096,
  })), 'INVALID_GUEST_STATE');
  assert.is(firmwareStatusOf(() => snpLaunchFinish(finished, {})), 'INVALID_GUEST_STATE');
});

test(
  'snp/launch-context: malformed LAUNCH_UPDATE parameters get their status and leave LD as it was',
  () => {
    const s = started();
    assert.is(firmwareStatusOf(() => snpLaunchUpdate(s, {
      page_type: 0, gpa: 0, lengthBytes: 4096,
    })), 'INVALID_PARAM');
    assert.is(firmwareStatusOf(() => snpLaunchUpdate(s, {
      page_type: 7, gpa: 0, lengthBytes: 4096,
    })), 'INVALID_PARAM');
    assert.is(firmwareStatusOf(() => snpLaunchUpdate(s, {
      page_type: PAGE_TYPE.ZERO, gpa: 0x800, lengthBytes: 4096,
    })), 'INVALID_ADDRESS');
    assert.is(firmwareStatusOf(() => snpLaunchUpdate(s, {
      page_type: PAGE_TYPE.VMSA, gpa: 0, page_size: 1,
      lengthBytes: 0x200000, contents: new Uint8Array(0x200000),
    })), 'INVALID_PAGE_SIZE');
    assert.is(firmwareStatusOf(() => snpLaunchUpdate(s, {
      page_type: PAGE_TYPE.NORMAL, gpa: 0, lengthBytes: 4096,
    })), 'INVALID_LENGTH');
    assert.is(firmwareStatusOf(() => snpLaunchUpdate(s, {
      page_type: PAGE_TYPE.ZERO, gpa: 0, lengthBytes: 4096, imi_page: true,
    })), 'INVALID_PARAM');
    assert.is(s.context.ld, '00'.repeat(48));
  },
);

test(
  'snp/launch-context: LAUNCH_UPDATE chains one PAGE_INFO per 4 KiB chunk (NORMAL then ZERO)',
  () => {
    let s = snpLaunchUpdate(started(), {
      page_type: PAGE_TYPE.NORMAL, gpa: 0x1000, lengthBytes: 4096, contents: PAGE,
    });
    s = snpLaunchUpdate(s, { page_type: PAGE_TYPE.ZERO, gpa: 0x2000, lengthBytes: 8192 });
    let expected = pageInfoDigest(new Uint8Array(48), sha384(PAGE), 1, 0x1000n);
    expected = pageInfoDigest(expected, new Uint8Array(48), 3, 0x2000n);
    expected = pageInfoDigest(expected, new Uint8Array(48), 3, 0x3000n);
    assert.is(s.context.ld, toHex(expected));
    assert.is(s.context.pages_measured, 3);
  },
);

test(
  'snp/launch-context: VMPL permissions land in PAGE_INFO bytes 0x65..0x67 (firmware order)',
  () => {
    const s = snpLaunchUpdate(started(), {
      page_type: PAGE_TYPE.NORMAL, gpa: 0, lengthBytes: 4096, contents: PAGE,
      vmpl_perms: { vmpl1_perms: 0x0f, vmpl2_perms: 0x03, vmpl3_perms: 0x01 },
    });
    assert.is(
      s.context.ld,
      toHex(pageInfoDigest(new Uint8Array(48), sha384(PAGE), 1, 0n, [0x0f, 0x03, 0x01])),
    );
  },
);

test(
  'snp/launch-context: a VMSA page is measured with GUEST_TSC_SCALE/OFFSET treated as zero',
  () => {
    const vmsa = new Uint8Array(4096).fill(1);
    const withTsc = vmsa.slice();
    withTsc.fill(0xee, 0x2f0, 0x300);
    const a = snpLaunchUpdate(started(), {
      page_type: PAGE_TYPE.VMSA, gpa: 0xfffffffff000, lengthBytes: 4096, contents: vmsa,
    });
    const b = snpLaunchUpdate(started(), {
      page_type: PAGE_TYPE.VMSA, gpa: 0xfffffffff000, lengthBytes: 4096, contents: withTsc,
    });
    const zeroed = vmsa.slice();
    zeroed.fill(0, 0x2f0, 0x300);
    assert.is(b.context.ld, a.context.ld);
    assert.is(
      a.context.ld,
      toHex(pageInfoDigest(new Uint8Array(48), sha384(zeroed), 2, 0xfffffffff000n)),
    );
  },
);

test('snp/launch-context: IMI pages extend the IMI digest as well as LD', () => {
  const s = snpLaunchUpdate(started(POLICY, true), {
    page_type: PAGE_TYPE.NORMAL, gpa: 0, lengthBytes: 4096, contents: PAGE, imi_page: true,
  });
  assert.is.not(s.context.imd, '00'.repeat(48));
  assert.is.not(s.context.ld, '00'.repeat(48));
});

test(
  'snp/launch-context: LAUNCH_FINISH without an ID block keeps ' +
    'the measurement and records HOST_DATA',
  () => {
    const before = measuredOnePage();
    const host_data = new Uint8Array(32).fill(0x42);
    const guest = guestContextOf(snpLaunchFinish(before, { host_data }));
    assert.is(guest.measurement, before.context.ld);
    assert.is(guest.host_data, toHex(host_data));
    assert.is(guest.id_key_digest, '00'.repeat(48));
    assert.is(guest.report_id_ma, 'ff'.repeat(32));
  },
);

function signedFor(ld: Uint8Array, policy: bigint) {
  return signIdBlock({
    ld, policy, family_id: new Uint8Array(16).fill(1), image_id: new Uint8Array(16).fill(2),
    guest_svn: 7, idKey: testIdSigningKey(Rng.fromSeed(5).fork('id')),
    authorKey: testIdSigningKey(Rng.fromSeed(5).fork('author')),
  });
}

test(
  'snp/launch-context: a valid ID block sets FAMILY_ID, IMAGE_ID, GUEST_SVN and both key digests',
  () => {
    const s = measuredOnePage();
    const signed = signedFor(hexBytes(s.context.ld), POLICY);
    const guest = guestContextOf(snpLaunchFinish(s, {
      id_block: { id_block: signed.id_block, id_auth_info: signed.id_auth_info, auth_key_en: true },
    }));
    assert.is(guest.family_id, '01'.repeat(16));
    assert.is(guest.image_id, '02'.repeat(16));
    assert.is(guest.guest_svn, 7);
    assert.is(guest.id_key_digest, toHex(signed.id_key_digest));
    assert.is(guest.author_key_digest, toHex(signed.author_key_digest));
    assert.ok(guest.author_key_en);
    assert.is(guest.measurement, s.context.ld);
  },
);

test('snp/launch-context: an ID block whose LD differs is refused with BAD_MEASUREMENT', () => {
  const s = measuredOnePage();
  const signed = signedFor(new Uint8Array(48).fill(9), POLICY);
  assert.is(
    firmwareStatusOf(() => snpLaunchFinish(s, { id_block: { ...signed, auth_key_en: true } })),
    'BAD_MEASUREMENT',
  );
  assert.is(launchPhase(s), 'launching');
});

test('snp/launch-context: an ID block with another policy is refused with POLICY_FAILURE', () => {
  const s = measuredOnePage();
  const signed = signedFor(hexBytes(s.context.ld), 0x30001n);
  assert.is(
    firmwareStatusOf(() => snpLaunchFinish(s, { id_block: { ...signed, auth_key_en: true } })),
    'POLICY_FAILURE',
  );
});

test(
  'snp/launch-context: a corrupted ID block signature or ID key signature is BAD_SIGNATURE',
  () => {
    const s = measuredOnePage();
    const signed = signedFor(hexBytes(s.context.ld), POLICY);
    const badBlockSig = signed.id_auth_info.slice();
    badBlockSig[0x040] = badBlockSig[0x040]! ^ 1;
    const badKeySig = signed.id_auth_info.slice();
    badKeySig[0x680] = badKeySig[0x680]! ^ 1;
    assert.is(firmwareStatusOf(() => snpLaunchFinish(s, {
      id_block: { id_block: signed.id_block, id_auth_info: badBlockSig, auth_key_en: true },
    })), 'BAD_SIGNATURE');
    assert.is(firmwareStatusOf(() => snpLaunchFinish(s, {
      id_block: { id_block: signed.id_block, id_auth_info: badKeySig, auth_key_en: true },
    })), 'BAD_SIGNATURE');
    const guest = guestContextOf(snpLaunchFinish(s, {
      id_block: { id_block: signed.id_block, id_auth_info: badKeySig, auth_key_en: false },
    }));
    assert.is(
      guest.author_key_digest, '00'.repeat(48),
      'without AUTH_KEY_EN the author signature is not checked',
    );
  },
);

test(
  'snp/launch-context: an ID block signed by a key other than ' +
    'the one in ID_AUTH_INFO is BAD_SIGNATURE',
  () => {
    const s = measuredOnePage();
    const signed = signedFor(hexBytes(s.context.ld), POLICY);
    const other = signIdBlock({
      ld: hexBytes(s.context.ld), policy: POLICY,
      idKey: idSigningKeyFromSecret(new Uint8Array(48).fill(3)),
    });
    assert.is(firmwareStatusOf(() => snpLaunchFinish(s, {
      id_block: { id_block: signed.id_block, id_auth_info: other.id_auth_info, auth_key_en: false },
    })), 'BAD_SIGNATURE');
  },
);

const VECTOR = 'snp-amdsev-k1i1c1-1vcpu-epycv4-gf21';

sharedTest(
  'snp/launch-context: a launched guest reports the measurement ' +
    'parma-sim measure and sev-snp-measure give',
  async () => {
    const vectorsPath = shared('vectors', 'launch-digest.json');
    const vector = (
      JSON.parse(readFileSync(vectorsPath, 'utf8')) as { id: string; expected_digest_hex: string }[]
    ).find((v) => v.id === VECTOR)!;
    const input = (name: string) => shared('vectors', 'inputs', name);
    const bytes = (name: string) => new Uint8Array(readFileSync(input(name)));
    const plan = planSnpLaunch({
      ovmf: loadFirmwareImage(bytes('ovmf_AmdSev_suffix.bin')),
      hashes: sevHashesOf({
        kernel: bytes('kernel_p1_65659.bin'), initrd: bytes('initrd_p2_100000.bin'),
        append: 'console=ttyS0 loglevel=7',
      }),
      vcpus: 1, vcpuSig: vcpuTypeSignature('EPYC-v4')!, guestFeatures: 0x21n, vmmType: 'QEMU',
    });
    const host_data = new Uint8Array(32).fill(0xab);
    const { guest } = launchVm({ plan, policy: POLICY, platform, rng, finish: { host_data } });
    const cli = await runCli([
      'measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-v4',
      '--ovmf', input('ovmf_AmdSev_suffix.bin'), '--kernel', input('kernel_p1_65659.bin'),
      '--initrd', input('initrd_p2_100000.bin'), '--append', 'console=ttyS0 loglevel=7',
      '--guest-features', '0x21',
    ]);
    assert.is(cli.stdout.trim(), vector.expected_digest_hex);
    assert.is(guest.measurement, vector.expected_digest_hex);
    const firmware = createFirmware(rootOf(1), platform);
    const response = requestReport(firmware, { context: guest, senderVmpl: 0,
      request: { report_data: new Uint8Array(64), vmpl: 0, key_sel: 0 } });
    assert.is(response.statusName, 'SUCCESS');
    if (response.statusName !== 'SUCCESS') return;
    const report = decodeAttestationReport(signReport(firmware, response.value));
    assert.is(toHex(report.measurement), vector.expected_digest_hex);
    assert.is(toHex(report.host_data), toHex(host_data));
    assert.is(report.policy, POLICY);
  },
);

test.run();
