/**
 * Models: the AMD-SP firmware's guest launch flow (SEV-SNP Firmware ABI spec 56860:
 * SNP_LAUNCH_START, SNP_LAUNCH_UPDATE, SNP_LAUNCH_FINISH; spec/snp.md section c) as an xstate
 * machine over the GCTX. What is stored is the machine's persisted `{value, context}` as plain
 * data (`LaunchState`, bytes as hex), so it round-trips through the state codec; each command
 * resolves it into a snapshot, takes one pure `transition`, and stores the result back.
 * Real counterpart: the GCTX page and the three firmware commands the hypervisor issues.
 * Differs: no RMP or encrypted memory (pages arrive as plaintext); no migration agent import;
 * randomness (REPORT_ID, VMPCKs) comes from the caller's seeded Rng fork; the secrets page is not
 * materialised. States: awaiting_start → launching → running.
 * Invariants: LD starts as 48 zero bytes; only LAUNCH_UPDATE changes LD; LAUNCH_FINISH leaves it as
 * it is and freezes a GuestContext; a command in the wrong state is INVALID_GUEST_STATE; a refused
 * command leaves the state unchanged (commands return new states, they never mutate).
 */
import { assign, setup, transition } from 'xstate';
import { assert } from '../../../sim/kernel/assert.js';
import { hexBytes, isHexOf, toHex, type Hex } from '../../../sim/kernel/bytes.js';
import type { Rng } from '../../../sim/kernel/rng.js';
import { assertGuestContext, launchSecrets, type GuestContext } from '../guest-context.js';
import { firmwareStatusError } from './firmware-status.js';
import { launchPolicyViolations, type LaunchPlatform } from './launch-policy.js';
import { verifyIdAuth } from './id-auth.js';
import {
  LARGE_PAGE_BYTES, LAUNCH_DIGEST_BYTES, PAGE_BYTES, PAGE_TYPE, extendLaunchDigest, isPageType,
  type MeasuredRange, type PageType, type VmplPerms,
} from './page-info.js';

/** The GCTX fields the launch commands read and write. Plain data; bytes as hex. */
export type LaunchGctx = Readonly<{
  policy: bigint;
  ld: Hex;
  /** IMI digest (only extended by IMI pages). */
  imd: Hex;
  imi_en: boolean;
  pages_measured: number;
  report_id: Hex;
  report_id_ma: Hex;
  vmpck: readonly Hex[];
  launch_tcb: bigint;
  launch_mit_vector: bigint;
  /** Set by LAUNCH_FINISH; frozen. */
  guest: GuestContext | null;
}>;

type StartEvent = Readonly<{
  type: 'LAUNCH_START'; policy: bigint; imi_en: boolean; report_id: Hex; report_id_ma: Hex;
  vmpck: readonly Hex[]; launch_tcb: bigint; launch_mit_vector: bigint;
}>;
type UpdateEvent = Readonly<{ type: 'LAUNCH_UPDATE'; range: MeasuredRange }>;
type FinishEvent = Readonly<{ type: 'LAUNCH_FINISH'; guest: GuestContext }>;
type LaunchEvent = StartEvent | UpdateEvent | FinishEvent;

const ZERO_LD: Hex = '00'.repeat(LAUNCH_DIGEST_BYTES);

const EMPTY_GCTX: LaunchGctx = Object.freeze({
  policy: 0n, ld: ZERO_LD, imd: ZERO_LD, imi_en: false, pages_measured: 0,
  report_id: '00'.repeat(32), report_id_ma: '00'.repeat(32), vmpck: Object.freeze([]),
  launch_tcb: 0n, launch_mit_vector: 0n, guest: null,
});

/** The machine: named, pure actions; parameter checks happen before an event is sent. */
export const launchContextMachine = setup({
  types: { context: {} as LaunchGctx, events: {} as LaunchEvent },
  actions: {
    recordStart: assign(({ event }) => {
      assert(event.type === 'LAUNCH_START');
      return {
        ...EMPTY_GCTX, policy: event.policy, imi_en: event.imi_en, report_id: event.report_id,
        report_id_ma: event.report_id_ma, vmpck: event.vmpck, launch_tcb: event.launch_tcb,
        launch_mit_vector: event.launch_mit_vector,
      };
    }),
    measureRange: assign(({ context, event }) => {
      assert(event.type === 'LAUNCH_UPDATE');
      const ld = toHex(extendLaunchDigest(hexBytes(context.ld), event.range));
      const imd = event.range.imi_page === true
        ? toHex(extendLaunchDigest(hexBytes(context.imd), event.range))
        : context.imd;
      return {
        ld, imd, pages_measured: context.pages_measured + event.range.lengthBytes / PAGE_BYTES,
      };
    }),
    recordFinish: assign(({ context, event }) => {
      assert(event.type === 'LAUNCH_FINISH');
      assert(event.guest.measurement === context.ld, 'LAUNCH_FINISH keeps the measurement');
      return { guest: event.guest };
    }),
  },
}).createMachine({
  id: 'snp_launch_context',
  initial: 'awaiting_start',
  context: EMPTY_GCTX,
  states: {
    awaiting_start: { on: { LAUNCH_START: { target: 'launching', actions: 'recordStart' } } },
    launching: {
      on: {
        LAUNCH_UPDATE: { actions: 'measureRange' },
        LAUNCH_FINISH: { target: 'running', actions: 'recordFinish' },
      },
    },
    running: {},
  },
});

export type LaunchPhase = 'awaiting_start' | 'launching' | 'running';

/** The launch context as stored: the machine's persisted value and context, plain data. */
export type LaunchState = Readonly<{ value: LaunchPhase; context: LaunchGctx }>;

export function createLaunchContext(): LaunchState {
  const state: LaunchState = Object.freeze({ value: 'awaiting_start', context: EMPTY_GCTX });
  assert(launchContextMachine.config.initial === state.value, 'the machine starts where we do');
  return state;
}

export function launchPhase(state: LaunchState): LaunchPhase {
  const phase = state.value;
  assert(phase === 'awaiting_start' || phase === 'launching' || phase === 'running',
    'launch phase');
  return phase;
}

/** One pure machine transition from stored state to stored state. */
function step(state: LaunchState, event: LaunchEvent, expected: LaunchPhase): LaunchState {
  const snapshot = launchContextMachine.resolveState({
    value: state.value, context: state.context,
  });
  const [next] = transition(launchContextMachine, snapshot, event);
  const stored: LaunchState = Object.freeze({
    value: next.value as LaunchPhase, context: Object.freeze({ ...next.context }),
  });
  assert(launchPhase(stored) === expected, `${event.type}: ended in ${stored.value}`);
  return stored;
}

function requirePhase(snapshot: LaunchState, command: Parameters<typeof firmwareStatusError>[0],
  phase: LaunchPhase): void {
  const actual = launchPhase(snapshot);
  if (actual !== phase) {
    throw firmwareStatusError(command, 'INVALID_GUEST_STATE',
      `guest is ${actual}, expected ${phase}`, { phase: actual });
  }
}

export type LaunchStartCommand = Readonly<{
  policy: bigint;
  platform: LaunchPlatform;
  /** CURRENT_TCB of the platform, recorded as LAUNCH_TCB. */
  current_tcb: bigint;
  mit_vector?: bigint;
  imi_en?: boolean;
  /** The firmware's stream for this guest: REPORT_ID and VMPCK0..3 are drawn from named forks. */
  rng: Rng;
}>;

/** SNP_LAUNCH_START: checks the policy, sets LD to zero, draws REPORT_ID and the VMPCKs. */
export function snpLaunchStart(snapshot: LaunchState,
  command: LaunchStartCommand): LaunchState {
  requirePhase(snapshot, 'SNP_LAUNCH_START', 'awaiting_start');
  if (typeof command.policy !== 'bigint' || command.policy < 0n || command.policy >= 1n << 64n) {
    throw firmwareStatusError('SNP_LAUNCH_START', 'INVALID_PARAM', 'policy is not a u64');
  }
  const violation = launchPolicyViolations(command.policy, command.platform)[0];
  if (violation !== undefined) {
    throw firmwareStatusError('SNP_LAUNCH_START', violation.statusName, violation.reason,
      { policy: `0x${command.policy.toString(16)}` });
  }
  const { report_id, vmpck } = launchSecrets(command.rng);
  const next = step(snapshot, {
    type: 'LAUNCH_START', policy: command.policy, imi_en: command.imi_en === true,
    report_id, report_id_ma: 'ff'.repeat(32),
    vmpck, launch_tcb: command.current_tcb, launch_mit_vector: command.mit_vector ?? 0n,
  }, 'launching');
  assert(next.context.ld === ZERO_LD, 'LAUNCH_START: LD is zero');
  return next;
}

export type LaunchUpdateCommand = Readonly<{
  page_type: number;
  gpa: number;
  /** 0 = 4 KiB pages, 1 = 2 MiB pages (bit 0 of the command word). */
  page_size?: 0 | 1;
  lengthBytes: number;
  /** Plaintext for NORMAL and VMSA pages; ignored (not hashed) for the other types. */
  contents?: Uint8Array;
  vmpl_perms?: VmplPerms;
  imi_page?: boolean;
}>;

/** Upper bound on one LAUNCH_UPDATE (bounded loops): 16 GiB. */
export const MAX_UPDATE_BYTES = 16 * 1024 ** 3;

function checkedRange(snapshot: LaunchState, command: LaunchUpdateCommand): MeasuredRange {
  const refuse = (
    statusName: 'INVALID_PARAM' | 'INVALID_ADDRESS' | 'INVALID_LENGTH' | 'INVALID_PAGE_SIZE',
    reason: string,
  ): never => { throw firmwareStatusError('SNP_LAUNCH_UPDATE', statusName, reason); };
  if (!isPageType(command.page_type)) {
    refuse('INVALID_PARAM', `PAGE_TYPE ${command.page_type} is reserved`);
  }
  const pageType = command.page_type as PageType;
  const unit = command.page_size === 1 ? LARGE_PAGE_BYTES : PAGE_BYTES;
  const small = pageType === PAGE_TYPE.VMSA || pageType === PAGE_TYPE.SECRETS ||
    pageType === PAGE_TYPE.CPUID;
  if (small && unit !== PAGE_BYTES) {
    refuse('INVALID_PAGE_SIZE', 'VMSA, SECRETS and CPUID pages must be 4 KiB');
  }
  if (!Number.isSafeInteger(command.gpa) || command.gpa < 0 || command.gpa % unit !== 0) {
    refuse('INVALID_ADDRESS', `GPA 0x${command.gpa.toString(16)} is not aligned to its page size`);
  }
  const length = command.lengthBytes;
  if (!Number.isSafeInteger(length) || length <= 0 || length % unit !== 0 ||
    length > MAX_UPDATE_BYTES) {
    refuse('INVALID_LENGTH', `length ${length} is not a positive multiple of the page size`);
  }
  if (command.gpa + length > 2 ** 52) {
    refuse('INVALID_ADDRESS', 'range ends beyond the guest address space');
  }
  const hashed = pageType === PAGE_TYPE.NORMAL || pageType === PAGE_TYPE.VMSA;
  if (hashed && command.contents?.length !== length) {
    refuse('INVALID_LENGTH', 'page contents missing or of the wrong length');
  }
  const perms = command.vmpl_perms;
  if (perms !== undefined) {
    for (const value of [perms.vmpl1_perms, perms.vmpl2_perms, perms.vmpl3_perms]) {
      if (!Number.isInteger(value) || value < 0 || value > 0xff) {
        refuse('INVALID_PARAM', 'VMPL permissions are one byte each');
      }
    }
  }
  if (command.imi_page === true && !snapshot.context.imi_en) {
    refuse('INVALID_PARAM', 'IMI page but IMI_EN was 0 at LAUNCH_START');
  }
  return {
    page_type: pageType, gpa: command.gpa, lengthBytes: length,
    ...(hashed ? { contents: command.contents } : {}),
    ...(perms !== undefined ? { vmpl_perms: perms } : {}),
    ...(command.imi_page === true ? { imi_page: true } : {}),
  };
}

/** SNP_LAUNCH_UPDATE: one PAGE_INFO per 4 KiB chunk; LD = SHA-384(PAGE_INFO) each time. */
export function snpLaunchUpdate(snapshot: LaunchState,
  command: LaunchUpdateCommand): LaunchState {
  requirePhase(snapshot, 'SNP_LAUNCH_UPDATE', 'launching');
  const range = checkedRange(snapshot, command);
  const next = step(snapshot, { type: 'LAUNCH_UPDATE', range }, 'launching');
  assert(next.context.pages_measured ===
    snapshot.context.pages_measured + range.lengthBytes / PAGE_BYTES);
  return next;
}

export type LaunchFinishCommand = Readonly<{
  host_data?: Uint8Array;
  /** ID_BLOCK_EN: when given, the ID block and ID auth info are verified. */
  id_block?: Readonly<{ id_block: Uint8Array; id_auth_info: Uint8Array; auth_key_en: boolean }>;
  vcek_disabled?: boolean;
}>;

/** SNP_LAUNCH_FINISH: verifies the ID block, records HOST_DATA and the ID fields; LD unchanged. */
export function snpLaunchFinish(snapshot: LaunchState,
  command: LaunchFinishCommand): LaunchState {
  requirePhase(snapshot, 'SNP_LAUNCH_FINISH', 'launching');
  const gctx = snapshot.context;
  const host_data = command.host_data ?? new Uint8Array(32);
  if (host_data.length !== 32) {
    throw firmwareStatusError('SNP_LAUNCH_FINISH', 'INVALID_PARAM', 'HOST_DATA is 32 bytes');
  }
  let ids: Pick<GuestContext, 'family_id' | 'image_id' | 'guest_svn' | 'id_key_digest'
    | 'author_key_digest' | 'author_key_en'> = {
    family_id: '00'.repeat(16), image_id: '00'.repeat(16), guest_svn: 0,
    id_key_digest: '00'.repeat(48), author_key_digest: '00'.repeat(48),
    author_key_en: false,
  };
  if (command.id_block !== undefined) {
    const verdict = verifyIdAuth(command.id_block, hexBytes(gctx.ld), gctx.policy);
    if (!verdict.ok) {
      throw firmwareStatusError('SNP_LAUNCH_FINISH', verdict.statusName, verdict.reason);
    }
    ids = {
      family_id: toHex(verdict.block.family_id), image_id: toHex(verdict.block.image_id),
      guest_svn: verdict.block.guest_svn, id_key_digest: toHex(verdict.id_key_digest),
      author_key_digest: toHex(verdict.author_key_digest),
      author_key_en: command.id_block.auth_key_en,
    };
  }
  const guest: GuestContext = Object.freeze(assertGuestContext({
    policy: gctx.policy, measurement: gctx.ld, host_data: toHex(host_data), ...ids,
    report_id: gctx.report_id, report_id_ma: gctx.report_id_ma, launch_tcb: gctx.launch_tcb,
    launch_mit_vector: gctx.launch_mit_vector, vcek_disabled: command.vcek_disabled === true,
    vmpck: Object.freeze([...gctx.vmpck]),
  }));
  const next = step(snapshot, { type: 'LAUNCH_FINISH', guest }, 'running');
  assert(next.context.ld === gctx.ld, 'LAUNCH_FINISH does not change the measurement');
  assert(isHexOf(next.context.ld, LAUNCH_DIGEST_BYTES));
  return next;
}

/** The frozen GuestContext of a running guest (the source of every report field it owns). */
export function guestContextOf(snapshot: LaunchState): GuestContext {
  requirePhase(snapshot, 'SNP_LAUNCH_FINISH', 'running');
  const guest = snapshot.context.guest;
  assert(guest !== null, 'running guest has a context');
  assert(Object.isFrozen(guest));
  return guest;
}
