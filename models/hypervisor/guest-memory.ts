/**
 * Models: one SEV-SNP VM's memory as the hardware enforces it: the host's nested page table
 *   (GPA → SPA), the RMP (rmp.ts), DRAM contents per system-physical page, and the memory
 *   controller's per-VM encryption (AMD64 APM vol. 2, 15.34 "Secure Encrypted Virtualization",
 *   15.36 "SEV-SNP"). What the host sees of a page is computed here, from DRAM, never from the
 *   guest's plaintext state.
 * Real counterpart: KVM's NPT and guest_memfd pages, the RMP, and the memory controller that
 *   encrypts every C-bit=1 guest write with the VM encryption key (VEK) and an address tweak.
 * Differs: the cipher is AES-256-XTS over the whole 4 KiB page (node:crypto `aes-256-xts`) with
 *   the 128-bit tweak = the page's SPA little-endian, keyed by a 64-byte VEK drawn from the
 *   firmware's seeded stream for this guest. The real memory controller uses AES-128 (AES-256
 *   with POLICY.MEM_AES_256_XTS) per 16-byte block with a tweak derived from each block's
 *   physical address; what matters here holds for both: deterministic per VM and page, the same
 *   plaintext at two addresses or in two VMs gives different ciphertext, and nothing without the
 *   VEK learns the plaintext. DRAM is sparse: a page is stored as its bytes up to the last
 *   non-zero one, with its form (`private`: written with C=1, so DRAM holds E(data);
 *   `plain`: written with C=0 or by the host, so DRAM holds data). Pages are 4 KiB only. The
 *   guest's keyring index (names → locations) sits beside the pages; a real guest keeps it in
 *   its own private memory, and it names no secret bytes.
 * Invariants: a host read returns DRAM (ciphertext for private pages); a host write to a
 *   guest-assigned page is an RMP fault and changes nothing (the same object comes back); a
 *   guest private access goes through the nested walk and the RMP check, and any fault halts the
 *   guest (Linux terminates on #VC for an unvalidated page and on any PVALIDATE failure; an
 *   #NPF stalls the vCPU), after which it reads and writes nothing; a halted guest never gets
 *   bytes back.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { hexBytes, isHexOf, toHex, type Hex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { memo } from '../../sim/kernel/memo.js';
import type { Rng } from '../../sim/kernel/rng.js';
import { encodeSecretsPage, vmpckOffset } from './guest-memory-secrets-page.js';
import {
  checkGuestAccess, checkHostWrite, memoryFault, PAGE_SIZE_BYTES, pvalidate, rmpEntryOf,
  rmpUpdate, spaKey, VMPL_PERM_ALL, type MemoryFault, type PvalidateStatus, type Rmp,
} from './rmp.js';

export type PageForm = 'plain' | 'private';

/** One physical page: its form and its bytes up to the last non-zero byte (the rest are 0). */
export type DramPage = Readonly<{ form: PageForm; data: Hex }>;

export type MemoryRegionKind = 'secrets' | 'private' | 'shared';

export type MemoryRegion = Readonly<{
  name: string; gpa: number; pages: number; kind: MemoryRegionKind;
}>;

/**
 * The UVM's pages that matter to confidentiality (the model's choice of GPAs): the firmware's
 * secrets page, the GHCB, the bridge buffers and the SNP_GUEST_REQUEST request/response pages the
 * host must see, and the keyring the guest keeps its keys in.
 */
export const DEFAULT_MEMORY_LAYOUT: readonly MemoryRegion[] = Object.freeze([
  Object.freeze({ name: 'secrets', gpa: 0x80_d000, pages: 1, kind: 'secrets' }),
  Object.freeze({ name: 'ghcb', gpa: 0x80_f000, pages: 1, kind: 'shared' }),
  Object.freeze({ name: 'bridge', gpa: 0x90_0000, pages: 2, kind: 'shared' }),
  Object.freeze({ name: 'guest-messages', gpa: 0x90_2000, pages: 2, kind: 'shared' }),
  Object.freeze({ name: 'keyring', gpa: 0xa0_0000, pages: 4, kind: 'private' }),
] as const);

export type KeySlot = Readonly<{ gpa: number; offset: number; length: number }>;

export type GuestMemory = Readonly<{
  asid: number;
  /** The VM encryption key: held by the memory controller, never by host or guest software. */
  vek: Hex;
  layout: readonly MemoryRegion[];
  /** The host's nested page table: GPA (spaKey text) → SPA. */
  npt: Readonly<Record<string, number>>;
  rmp: Rmp;
  /** DRAM by SPA (spaKey text); an absent page is all zero. */
  dram: Readonly<Record<string, DramPage>>;
  /** The next SPA the host hands out. */
  nextSpa: number;
  /** The guest's keyring index: where each named secret lives; `used` bytes allocated. */
  keyring: Readonly<{ slots: Readonly<Record<string, KeySlot>>; used: number }>;
  /** The fault that stopped the guest, or null while it runs. */
  halted: MemoryFault | null;
  /** Guest POLICY.DEBUG: the firmware decrypts pages for the host (SNP_DBG_DECRYPT). */
  debug: boolean;
}>;

const VEK_BYTES = 64;
/** Where the host starts handing out physical pages (above 4 GiB, away from guest GPAs). */
const FIRST_SPA = 0x1_0000_0000;

// ---------------------------------------------------------------------------------------------
// DRAM and the memory controller

function expand(data: Hex): Uint8Array {
  const out = new Uint8Array(PAGE_SIZE_BYTES);
  out.set(hexBytes(data));
  return out;
}

function trim(bytes: Uint8Array): Hex {
  assert(bytes.length === PAGE_SIZE_BYTES, 'a page is 4 KiB');
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return toHex(bytes.subarray(0, end));
}

function tweakOf(spa: number): Uint8Array {
  const tweak = new Uint8Array(16);
  new DataView(tweak.buffer).setBigUint64(0, BigInt(spa), true);
  return tweak;
}

/** E_VEK(page at spa): what DRAM holds for a page the guest wrote with C=1. */
function encryptPage(vek: Hex, spa: number, plaintext: Uint8Array): Uint8Array {
  assert(plaintext.length === PAGE_SIZE_BYTES);
  const cipher = createCipheriv('aes-256-xts', hexBytes(vek), tweakOf(spa));
  const out = new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final()]));
  assert(out.length === PAGE_SIZE_BYTES, 'XTS keeps the length');
  return out;
}

/** D_VEK(DRAM at spa): what a C=1 read of a page that DRAM holds in the clear returns. */
function decryptPage(vek: Hex, spa: number, dram: Uint8Array): Uint8Array {
  const decipher = createDecipheriv('aes-256-xts', hexBytes(vek), tweakOf(spa));
  const out = new Uint8Array(Buffer.concat([decipher.update(dram), decipher.final()]));
  assert(out.length === PAGE_SIZE_BYTES, 'XTS keeps the length');
  return out;
}

/** The bytes DRAM holds at `spa`: what any host read of that page returns. Fresh bytes. */
function dramBytes(memory: GuestMemory, spa: number): Uint8Array {
  const page = memory.dram[spaKey(spa)];
  if (page === undefined) return new Uint8Array(PAGE_SIZE_BYTES);
  if (page.form === 'plain') return expand(page.data);
  const key = `${memory.vek}:${spa}:${page.data}`;
  const ciphertext = memo('hypervisor.dram-ciphertext', key,
    () => encryptPage(memory.vek, spa, expand(page.data)));
  return ciphertext.slice();
}

/** What a guest C=1 read of `spa` sees: the plaintext it wrote, or D_VEK of clear DRAM. */
function privateView(memory: GuestMemory, spa: number): Uint8Array {
  const page = memory.dram[spaKey(spa)];
  if (page !== undefined && page.form === 'private') return expand(page.data);
  return decryptPage(memory.vek, spa, dramBytes(memory, spa));
}

function withPage(memory: GuestMemory, spa: number, page: DramPage): GuestMemory {
  return Object.freeze({
    ...memory, dram: Object.freeze({ ...memory.dram, [spaKey(spa)]: Object.freeze(page) }),
  });
}

// ---------------------------------------------------------------------------------------------
// Launch

export type LaunchMemoryInput = Readonly<{
  /** The firmware's stream for this guest (the VEK is drawn from its fork 'vek'). */
  rng: Rng;
  asid: number;
  /** VMPCK0..3 from the guest context: the firmware writes them into the secrets page. */
  vmpck: readonly Hex[];
  layout?: readonly MemoryRegion[];
  /** The launch policy's DEBUG bit (default false). */
  debug?: boolean;
}>;

/**
 * The VMM maps every region, assigns the private ones to the guest (RMPUPDATE), the firmware
 * writes and validates the secrets page (SNP_LAUNCH_UPDATE), and the booting guest validates
 * its other private pages (PVALIDATE) and clears them.
 */
export function launchGuestMemory(input: LaunchMemoryInput): GuestMemory {
  assert(Number.isSafeInteger(input.asid) && input.asid > 0, 'a guest ASID is positive');
  const vek = toHex(input.rng.fork('vek').bytes(VEK_BYTES));
  assert(vek.slice(0, VEK_BYTES) !== vek.slice(VEK_BYTES), 'XTS key halves differ');
  const layout = input.layout ?? DEFAULT_MEMORY_LAYOUT;
  let memory: GuestMemory = Object.freeze({
    asid: input.asid, vek, layout, npt: Object.freeze({}), rmp: Object.freeze({}),
    dram: Object.freeze({}), nextSpa: FIRST_SPA,
    keyring: Object.freeze({ slots: Object.freeze({}), used: 0 }), halted: null,
    debug: input.debug ?? false,
  });
  for (const region of layout) {
    for (let i = 0; i < region.pages; i++) {
      memory = mapPage(memory, region.gpa + i * PAGE_SIZE_BYTES, region.kind !== 'shared');
    }
  }
  const secrets = layout.find((region) => region.kind === 'secrets');
  if (secrets !== undefined) memory = firmwareSecretsPage(memory, secrets.gpa, input.vmpck);
  for (const region of layout.filter((r) => r.kind === 'private')) {
    for (let i = 0; i < region.pages; i++) {
      const gpa = region.gpa + i * PAGE_SIZE_BYTES;
      const result = guestPvalidate(memory, gpa, true);
      assert(result.status === 'SUCCESS', 'boot-time PVALIDATE of a freshly assigned page');
      // The kernel clears a page it has just accepted (through C=1): DRAM then holds E(0).
      const cleared = guestWrite(result.memory, { gpa, offset: 0, private: true },
        new Uint8Array(PAGE_SIZE_BYTES));
      assert(cleared.ok, 'the guest clears its own validated page');
      memory = cleared.memory;
    }
  }
  assert(memory.halted === null, 'a launched guest runs');
  return memory;
}

function mapPage(memory: GuestMemory, gpa: number, assigned: boolean): GuestMemory {
  const spa = memory.nextSpa;
  let rmp = memory.rmp;
  if (assigned) {
    const update = rmpUpdate(rmp, { spa, assigned: true, asid: memory.asid, gpa, pageSize: '4k' });
    assert(update.status === 'SUCCESS', 'a fresh page can be assigned');
    rmp = update.rmp;
  }
  return Object.freeze({
    ...memory, rmp, nextSpa: spa + PAGE_SIZE_BYTES,
    npt: Object.freeze({ ...memory.npt, [spaKey(gpa)]: spa }),
  });
}

/** SNP_LAUNCH_UPDATE(SECRETS): the firmware fills the page and marks it validated. */
function firmwareSecretsPage(memory: GuestMemory, gpa: number, vmpck: readonly Hex[]):
  GuestMemory {
  const spa = memory.npt[spaKey(gpa)];
  assert(spa !== undefined, 'the secrets page is mapped');
  const entry = rmpEntryOf(memory.rmp, spa);
  assert(entry.assigned && !entry.validated, 'the firmware fills an assigned, unvalidated page');
  const rmp: Rmp = Object.freeze({
    ...memory.rmp, [spaKey(spa)]: Object.freeze({
      ...entry, validated: true, vmplPerms: Object.freeze([VMPL_PERM_ALL, 0, 0, 0] as const),
    }),
  });
  const page = encodeSecretsPage({ vmpck });
  return withPage(Object.freeze({ ...memory, rmp }), spa, { form: 'private', data: trim(page) });
}

// ---------------------------------------------------------------------------------------------
// Requests from outside the model (host actions): validated, SimError on bad ones

export type PageRange = Readonly<{ gpa: number; offset: number; length: number }>;

/** Checks a host- or guest-named byte range inside one mapped 4 KiB page; returns its SPA. */
function mappedPage(memory: GuestMemory, range: PageRange): number {
  const { gpa, offset, length } = range;
  const ok = Number.isSafeInteger(gpa) && gpa >= 0 && gpa % PAGE_SIZE_BYTES === 0 &&
    Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 &&
    offset + length <= PAGE_SIZE_BYTES;
  if (!ok) {
    throw new SimError('HV_BAD_MEMORY_REQUEST', { gpa, offset, length },
      'a memory request names a 4 KiB-aligned GPA and a byte range inside that page');
  }
  const spa = memory.npt[spaKey(gpa)];
  if (spa === undefined) {
    throw new SimError('HV_BAD_MEMORY_REQUEST', { gpa },
      `GPA ${spaKey(gpa)} is not mapped in this VM`);
  }
  return spa;
}

/** GPAs the VM has mapped, in address order. */
export function mappedGpas(memory: GuestMemory): number[] {
  const gpas = Object.keys(memory.npt).map((key) => Number(key)).sort((a, b) => a - b);
  assert(gpas.every((gpa) => gpa % PAGE_SIZE_BYTES === 0));
  return gpas;
}

// ---------------------------------------------------------------------------------------------
// The host (hypervisor) side

/** A host read of the page at `gpa` (through its own NPT): the DRAM bytes, 4 KiB. */
export function hostReadPage(memory: GuestMemory, gpa: number): Uint8Array {
  const spa = mappedPage(memory, { gpa, offset: 0, length: PAGE_SIZE_BYTES });
  const bytes = dramBytes(memory, spa);
  assert(bytes.length === PAGE_SIZE_BYTES);
  return bytes;
}

export type HostWriteResult = Readonly<{ memory: GuestMemory; fault: MemoryFault | null }>;

/** A host write into the page at `gpa`: an RMP fault on a guest-assigned page. */
export function hostWrite(memory: GuestMemory, gpa: number, offset: number, bytes: Uint8Array):
  HostWriteResult {
  const spa = mappedPage(memory, { gpa, offset, length: bytes.length });
  const fault = checkHostWrite(memory.rmp, spa);
  if (fault !== null) return { memory, fault };
  const page = dramBytes(memory, spa);
  page.set(bytes, offset);
  const next = withPage(memory, spa, { form: 'plain', data: trim(page) });
  assert(!rmpEntryOf(next.rmp, spa).assigned, 'the host wrote only a page it owns');
  return { memory: next, fault: null };
}

export type RemapTarget =
  | Readonly<{ kind: 'fresh'; fill: Hex }>
  | Readonly<{ kind: 'swap'; gpa: number }>;

/**
 * The host changes its NPT for `gpa`. `fresh`: it fills a new physical page with bytes of its
 * choice, assigns it to the guest at `gpa` (RMPUPDATE, which clears Validated) and maps it;
 * `swap`: it exchanges the SPAs behind two GPAs. The host needs no permission for either; the
 * guest's next access decides what the attack achieves.
 */
export function hostRemap(memory: GuestMemory, gpa: number, target: RemapTarget): GuestMemory {
  const oldSpa = mappedPage(memory, { gpa, offset: 0, length: 0 });
  if (target.kind === 'swap') {
    const otherSpa = mappedPage(memory, { gpa: target.gpa, offset: 0, length: 0 });
    return Object.freeze({ ...memory, npt: Object.freeze({
      ...memory.npt, [spaKey(gpa)]: otherSpa, [spaKey(target.gpa)]: oldSpa,
    }) });
  }
  const fill: unknown = target.fill;
  if (typeof fill !== 'string' || !isHexOf(fill, fill.length / 2) ||
    fill.length > 2 * PAGE_SIZE_BYTES) {
    throw new SimError('HV_BAD_MEMORY_REQUEST', { fill: String(fill).slice(0, 40) },
      'a remap fill is lowercase hex of at most 4096 bytes');
  }
  const spa = memory.nextSpa;
  const update = rmpUpdate(memory.rmp,
    { spa, assigned: true, asid: memory.asid, gpa, pageSize: '4k' });
  assert(update.status === 'SUCCESS', 'a fresh page can be assigned');
  const filled = new Uint8Array(PAGE_SIZE_BYTES);
  filled.set(hexBytes(target.fill));
  const next = withPage(Object.freeze({
    ...memory, rmp: update.rmp, nextSpa: spa + PAGE_SIZE_BYTES,
    npt: Object.freeze({ ...memory.npt, [spaKey(gpa)]: spa }),
  }), spa, { form: 'plain', data: trim(filled) });
  assert(!rmpEntryOf(next.rmp, spa).validated, 'a remapped page arrives unvalidated');
  return next;
}

export type HostVisiblePage = Readonly<{
  spa: number; gpa: number | null;
  /** DRAM as the host reads it. */
  bytes: Uint8Array;
  /** What SNP_DBG_DECRYPT gives the host for a DEBUG guest's private page; null otherwise. */
  debugPlaintext: Uint8Array | null;
}>;

/**
 * SNP_DBG_DECRYPT (SEV-SNP ABI spec 56860 "SNP_DBG_DECRYPT"): the firmware decrypts a guest page
 * for the hypervisor only when the guest's POLICY has DEBUG; otherwise it fails with
 * POLICY_FAILURE (null here).
 */
export function hostDebugDecrypt(memory: GuestMemory, gpa: number): Uint8Array | null {
  const spa = mappedPage(memory, { gpa, offset: 0, length: PAGE_SIZE_BYTES });
  if (!memory.debug || !rmpEntryOf(memory.rmp, spa).assigned) return null;
  return privateView(memory, spa);
}

/**
 * Everything the host can read of this VM's memory: every physical page the VM has used, as
 * DRAM holds it (ciphertext for pages the guest wrote with C=1, plaintext for shared pages), and
 * for a DEBUG guest the plaintext the firmware decrypts on request. Computed from DRAM alone (and
 * the VEK for DEBUG guests, as the firmware would); the guest's plaintext state never enters.
 */
export function hostView(memory: GuestMemory): HostVisiblePage[] {
  const gpaOf = new Map<number, number>();
  for (const [gpa, spa] of Object.entries(memory.npt)) gpaOf.set(spa, Number(gpa));
  const spas = new Set<number>([...gpaOf.keys(), ...Object.keys(memory.rmp).map(Number),
    ...Object.keys(memory.dram).map(Number)]);
  const pages = [...spas].sort((a, b) => a - b).map((spa) => Object.freeze({
    spa, gpa: gpaOf.get(spa) ?? null, bytes: dramBytes(memory, spa),
    debugPlaintext: memory.debug && rmpEntryOf(memory.rmp, spa).assigned
      ? privateView(memory, spa) : null,
  }));
  assert(pages.every((page) => page.bytes.length === PAGE_SIZE_BYTES));
  return pages;
}

// ---------------------------------------------------------------------------------------------
// The guest side

export type GuestAccessResult =
  | Readonly<{ ok: true; memory: GuestMemory; bytes: Uint8Array }>
  | Readonly<{ ok: false; memory: GuestMemory; fault: MemoryFault }>;

export type GuestAccessInput = PageRange & Readonly<{ private: boolean; vmpl?: number }>;

function halt(memory: GuestMemory, fault: MemoryFault): GuestAccessResult {
  const stopped = memory.halted === null ? Object.freeze({ ...memory, halted: fault }) : memory;
  assert(stopped.halted !== null, 'a faulting guest is halted');
  return { ok: false, memory: stopped, fault: stopped.halted };
}

/** The nested walk and the RMP check of one guest access; null when it may proceed. */
function guestFault(memory: GuestMemory, input: GuestAccessInput, write: boolean,
  spa: number | undefined): MemoryFault | null {
  if (memory.halted !== null) return memory.halted;
  if (spa === undefined) {
    return memoryFault('npf', { gpa: input.gpa, spa: null }, 'GPA not mapped by the NPT');
  }
  return checkGuestAccess(memory.rmp, {
    asid: memory.asid, gpa: input.gpa, spa, private: input.private, vmpl: input.vmpl ?? 0,
    write,
  });
}

/** A guest read; C=1 sees its own plaintext, C=0 sees DRAM. */
export function guestRead(memory: GuestMemory, input: GuestAccessInput): GuestAccessResult {
  assert(input.offset + input.length <= PAGE_SIZE_BYTES, 'a guest read stays inside a page');
  const spa = memory.npt[spaKey(input.gpa)];
  const fault = guestFault(memory, input, false, spa);
  if (fault !== null) return halt(memory, fault);
  assert(spa !== undefined, 'an access without a fault has a page');
  const page = input.private ? privateView(memory, spa) : dramBytes(memory, spa);
  return { ok: true, memory, bytes: page.slice(input.offset, input.offset + input.length) };
}

/** A guest write; C=1 stores plaintext that DRAM holds encrypted, C=0 stores it in the clear. */
export function guestWrite(memory: GuestMemory, input: Omit<GuestAccessInput, 'length'>,
  bytes: Uint8Array): GuestAccessResult {
  assert(input.offset + bytes.length <= PAGE_SIZE_BYTES, 'a guest write stays inside a page');
  const spa = memory.npt[spaKey(input.gpa)];
  const fault = guestFault(memory, { ...input, length: bytes.length }, true, spa);
  if (fault !== null) return halt(memory, fault);
  assert(spa !== undefined, 'an access without a fault has a page');
  const page = input.private ? privateView(memory, spa) : dramBytes(memory, spa);
  page.set(bytes, input.offset);
  const form: PageForm = input.private ? 'private' : 'plain';
  return { ok: true, memory: withPage(memory, spa, { form, data: trim(page) }), bytes };
}

/** PVALIDATE of the page the guest reaches at `gpa`; any failure halts the guest (Linux). */
export function guestPvalidate(memory: GuestMemory, gpa: number, validate: boolean):
  Readonly<{ memory: GuestMemory; status: PvalidateStatus | 'HALTED' }> {
  if (memory.halted !== null) return { memory, status: 'HALTED' };
  const spa = memory.npt[spaKey(gpa)];
  const result = spa === undefined ? { rmp: memory.rmp, status: 'FAIL_INPUT' as const }
    : pvalidate(memory.rmp, { asid: memory.asid, gpa, spa, pageSize: '4k', validate });
  if (result.status !== 'SUCCESS') {
    const fault = memoryFault('npf', { gpa, spa: spa ?? null },
      `PVALIDATE failed with ${result.status}: the guest terminates`);
    return { memory: Object.freeze({ ...memory, halted: fault }), status: result.status };
  }
  return { memory: Object.freeze({ ...memory, rmp: result.rmp }), status: 'SUCCESS' };
}

/**
 * The guest touches its private working set (every page of its private regions), as any step
 * of a running kernel does: the first page the RMP check refuses halts the guest.
 */
export function guestTouch(memory: GuestMemory): Readonly<{ memory: GuestMemory;
  fault: MemoryFault | null }> {
  if (memory.halted !== null) return { memory, fault: memory.halted };
  for (const region of memory.layout) {
    if (region.kind === 'shared') continue;
    for (let i = 0; i < region.pages; i++) {
      const gpa = region.gpa + i * PAGE_SIZE_BYTES;
      const fault = guestFault(memory, { gpa, offset: 0, length: 0, private: true }, false,
        memory.npt[spaKey(gpa)]);
      if (fault !== null) {
        const halted = halt(memory, fault);
        assert(!halted.ok, 'a fault halts');
        return { memory: halted.memory, fault: halted.memory.halted };
      }
    }
  }
  return { memory, fault: null };
}

/** The guest's sev-guest driver reads VMPCKn from the secrets page. */
export function guestReadVmpck(memory: GuestMemory, index: number): GuestAccessResult {
  const secrets = memory.layout.find((region) => region.kind === 'secrets');
  assert(secrets !== undefined, 'the VM has a secrets page');
  return guestRead(memory, { gpa: secrets.gpa, offset: vmpckOffset(index), length: 32,
    private: true });
}

// ---------------------------------------------------------------------------------------------
// The guest's keyring: named secrets in its private pages

function keyringRegion(memory: GuestMemory): MemoryRegion {
  const region = memory.layout.find((r) => r.name === 'keyring' && r.kind === 'private');
  assert(region !== undefined, 'the VM has a private keyring region');
  return region;
}

/** Where a new secret of `length` bytes goes: the next bytes that fit in one page. */
function allocateSlot(memory: GuestMemory, length: number): { slot: KeySlot; used: number } {
  const region = keyringRegion(memory);
  let used = memory.keyring.used;
  if ((used % PAGE_SIZE_BYTES) + length > PAGE_SIZE_BYTES) {
    used = Math.ceil(used / PAGE_SIZE_BYTES) * PAGE_SIZE_BYTES;
  }
  if (used + length > region.pages * PAGE_SIZE_BYTES) {
    throw new SimError('SIM_LIMIT_EXCEEDED', { what: 'guest keyring', length },
      `the guest keyring (${region.pages} pages) has no room for ${length} more bytes`);
  }
  const gpa = region.gpa + Math.floor(used / PAGE_SIZE_BYTES) * PAGE_SIZE_BYTES;
  const slot = Object.freeze({ gpa, offset: used % PAGE_SIZE_BYTES, length });
  assert(slot.offset + length <= PAGE_SIZE_BYTES, 'a slot stays inside a page');
  return { slot, used: used + length };
}

/** The guest stores a secret under `name` (a new slot, or in place when the length matches). */
export function guestStoreSecret(memory: GuestMemory, name: string, bytes: Uint8Array):
  GuestAccessResult {
  assert(name.length > 0 && bytes.length > 0 && bytes.length <= PAGE_SIZE_BYTES);
  const existing = memory.keyring.slots[name];
  const placed = existing !== undefined && existing.length === bytes.length
    ? { slot: existing, used: memory.keyring.used } : allocateSlot(memory, bytes.length);
  const written = guestWrite(memory,
    { gpa: placed.slot.gpa, offset: placed.slot.offset, private: true }, bytes);
  if (!written.ok) return written;
  const keyring = Object.freeze({
    slots: Object.freeze({ ...memory.keyring.slots, [name]: placed.slot }), used: placed.used,
  });
  return { ok: true, memory: Object.freeze({ ...written.memory, keyring }), bytes };
}

/** The guest reads a secret back through its own (checked) private access. */
export function guestLoadSecret(memory: GuestMemory, name: string): GuestAccessResult {
  const slot = memory.keyring.slots[name];
  assert(slot !== undefined, `the guest stored a secret named ${name}`);
  return guestRead(memory, { ...slot, private: true });
}
