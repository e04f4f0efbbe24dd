/**
 * Goal: how fast `parma-sim measure` computes a large SNP launch digest (64 vCPUs, 2 MiB OVMF,
 * 10 MiB kernel, 50 MiB initrd: the timing vector of launch-digest.json), in-process and as a
 * whole process, against the physical limit measured in the same run.
 * Method: the limit is one pass of node:crypto over the same bytes with the same hash functions:
 * SHA-256 of kernel, initrd and cmdline, SHA-384 of every measured page and of every PAGE_INFO.
 * In-process time starts with the inputs in memory (no file reads), like the limit; the process
 * time includes Node start-up and reading 62 MiB. sev-snp-measure is not installed here, so its
 * published 0.17 s (same machine kind) is printed as a note.
 */
import { spawnSync } from 'node:child_process';
import { hash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureLaunch } from '../../models/hypervisor/launch-measurement.js';
import { loadFirmwareImage, planSnpLaunch } from '../../models/hypervisor/qemu-launch-driver.js';
import { sevHashesOf } from '../../models/hypervisor/sev-hashes-table.js';
import { vcpuTypeSignature } from '../../models/hypervisor/vcpu-types.js';
import { PAGE_TYPE } from '../../models/snp/launch/page-info.js';
import { patternBytes } from '../hypervisor/vector-inputs.js';
import { TESTDATA_DIR } from '../support/paths.js';
import { medianMs, type Bench, type BenchRow } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', '..', 'sim', 'cli.js');
const CMDLINE = 'tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 '
  + 'i8042.dumbkbd=1 i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k cryptomgr.notests '
  + 'net.ifnames=0 pci=lastbus=0 root=/dev/vda1 '
  + 'rootflags=data=ordered,errors=remount-ro ro rootfstype=ext4 console=hvc0 console=hvc1 quiet '
  + 'systemd.show_status=false panic=1 nr_cpus=4 selinux=0 scsi_mod.scan=none agent.log=debug';
const EXPECTED = '18b98b1677f7b8b57a8f8e8e26ec94479491669a12a44545'
  + 'b55c0bfe97b200570749ef4f0c0bd7d3507d7874a76af4d5';

type Inputs = Readonly<{ ovmf: Uint8Array; kernel: Uint8Array; initrd: Uint8Array }>;

function largeInputs(): Inputs | undefined {
  const suffixPath = join(TESTDATA_DIR, 'vectors', 'inputs', 'ovmf_AmdSev_suffix.bin');
  if (!existsSync(suffixPath)) return undefined;
  const ovmf = new Uint8Array(2 * 1024 * 1024);
  ovmf.set(patternBytes(ovmf.length - 4096, 7, 11, 241), 0);
  ovmf.set(readFileSync(suffixPath), ovmf.length - 4096);
  return {
    ovmf, kernel: patternBytes(10 * 1024 * 1024, 31, 7, 251),
    initrd: patternBytes(50 * 1024 * 1024, 17, 3, 253),
  };
}

function measureInProcess(inputs: Inputs): string {
  const result = measureLaunch({
    mode: 'snp', ovmf: inputs.ovmf, kernel: inputs.kernel, initrd: inputs.initrd, append: CMDLINE,
    vcpus: 64, vcpuSig: vcpuTypeSignature('EPYC-Genoa')!, guestFeatures: 0x21n, vmmType: 'QEMU',
  });
  return Buffer.from(result.digest).toString('hex');
}

/** The same bytes through the same hash functions, once, with no launch logic. */
function physicalLimit(
  inputs: Inputs, measuredPages: readonly Uint8Array[], pageInfos: number,
): void {
  hash('sha256', inputs.kernel, 'buffer');
  hash('sha256', inputs.initrd, 'buffer');
  hash('sha256', `${CMDLINE}\0`, 'buffer');
  for (const page of measuredPages) hash('sha384', page, 'buffer');
  const info = new Uint8Array(0x70);
  for (let i = 0; i < pageInfos; i++) info.set(hash('sha384', info, 'buffer'), 0);
}

function countWork(inputs: Inputs): { measuredPages: Uint8Array[]; pageInfos: number } {
  const plan = planSnpLaunch({ ovmf: loadFirmwareImage(inputs.ovmf),
    hashes: sevHashesOf({ kernel: inputs.kernel, initrd: inputs.initrd, append: CMDLINE }),
    vcpus: 64, vcpuSig: vcpuTypeSignature('EPYC-Genoa')!, guestFeatures: 0x21n, vmmType: 'QEMU' });
  const measuredPages: Uint8Array[] = [];
  let pageInfos = 0;
  for (const update of plan.updates) {
    pageInfos += update.lengthBytes / 4096;
    if (update.page_type === PAGE_TYPE.NORMAL || update.page_type === PAGE_TYPE.VMSA) {
      for (let at = 0; at < update.lengthBytes; at += 4096) {
        measuredPages.push(update.contents!.subarray(at, at + 4096));
      }
    }
  }
  return { measuredPages, pageInfos };
}

async function run(): Promise<readonly BenchRow[]> {
  const inputs = largeInputs();
  if (inputs === undefined) {
    return [{ name: 'measure: skipped (../shared/testdata absent)', value: 0, unit: 'ms' }];
  }
  if (measureInProcess(inputs) !== EXPECTED) {
    throw new Error('measure bench: digest differs from the vector');
  }
  const work = countWork(inputs);
  const limitMs = await medianMs(
    () => physicalLimit(inputs, work.measuredPages, work.pageInfos), 7,
  );
  const inProcessMs = await medianMs(() => measureInProcess(inputs), 7);
  const dir = mkdtempSync(join(tmpdir(), 'parma-sim-measure-bench-'));
  let processMs = Number.NaN;
  try {
    writeFileSync(join(dir, 'ovmf.bin'), inputs.ovmf);
    writeFileSync(join(dir, 'kernel.bin'), inputs.kernel);
    writeFileSync(join(dir, 'initrd.bin'), inputs.initrd);
    const argv = [
      CLI, 'measure', '--mode', 'snp', '--vcpus', '64', '--vcpu-type', 'EPYC-Genoa',
      '--ovmf', 'ovmf.bin', '--kernel', 'kernel.bin', '--initrd', 'initrd.bin', '--append', CMDLINE,
      '--guest-features', '0x21',
    ];
    const once = spawnSync(process.execPath, argv, { cwd: dir, encoding: 'utf8' });
    if (once.stdout.trim() !== EXPECTED) {
      throw new Error(`measure bench: CLI printed ${once.stdout} ${once.stderr}`);
    }
    processMs = await medianMs(() => spawnSync(process.execPath, argv, { cwd: dir }), 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const note = 'ratio = ours / physical limit (lower is better; goal <= 1.2)';
  return [
    { name: 'physical limit (node:crypto, one pass)', value: limitMs, unit: 'ms',
      note: `${work.measuredPages.length} SHA-384 pages, ${work.pageInfos} PAGE_INFOs, `
        + '60 MiB SHA-256' },
    { name: 'measure in-process (64 vCPU, 2+10+50 MiB)', value: inProcessMs, unit: 'ms',
      reference: { name: 'limit', value: limitMs, unit: 'ms' }, ratio: inProcessMs / limitMs,
      note },
    { name: 'measure whole process (node dist/sim/cli.js)', value: processMs, unit: 'ms',
      reference: { name: 'limit', value: limitMs, unit: 'ms' }, ratio: processMs / limitMs,
      note: 'sev-snp-measure: 170 ms whole process on this machine kind '
        + '(published figure, not run here)' },
  ];
}

export const benches: Bench[] = [{
  name: 'measure: SNP launch digest, 64 vCPUs, 2 MiB OVMF, 10 MiB kernel, 50 MiB initrd', run,
}];
