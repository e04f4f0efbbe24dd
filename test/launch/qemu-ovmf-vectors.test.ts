/**
 * Goal: the SNP launch plan reproduces the 9 published sev-snp-measure digests of
 * ../shared/testdata/snp/launch, whose inputs are spelled out field by field (OVMF seed LD,
 * metadata sections, reset EIP, hashes-table GPA, vCPUs, signature, features, kernel hashes).
 * Method: build the OVMF description from the vector's fields (no OVMF bytes: the seed LD stands
 * for them), plan with planSnpLaunch, fold the plan; also check the real OVMF fixture parses to
 * exactly the described metadata, reset EIP and hashes-table GPA.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromHex, toHex } from '../../sim/kernel/bytes.js';
import { efiGuidText } from '../../models/hypervisor/efi-guid.js';
import { OVMF_TABLE_GUID } from '../../models/hypervisor/ovmf-footer-table.js';
import {
  VMSA_GPA, launchDigestOfPlan, loadFirmwareImage, planSnpLaunch, sevEsResetEip, sevHashesTableGpa,
  type FirmwareImage,
} from '../../models/hypervisor/qemu-launch-driver.js';
import { isVmmType } from '../../models/hypervisor/vmm-types.js';
import { shared, sharedTest } from '../support/requires.js';

type Section = { gpa: string; size: string; type: number; name: string };
type Vector = {
  name: string; vmm: string; vcpus: number; vcpu_sig: string; guest_features: string;
  kernel_sha256: string | null; initrd_sha256?: string; cmdline?: string; expected_ld: string;
};
type VectorFile = {
  common: { ovmf_seed_ld_hex: string; ovmf_metadata_sections: Section[]; sev_es_reset_eip: string;
    sev_hashes_table_gpa: string; vmsa_gpa: string; bsp_eip: string };
  vectors: Vector[];
};

let loaded: VectorFile | undefined;
/** The vector file of ../shared; only inside a sharedTest. */
const vectorFile = (): VectorFile => loaded ??= JSON.parse(readFileSync(
  shared('snp', 'launch', 'qemu-ovmf-launch-digest-vectors.json'), 'utf8')) as VectorFile;

function u32le(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

function describedOvmf(common: VectorFile['common']): FirmwareImage {
  return {
    bytes: new Uint8Array(0), gpa: 0xfffff000,
    table: new Map([
      [OVMF_TABLE_GUID.sev_es_reset_block, u32le(Number(common.sev_es_reset_eip))],
      [OVMF_TABLE_GUID.sev_hash_table_rv, u32le(Number(common.sev_hashes_table_gpa))],
    ]),
    metadata: common.ovmf_metadata_sections.map((s) => ({
      gpa: Number(s.gpa), size: Number(s.size), section_type: s.type,
    })),
  };
}

function cmdlineSha256(cmdline: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`${cmdline}\0`).digest());
}

sharedTest('launch/qemu-ovmf vectors: the file has 9 vectors and KVM VMSA GPA', () => {
  assert.is(vectorFile().vectors.length, 9);
  assert.is(Number(vectorFile().common.vmsa_gpa), VMSA_GPA);
});

sharedTest('launch/qemu-ovmf vectors: each planned launch folds to the published digest', () => {
  const ovmf = describedOvmf(vectorFile().common);
  for (const vector of vectorFile().vectors) {
    assert.ok(isVmmType(vector.vmm), vector.name);
    const hashes = vector.kernel_sha256 === null ? undefined : {
      kernel_sha256: fromHex(vector.kernel_sha256),
      initrd_sha256: fromHex(vector.initrd_sha256 ?? ''),
      cmdline_sha256: cmdlineSha256(vector.cmdline ?? ''),
    };
    const plan = planSnpLaunch({
      ovmf, ovmfHash: fromHex(vectorFile().common.ovmf_seed_ld_hex),
      ...(hashes !== undefined ? { hashes } : {}),
      vcpus: vector.vcpus, vcpuSig: vector.vcpu_sig.startsWith('0x') ? Number(vector.vcpu_sig) : 0,
      guestFeatures: BigInt(vector.guest_features), vmmType: vector.vmm as 'QEMU',
    });
    assert.is(toHex(launchDigestOfPlan(plan)), vector.expected_ld, vector.name);
  }
});

sharedTest(
  'launch/qemu-ovmf vectors: the AmdSev OVMF fixture parses to the described table and metadata',
  () => {
    const fixture = shared('vectors', 'inputs', 'ovmf_AmdSev_suffix.bin');
    const image = loadFirmwareImage(new Uint8Array(readFileSync(fixture)));
    assert.is(image.gpa, 0xfffff000);
    assert.is(sevEsResetEip(image), Number(vectorFile().common.sev_es_reset_eip));
    assert.is(sevHashesTableGpa(image), Number(vectorFile().common.sev_hashes_table_gpa));
    assert.equal(image.metadata.map((s) => [s.gpa, s.size, s.section_type]),
      vectorFile().common.ovmf_metadata_sections
        .map((s) => [Number(s.gpa), Number(s.size), s.type]));
  },
);

test('launch/qemu-ovmf vectors: GUID text and EFI bytes round-trip for the footer GUID', () => {
  const bytes = fromHex('de82b596b21ff745baeaa366c55a082d');
  // The footer GUID as OVMF's OvmfPkg/ResetVector sources print it (spec snp.md d.1).
  assert.is(efiGuidText(bytes), '96b582de-1fb2-45f7-baea-a366c55a082d');
  assert.is(
    toHex(bytes), 'de82b596b21ff745baeaa366c55a082d', 'efiGuidText does not modify its input',
  );
});

test.run();
