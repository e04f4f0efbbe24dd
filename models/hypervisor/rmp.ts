/**
 * Models: the SEV-SNP Reverse Map Table (AMD64 APM vol. 2, 15.36.3 "Reverse Map Table": one
 *   entry per 4 KiB system-physical page with Assigned, Page_Size, Immutable, GPA, ASID,
 *   Validated, VMSA and the per-VMPL permission masks), the instructions that change it —
 *   RMPUPDATE (hypervisor, 15.36.4), PVALIDATE (guest, 15.36.5), RMPADJUST (guest, 15.36.7) —
 *   and the RMP check the CPU makes on every access (15.36.10, 15.36.11).
 * Real counterpart: the RMP in DRAM that the CPU consults on each host write and each guest
 *   access, and the instructions above.
 * Differs: a plain record keyed by SPA text (`spaKey`); a 2 MiB page is one entry flagged '2m'
 *   (no smashing into 512 entries); no Lock bit (one CPU at a time) and no ASID reuse;
 *   execute permissions are kept in the masks but only reads and writes are checked; faults are
 *   values, never exceptions.
 * Invariants: a hypervisor-owned entry is never Validated; RMPUPDATE always clears Validated and
 *   never changes an Immutable entry; PVALIDATE changes only Validated (and gives VMPL0 full
 *   permissions, VMPL1-3 none, when it validates); a guest private access succeeds only on an
 *   entry assigned to the guest's ASID at that GPA, validated, and permitted for its VMPL.
 */
import { assert } from '../../sim/kernel/assert.js';

export const PAGE_SIZE_BYTES = 0x1000;

export type PageSize = '4k' | '2m';

/**
 * VMPL permission mask bits (APM 15.36.7, RMPADJUST): bit 0 read, bit 1 write, bit 2
 * execute-user, bit 3 execute-supervisor.
 */
export const VMPL_PERM = Object.freeze({ READ: 0x1, WRITE: 0x2, EXEC_USER: 0x4, EXEC_SUPER: 0x8 });
export const VMPL_PERM_ALL = 0xf;

export type RmpEntry = Readonly<{
  assigned: boolean;
  /** The owning guest's ASID; 0 for a hypervisor-owned page. */
  asid: number;
  /** Guest-physical address the page is assigned at (page aligned); 0 when not assigned. */
  gpa: number;
  validated: boolean;
  pageSize: PageSize;
  /** Firmware-owned pages (guest context, VMSA after launch): RMPUPDATE fails. */
  immutable: boolean;
  vmsa: boolean;
  /** Permission masks for VMPL0..3. */
  vmplPerms: readonly [number, number, number, number];
}>;

/** The RMP by system-physical page (`spaKey`); an SPA without an entry is hypervisor-owned. */
export type Rmp = Readonly<Record<string, RmpEntry>>;

export const HYPERVISOR_OWNED: RmpEntry = Object.freeze({
  assigned: false, asid: 0, gpa: 0, validated: false, pageSize: '4k', immutable: false,
  vmsa: false, vmplPerms: Object.freeze([0, 0, 0, 0] as const),
});

/** Canonical text of a page address: lowercase hex with 0x (the key of RMP and NPT records). */
export function spaKey(address: number): string {
  assert(Number.isSafeInteger(address) && address >= 0, 'a physical address is a safe integer');
  assert(address % PAGE_SIZE_BYTES === 0, 'a page address is 4 KiB aligned');
  return `0x${address.toString(16)}`;
}

export function rmpEntryOf(rmp: Rmp, spa: number): RmpEntry {
  return rmp[spaKey(spa)] ?? HYPERVISOR_OWNED;
}

// ---------------------------------------------------------------------------------------------
// RMPUPDATE (hypervisor)

/** RMPUPDATE return codes (APM 15.36.4). */
export type RmpUpdateStatus = 'SUCCESS' | 'FAIL_INPUT' | 'FAIL_PERMISSION';

export type RmpUpdateInput = Readonly<{
  spa: number;
  assigned: boolean;
  asid: number;
  gpa: number;
  pageSize: PageSize;
  immutable?: boolean;
}>;

/**
 * The hypervisor assigns a page to a guest (or takes it back). Validated is always cleared: a
 * guest must PVALIDATE a page before it trusts it, which is what defeats remapping.
 */
export function rmpUpdate(rmp: Rmp, input: RmpUpdateInput):
  Readonly<{ rmp: Rmp; status: RmpUpdateStatus }> {
  const current = rmpEntryOf(rmp, input.spa);
  if (current.immutable) return { rmp, status: 'FAIL_PERMISSION' };
  if (input.assigned && (input.asid <= 0 || input.gpa % PAGE_SIZE_BYTES !== 0)) {
    return { rmp, status: 'FAIL_INPUT' };
  }
  const entry: RmpEntry = Object.freeze({
    assigned: input.assigned, asid: input.assigned ? input.asid : 0,
    gpa: input.assigned ? input.gpa : 0, validated: false, pageSize: input.pageSize,
    immutable: input.immutable ?? false, vmsa: false,
    vmplPerms: Object.freeze([0, 0, 0, 0] as const),
  });
  const next: Rmp = Object.freeze({ ...rmp, [spaKey(input.spa)]: entry });
  assert(!rmpEntryOf(next, input.spa).validated, 'RMPUPDATE clears Validated');
  assert(rmpEntryOf(next, input.spa).assigned === input.assigned);
  return { rmp: next, status: 'SUCCESS' };
}

// ---------------------------------------------------------------------------------------------
// PVALIDATE (guest)

/**
 * PVALIDATE outcomes (APM 15.36.5; Linux names them PVALIDATE_FAIL_*): FAIL_NOUPDATE is the
 * rFLAGS.CF=1 case (the page already had the requested state), which the Linux guest treats as
 * an attack when it validates (the page was validated before: a remap or a replay).
 */
export type PvalidateStatus = 'SUCCESS' | 'FAIL_INPUT' | 'FAIL_SIZEMISMATCH' | 'FAIL_NOUPDATE';

export type PvalidateInput = Readonly<{
  asid: number; gpa: number; spa: number; pageSize: PageSize; validate: boolean;
}>;

/** The guest validates (or rescinds) the page it reaches at `gpa`. */
export function pvalidate(rmp: Rmp, input: PvalidateInput):
  Readonly<{ rmp: Rmp; status: PvalidateStatus }> {
  const entry = rmpEntryOf(rmp, input.spa);
  if (!entry.assigned || entry.asid !== input.asid || entry.gpa !== input.gpa) {
    return { rmp, status: 'FAIL_INPUT' };
  }
  if (entry.pageSize !== input.pageSize) return { rmp, status: 'FAIL_SIZEMISMATCH' };
  if (entry.validated === input.validate) return { rmp, status: 'FAIL_NOUPDATE' };
  const vmplPerms = input.validate
    ? Object.freeze([VMPL_PERM_ALL, 0, 0, 0] as const) : entry.vmplPerms;
  const next: Rmp = Object.freeze({
    ...rmp, [spaKey(input.spa)]: Object.freeze({ ...entry, validated: input.validate, vmplPerms }),
  });
  assert(rmpEntryOf(next, input.spa).validated === input.validate);
  assert(rmpEntryOf(next, input.spa).assigned, 'PVALIDATE never changes ownership');
  return { rmp: next, status: 'SUCCESS' };
}

// ---------------------------------------------------------------------------------------------
// RMPADJUST (guest VMPL0 grants a lower-privileged VMPL access)

export type RmpAdjustInput = Readonly<{
  asid: number; gpa: number; spa: number; senderVmpl: number; targetVmpl: number; perms: number;
}>;

/** Only a more privileged VMPL may set a less privileged VMPL's mask, never above its own. */
export function rmpAdjust(rmp: Rmp, input: RmpAdjustInput):
  Readonly<{ rmp: Rmp; status: 'SUCCESS' | 'FAIL_INPUT' | 'FAIL_PERMISSION' }> {
  assert(input.perms >= 0 && input.perms <= VMPL_PERM_ALL, 'a permission mask is four bits');
  const entry = rmpEntryOf(rmp, input.spa);
  if (!entry.assigned || entry.asid !== input.asid || entry.gpa !== input.gpa ||
    !entry.validated || input.targetVmpl > 3) {
    return { rmp, status: 'FAIL_INPUT' };
  }
  const own = entry.vmplPerms[input.senderVmpl] ?? 0;
  if (input.targetVmpl <= input.senderVmpl || (input.perms & ~own) !== 0) {
    return { rmp, status: 'FAIL_PERMISSION' };
  }
  const perms = entry.vmplPerms.map((mask, vmpl) => (vmpl === input.targetVmpl ? input.perms
    : mask)) as unknown as readonly [number, number, number, number];
  const next: Rmp = Object.freeze({
    ...rmp, [spaKey(input.spa)]: Object.freeze({ ...entry, vmplPerms: Object.freeze(perms) }),
  });
  assert(rmpEntryOf(next, input.spa).vmplPerms[input.targetVmpl] === input.perms);
  return { rmp: next, status: 'SUCCESS' };
}

// ---------------------------------------------------------------------------------------------
// The RMP check on an access

/**
 * What stops an access. `rmp_violation` is the host's #PF with the RMP bit (a hypervisor write to
 * a guest-assigned page); `npf` a guest's nested page fault with the RMP bit (the page is not
 * the guest's at that GPA, or its VMPL lacks the permission); `vc_not_validated` the guest's #VC
 * for a private access to an assigned page it has not validated.
 */
export type MemoryFaultKind = 'rmp_violation' | 'npf' | 'vc_not_validated';

export type MemoryFault = Readonly<{
  kind: MemoryFaultKind; gpa: number | null; spa: number | null; reason: string;
}>;

export function memoryFault(kind: MemoryFaultKind, where: { gpa: number | null;
  spa: number | null }, reason: string): MemoryFault {
  assert(reason.length > 0, 'a fault says why');
  return Object.freeze({ kind, gpa: where.gpa, spa: where.spa, reason });
}

/** The CPU's check of a hypervisor write (host reads are never RMP-checked: they see DRAM). */
export function checkHostWrite(rmp: Rmp, spa: number): MemoryFault | null {
  const entry = rmpEntryOf(rmp, spa);
  if (!entry.assigned) return null;
  return memoryFault('rmp_violation', { gpa: null, spa },
    `host write to SPA ${spaKey(spa)}, assigned to ASID ${entry.asid}`);
}

export type GuestAccess = Readonly<{
  asid: number; gpa: number; spa: number;
  /** The C-bit of the guest's page-table entry: private (encrypted) or shared. */
  private: boolean;
  vmpl: number;
  write: boolean;
}>;

/** The CPU's check of a guest access after the nested walk found `spa` for `gpa`. */
export function checkGuestAccess(rmp: Rmp, access: GuestAccess): MemoryFault | null {
  const entry = rmpEntryOf(rmp, access.spa);
  const where = { gpa: access.gpa, spa: access.spa };
  if (!access.private) {
    if (!entry.assigned) return null;
    return memoryFault('npf', where, 'shared (C=0) access to a guest-assigned page');
  }
  if (!entry.assigned || entry.asid !== access.asid) {
    return memoryFault('npf', where, 'private access to a page not assigned to this guest');
  }
  if (entry.gpa !== access.gpa) {
    return memoryFault('npf', where,
      `page is assigned at GPA ${spaKey(entry.gpa)}, accessed at GPA ${spaKey(access.gpa)}`);
  }
  if (!entry.validated) {
    return memoryFault('vc_not_validated', where, 'private access to a page not validated');
  }
  const need = access.write ? VMPL_PERM.WRITE : VMPL_PERM.READ;
  if (((entry.vmplPerms[access.vmpl] ?? 0) & need) === 0) {
    return memoryFault('npf', where,
      `VMPL${access.vmpl} lacks ${access.write ? 'write' : 'read'} permission`);
  }
  return null;
}
