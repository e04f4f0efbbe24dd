/**
 * Goal: the RMP model follows the rules of AMD64 APM vol. 2, 15.36 that confidentiality rests on:
 *   RMPUPDATE always clears Validated and cannot touch an Immutable page; PVALIDATE validates
 *   only the guest's own page at its GPA and page size; RMPADJUST grants a less privileged VMPL
 *   at most the granter's rights; the access check refuses host writes to assigned pages and
 *   guest accesses to pages that are not theirs, not at that GPA, not validated or not permitted.
 * Method: small RMPs built entry by entry; each rule is checked on its allowed and forbidden side.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkGuestAccess, checkHostWrite, pvalidate, rmpAdjust, rmpEntryOf, rmpUpdate, VMPL_PERM,
  type Rmp,
} from '../../models/hypervisor/rmp.js';

const SPA = 0x1_0000_0000;
const GPA = 0x20_0000;
const ASID = 7;

function assigned(): Rmp {
  const update = rmpUpdate({}, { spa: SPA, assigned: true, asid: ASID, gpa: GPA, pageSize: '4k' });
  assert.is(update.status, 'SUCCESS');
  return update.rmp;
}

function validated(): Rmp {
  const result = pvalidate(assigned(), { asid: ASID, gpa: GPA, spa: SPA, pageSize: '4k',
    validate: true });
  assert.is(result.status, 'SUCCESS');
  return result.rmp;
}

const access = (over: Partial<Parameters<typeof checkGuestAccess>[1]> = {}) => ({
  asid: ASID, gpa: GPA, spa: SPA, private: true, vmpl: 0, write: false, ...over,
});

test('hypervisor/rmp: RMPUPDATE clears Validated, so a re-assigned page must be validated ' +
  'again', () => {
  const rmp = validated();
  assert.is(rmpEntryOf(rmp, SPA).validated, true);
  const again = rmpUpdate(rmp, { spa: SPA, assigned: true, asid: ASID, gpa: GPA, pageSize: '4k' });
  assert.is(again.status, 'SUCCESS');
  assert.is(rmpEntryOf(again.rmp, SPA).validated, false);
  assert.is(checkGuestAccess(again.rmp, access())?.kind, 'vc_not_validated');
});

test('hypervisor/rmp: RMPUPDATE of an Immutable entry fails with FAIL_PERMISSION and changes ' +
  'nothing', () => {
  const rmp = rmpUpdate({}, { spa: SPA, assigned: true, asid: ASID, gpa: GPA, pageSize: '4k',
    immutable: true }).rmp;
  const attempt = rmpUpdate(rmp, { spa: SPA, assigned: false, asid: 0, gpa: 0, pageSize: '4k' });
  assert.is(attempt.status, 'FAIL_PERMISSION');
  assert.ok(attempt.rmp === rmp);
});

test('hypervisor/rmp: PVALIDATE refuses another ASID, another GPA and the wrong page size', () => {
  const rmp = assigned();
  const base = { asid: ASID, gpa: GPA, spa: SPA, pageSize: '4k' as const, validate: true };
  assert.is(pvalidate(rmp, { ...base, asid: ASID + 1 }).status, 'FAIL_INPUT');
  assert.is(pvalidate(rmp, { ...base, gpa: GPA + 0x1000 }).status, 'FAIL_INPUT');
  assert.is(pvalidate(rmp, { ...base, pageSize: '2m' }).status, 'FAIL_SIZEMISMATCH');
  assert.is(pvalidate(rmp, base).status, 'SUCCESS');
});

test('hypervisor/rmp: the host may write its own pages but never a guest-assigned one', () => {
  assert.is(checkHostWrite({}, SPA), null);
  assert.is(checkHostWrite(assigned(), SPA)?.kind, 'rmp_violation');
  assert.is(checkHostWrite(validated(), SPA)?.kind, 'rmp_violation');
});

test('hypervisor/rmp: a guest private access needs its ASID, the RMP GPA and Validated', () => {
  const rmp = validated();
  assert.is(checkGuestAccess(rmp, access()), null);
  assert.is(checkGuestAccess(rmp, access({ asid: ASID + 1 }))?.kind, 'npf');
  assert.is(checkGuestAccess(rmp, access({ gpa: GPA + 0x1000 }))?.kind, 'npf');
  assert.is(checkGuestAccess({}, access())?.kind, 'npf', 'a hypervisor page is not private');
  assert.is(checkGuestAccess(rmp, access({ private: false }))?.kind, 'npf',
    'a shared access to an assigned page');
});

test('hypervisor/rmp: VMPL1 gets only what VMPL0 grants with RMPADJUST', () => {
  const rmp = validated();
  assert.is(checkGuestAccess(rmp, access({ vmpl: 1 }))?.kind, 'npf', 'no rights after PVALIDATE');
  const base = { asid: ASID, gpa: GPA, spa: SPA, senderVmpl: 0, targetVmpl: 1,
    perms: VMPL_PERM.READ };
  const granted = rmpAdjust(rmp, base);
  assert.is(granted.status, 'SUCCESS');
  assert.is(checkGuestAccess(granted.rmp, access({ vmpl: 1 })), null);
  assert.is(checkGuestAccess(granted.rmp, access({ vmpl: 1, write: true }))?.kind, 'npf');
  const upward = rmpAdjust(granted.rmp, { ...base, senderVmpl: 1, targetVmpl: 0 });
  assert.is(upward.status, 'FAIL_PERMISSION', 'VMPL1 cannot change VMPL0');
  const beyond = rmpAdjust(granted.rmp, { ...base, senderVmpl: 1, targetVmpl: 2,
    perms: VMPL_PERM.READ | VMPL_PERM.WRITE });
  assert.is(beyond.status, 'FAIL_PERMISSION', 'no more than the granter holds');
});

test.run();
