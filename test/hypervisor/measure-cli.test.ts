/**
 * Goal: `parma-sim measure` refuses impossible command lines and inputs the way sev-snp-measure
 * does (usage errors exit 2, measurement errors exit 1 with one "Error: ..." line), never with a
 * stack trace; hostile OVMF images get HV_BAD_OVMF, not an assertion.
 * Method: run the CLI in-process and as a process on small synthetic inputs and the shipped
 * ovmf_AmdSev_suffix.bin of ../shared
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode } from '../../sim/kernel/errors.js';
import { loadFirmwareImage } from '../../models/hypervisor/qemu-launch-driver.js';
import { runCli, spawnCli } from '../support/cli.js';
import { shared, sharedTest } from '../support/requires.js';

const ovmf = (): string => shared('vectors', 'inputs', 'ovmf_AmdSev_suffix.bin');

sharedTest(
  'hypervisor/measure-cli: missing --vcpus in snp mode is a usage ' +
    'error (exit 2) with sev-snp-measure wording',
  async () => {
    const result = await runCli([
      'measure', '--mode', 'snp', '--ovmf', ovmf(), '--vcpu-type', 'EPYC-v4',
    ]);
    assert.is(result.code, 2);
    assert.match(result.stderr, /error: missing --vcpus N in guest mode 'snp'\n$/);
  },
);

test('hypervisor/measure-cli: an unknown vCPU type is a usage error', async () => {
  const bad = await runCli([
    'measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC-Foo', '--ovmf', 'x',
  ]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /argument --vcpu-type: invalid choice: 'EPYC-Foo'/);
});

sharedTest('hypervisor/measure-cli: an unknown VMM type is a usage error', async () => {
  const vmm = await runCli([
    'measure', '--mode', 'snp', '--vcpus', '1', '--vcpu-type', 'EPYC', '--vmm-type', 'xen',
    '--ovmf', ovmf(),
  ]);
  assert.is(vmm.code, 2);
  assert.match(vmm.stderr, /unknown VMM type 'xen'/);
});

sharedTest(
  'hypervisor/measure-cli: QEMU without any vCPU signature option is a usage error',
  async () => {
    const result = await runCli(['measure', '--mode', 'seves', '--vcpus', '1', '--ovmf', ovmf()]);
    assert.is(result.code, 2);
    assert.match(
      result.stderr, /missing --vcpu-type or --vcpu-sig or --vcpu-family in guest mode 'seves'/,
    );
  },
);

test(
  'hypervisor/measure-cli: a missing OVMF file is one "Error:" ' +
    'line and exit 1, without a stack trace',
  () => {
    const result = spawnCli(['measure', '--mode', 'sev', '--ovmf', '/nonexistent/OVMF.fd']);
    assert.is(result.code, 1);
    assert.is(result.stderr, "Error: cannot read --ovmf file '/nonexistent/OVMF.fd': ENOENT\n");
    assert.not.match(result.stderr, /\n\s+at /);
  },
);

sharedTest(
  'hypervisor/measure-cli: --snp-ovmf-hash outside snp mode is ' +
    'refused as sev-snp-measure refuses it',
  async () => {
    const result = await runCli([
      'measure', '--mode', 'seves', '--vcpus', '1', '--vcpu-sig', '0', '--ovmf', ovmf(),
      '--snp-ovmf-hash', '00'.repeat(48),
    ]);
    assert.is(result.code, 1);
    assert.is(result.stderr, 'Error: SNP OVMF hash only works with SNP\n');
  },
);

sharedTest(
  'hypervisor/measure-cli: --dump-vmsa writes one VMSA per vCPU and refuses sev mode',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parma-sim-dump-vmsa-'));
    try {
      const result = spawnCli([
        'measure', '--mode', 'snp', '--vcpus', '2', '--vcpu-type', 'EPYC-v4', '--ovmf', ovmf(),
        '--dump-vmsa',
      ], { cwd: dir });
      assert.is(result.code, 0, result.stderr);
      const bsp = readFileSync(join(dir, 'vmsa0.bin'));
      const ap = readFileSync(join(dir, 'vmsa1.bin'));
      assert.is(bsp.length, 4096);
      assert.is(bsp.readBigUInt64LE(0x178), 0xfff0n, 'BSP RIP = reset vector & 0xffff');
      assert.is(ap.readBigUInt64LE(0x178), 0xb004n, 'AP RIP = SEV-ES reset EIP 0x80b004 & 0xffff');
      assert.is(bsp.readBigUInt64LE(0x310), 0x800f12n, 'RDX = EPYC-v4 signature');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const sev = await runCli(['measure', '--mode', 'sev', '--ovmf', ovmf(), '--dump-vmsa']);
    assert.is(sev.code, 2);
  },
);

sharedTest(
  'hypervisor/ovmf: images too small, with a bad metadata signature ' +
    'or a bad entry size are HV_BAD_OVMF',
  () => {
    assert.is(errorCode(() => loadFirmwareImage(new Uint8Array(10))), 'HV_BAD_OVMF');
    const image = new Uint8Array(readFileSync(ovmf()));
    const view = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
    const text = view.toString('latin1');
    const asev = text.indexOf('ASEV');
    assert.ok(asev > 0, 'the OVMF has SEV metadata');
    const badSig = image.slice();
    badSig[asev] = 0x42;
    assert.is(errorCode(() => loadFirmwareImage(badSig)), 'HV_BAD_OVMF');
    const badEntry = image.slice();
    const footerAt = image.length - 50;
    const firstEntryAt = footerAt - 18;     // trailer of the last table entry
    badEntry[firstEntryAt] = 3;
    badEntry[firstEntryAt + 1] = 0;
    assert.is(errorCode(() => loadFirmwareImage(badEntry)), 'HV_BAD_OVMF');
  },
);

test('hypervisor/ovmf: an image without the footer GUID has no table and no metadata', () => {
  const image = loadFirmwareImage(new Uint8Array(8192));
  assert.is(image.table.size, 0);
  assert.is(image.metadata.length, 0);
  assert.is(image.gpa, 0x1_0000_0000 - 8192);
});

test.run();
