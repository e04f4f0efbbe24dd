/**
 * Models: nothing real. The launch-measurement face of the public API, re-exported in full by
 * sim/index.ts. `parma-sim measure` imports this instead of sim/index.ts: it is a drop-in for
 * sev-snp-measure (which starts in 0.17 s), and loading sim/index.ts would load every model
 * (0.35–0.45 s against 0.10–0.20 s for these modules; spec perf-notes.md "Startup").
 */

/** The launch digest of a QEMU / EC2 / GCE + OVMF guest, as sev-snp-measure computes it. */
export {
  MEASURE_MODES, SEV_MODE_NAME, measureLaunch, type LaunchMeasurement, type MeasureInput,
  type MeasureMode,
} from '../../models/hypervisor/launch-measurement.js';
/** SHA-256 of a kernel command line as the SEV hashes table carries it (NUL-terminated). */
export { cmdlineSha256 } from '../../models/hypervisor/sev-hashes-table.js';
/** vCPU types and CPUID(1).EAX signatures, as sev-snp-measure names them. */
export {
  VCPU_TYPE_NAMES, cpuSignature, vcpuTypeSignature,
} from '../../models/hypervisor/vcpu-types.js';
/** VMM types (QEMU, ec2, gce) and what each changes in the measured launch. */
export {
  VMM_QUIRKS, VMM_TYPE_NAMES, isVmmType, type VmmType,
} from '../../models/hypervisor/vmm-types.js';
