/**
 * Goal: framework.rego's capability matching is modelled exactly: the default lists are the
 * hcsshim/containerd ones, get_capabilities picks the privileged defaults only for a privileged
 * request on a container that allows elevation, capsList_ok is mutual inclusion with equal size,
 * and valid_caps_for_all drops capabilities to the largest accepted subset, refusing a tie.
 * Method: the privileged list is linux/capability.h numbers 0..40 in order and the unprivileged
 * one is moby oci/caps/defaults.go, both written out by hand here; the dropping cases are worked
 * out by hand from the Rego definitions (filter each requested set by the container's set, sort,
 * keep the largest total, two different largest totals are a tie).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CAPABILITY_SET_NAMES, DEFAULT_PRIVILEGED_CAPABILITIES, DEFAULT_UNPRIVILEGED_CAPABILITIES,
  capsListOk, capsOk, getCapabilities, validCapsForAll,
} from '../../models/policy/match/capabilities.js';
import type { CapabilitySets } from '../../models/policy/policy-model.js';
import { caps, container } from './engine-support.js';

const SUITE = 'policy/match-capabilities';

/** linux/capability.h, CAP_CHOWN (0) … CAP_CHECKPOINT_RESTORE (40). */
const LINUX_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** moby oci/caps/defaults.go DefaultCapabilities, sorted as confcom writes them. */
const CONTAINERD_DEFAULTS = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_MKNOD', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP',
  'CAP_SETUID', 'CAP_SYS_CHROOT',
];

test(`${SUITE}: the default lists are linux/capability.h and containerd's, in order`, () => {
  assert.equal([...DEFAULT_PRIVILEGED_CAPABILITIES], LINUX_CAPABILITIES);
  assert.equal([...DEFAULT_UNPRIVILEGED_CAPABILITIES], CONTAINERD_DEFAULTS);
  assert.equal([...CAPABILITY_SET_NAMES],
    ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']);
});

test(`${SUITE}: get_capabilities of a null policy value gives the defaults for the request`, () => {
  const unprivileged = { bounding: CONTAINERD_DEFAULTS, effective: CONTAINERD_DEFAULTS,
    inheritable: [], permitted: CONTAINERD_DEFAULTS, ambient: [] };
  const privileged = { bounding: LINUX_CAPABILITIES, effective: LINUX_CAPABILITIES,
    inheritable: LINUX_CAPABILITIES, permitted: LINUX_CAPABILITIES, ambient: [] };
  const elevated = container({ capabilities: null, allow_elevated: true });
  const plain = container({ capabilities: null, allow_elevated: false });
  assert.equal(getCapabilities(elevated, true), privileged);
  assert.equal(getCapabilities(elevated, false), unprivileged);
  assert.equal(getCapabilities(plain, true), unprivileged);
  assert.equal(getCapabilities(plain, false), unprivileged);
});

test(`${SUITE}: get_capabilities gives the policy's own sets, or none when the text lacks them`,
    () => {
  const own = caps(['CAP_KILL'], ['CAP_CHOWN'], ['CAP_KILL']);
  assert.equal(getCapabilities(container({ capabilities: own, allow_elevated: true }), true), own);
  assert.is(getCapabilities(container({ capabilities: own, absent_fields: ['capabilities'] }),
    false), undefined);
  assert.equal(getCapabilities(container({ capabilities: own, absent_fields: ['user'] }), false),
    own);
});

test(`${SUITE}: capsList_ok is mutual inclusion with equal size, in any order`, () => {
  assert.ok(capsListOk([], []));
  assert.ok(capsListOk(['A', 'B'], ['B', 'A']));
  assert.not.ok(capsListOk(['A', 'B'], ['A']), 'fewer requested');
  assert.not.ok(capsListOk(['A'], ['A', 'B']), 'more requested');
  assert.not.ok(capsListOk(['A', 'B'], ['A', 'C']), 'a requested one not allowed');
  assert.not.ok(capsListOk(['A', 'A'], ['A', 'B']), 'same size, an allowed one not requested');
  assert.not.ok(capsListOk(['A', 'B'], ['A', 'A']), 'same size, an allowed one missing');
  assert.not.ok(capsListOk(['A', 'B'], ['A', 'B', 'B']), 'the same set, a repeat requested');
  assert.not.ok(capsListOk(['A', 'B', 'B'], ['A', 'B']), 'the same set, a repeat allowed');
});

test(`${SUITE}: caps_ok needs all five sets to match, and no sets never match`, () => {
  const allowed = caps(['A', 'B'], ['C'], ['D']);
  assert.ok(capsOk(allowed, caps(['B', 'A'], ['C'], ['D'])));
  assert.not.ok(capsOk(undefined, allowed));
  for (const set of CAPABILITY_SET_NAMES) {
    const requested: CapabilitySets = { ...allowed, [set]: [...allowed[set], 'E'] };
    assert.not.ok(capsOk(allowed, requested), `extra in ${set}`);
  }
});

test(`${SUITE}: without dropping, the request is the choice; a JSON null request matches nothing`,
    () => {
  const requested = caps(['X']);
  const candidates = [container()];
  assert.equal(validCapsForAll(candidates, requested, false, false),
    { kind: 'ok', caps: requested });
  assert.equal(validCapsForAll(candidates, null, false, false), { kind: 'null-request' });
  assert.equal(validCapsForAll(candidates, null, false, true), { kind: 'none' });
  assert.equal(validCapsForAll(candidates, undefined, false, false), { kind: 'none' });
  assert.equal(validCapsForAll(candidates, undefined, false, true), { kind: 'none' });
});

test(`${SUITE}: dropping keeps, per set, the requested capabilities the container allows, `
    + 'sorted and unique', () => {
  const allowed = container({ capabilities: { bounding: ['A', 'B', 'C'], effective: ['A'],
    inheritable: ['B'], permitted: ['C'], ambient: [] } });
  const requested: CapabilitySets = { bounding: ['C', 'A', 'Z', 'A'], effective: ['A', 'B'],
    inheritable: ['B', 'Y'], permitted: ['A'], ambient: ['A'] };
  assert.equal(validCapsForAll([allowed], requested, false, true), { kind: 'ok', caps: {
    bounding: ['A', 'C'], effective: ['A'], inheritable: ['B'], permitted: [], ambient: [] } });
});

test(`${SUITE}: dropping picks the candidate keeping the most, whatever the candidate order`,
    () => {
  const small = container({ capabilities: caps(['A']) });
  const large = container({ capabilities: caps(['A', 'B']) });
  const requested = caps(['A', 'B', 'C']);
  const expected = { kind: 'ok', caps: caps(['A', 'B']) };
  assert.equal(validCapsForAll([small, large], requested, false, true), expected);
  assert.equal(validCapsForAll([large, small], requested, false, true), expected);
});

test(`${SUITE}: dropping with two different largest subsets is a tie; equal ones are not`, () => {
  const left = container({ capabilities: caps(['A']) });
  const right = container({ capabilities: caps(['B']) });
  const twin = container({ capabilities: caps(['A']) });
  const requested = caps(['A', 'B']);
  assert.equal(validCapsForAll([left, right], requested, false, true), { kind: 'tie' });
  assert.equal(validCapsForAll([left, twin], requested, false, true),
    { kind: 'ok', caps: caps(['A']) });
  // A later, larger subset clears an earlier tie.
  const both = container({ capabilities: caps(['A', 'B']) });
  assert.equal(validCapsForAll([left, right, both], requested, false, true),
    { kind: 'ok', caps: caps(['A', 'B']) });
  // A later, smaller subset neither wins nor ties.
  const none = container({ capabilities: caps([]) });
  assert.equal(validCapsForAll([left, none], requested, false, true),
    { kind: 'ok', caps: caps(['A']) });
});

test(`${SUITE}: dropping skips containers without capabilities; with none left there is no `
    + 'choice', () => {
  const lacking = container({ absent_fields: ['capabilities'] });
  const plain = container({ capabilities: caps(['A']) });
  const requested = caps(['A', 'B']);
  assert.equal(validCapsForAll([lacking], requested, false, true), { kind: 'none' });
  assert.equal(validCapsForAll([lacking, plain], requested, false, true),
    { kind: 'ok', caps: caps(['A']) });
  // An empty accepted subset is still a choice (max over one candidate).
  assert.equal(validCapsForAll([plain], caps(['Q']), false, true), { kind: 'ok', caps: caps([]) });
});

test(`${SUITE}: dropping under a privileged request reads the privileged defaults`, () => {
  const elevated = container({ capabilities: null, allow_elevated: true });
  const requested = caps(['CAP_SYS_ADMIN', 'CAP_NOT_A_CAP'], ['CAP_SYS_ADMIN']);
  assert.equal(validCapsForAll([elevated], requested, true, true),
    { kind: 'ok', caps: caps(['CAP_SYS_ADMIN'], ['CAP_SYS_ADMIN']) });
  assert.equal(validCapsForAll([elevated], requested, false, true),
    { kind: 'ok', caps: caps([], []) });
});

test.run();
