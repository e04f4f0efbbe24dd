/**
 * Goal: the host and hypervisor cannot read or change what a SEV-SNP guest keeps in private
 *   memory (DESIGN invariant I6; issue 9's memory attacks): a host read of a private page gives
 *   ciphertext only, a host write to it is an RMP fault that changes nothing, a remapped page
 *   stops the guest before it computes with host data, and the host-visible view built from the
 *   memory model holds none of the guest's secrets (VMPCKs, stored keys).
 * Method: launch a VM's memory from a seed (the firmware's secrets page with the context's
 *   VMPCKs, a keyring the guest validates), store keys, then act as the host. The ciphertext
 *   format is pinned independently: AES-256-XTS with the VEK and tweak = SPA (u64 little-endian,
 *   then 8 zero bytes), opened here with node:crypto directly. The scan is shown to be able to
 *   fail: a secret the guest writes into a shared page is found.
 */
import { createDecipheriv } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { guestStream } from '../support/snp.js';
import { scanForSecrets, type NamedBytes } from '../support/secret-scan.js';
import { launchSecrets } from '../../models/snp/guest-context.js';
import {
  DEFAULT_MEMORY_LAYOUT, guestLoadSecret, guestPvalidate, guestRead, guestReadVmpck,
  guestStoreSecret, guestTouch, guestWrite, hostDebugDecrypt, hostReadPage, hostRemap, hostView,
  hostWrite, launchGuestMemory, type GuestMemory,
} from '../../models/hypervisor/guest-memory.js';
import { rmpEntryOf } from '../../models/hypervisor/rmp.js';
import { decodeState, encodeState, fingerprint } from '../../sim/kernel/codec.js';
import { errorCode } from '../../sim/kernel/errors.js';

const SECRETS_GPA = 0x80_d000;
const GHCB_GPA = 0x80_f000;
const KEYRING_GPA = 0xa0_0000;
const RELEASED_KEY = new Uint8Array(32).map((_, i) => 0xa0 ^ (i * 7));
const SCRATCH_KEY = new Uint8Array(64).map((_, i) => 0x3c ^ (i * 13));

function vmpcks(seed: number): string[] {
  return [...launchSecrets(guestStream(seed)).vmpck];
}

function launched(seed = 3): GuestMemory {
  return launchGuestMemory({ rng: guestStream(seed), asid: 1, vmpck: vmpcks(seed) });
}

/** A VM whose guest stored a released key and a scratch key in its keyring. */
function withKeys(seed = 3): GuestMemory {
  let memory = launched(seed);
  for (const [name, bytes] of [['released/key-1', RELEASED_KEY], ['scratch/c1', SCRATCH_KEY]] as
    const) {
    const stored = guestStoreSecret(memory, name, bytes);
    assert.ok(stored.ok, `the guest stores ${name}`);
    memory = stored.memory;
  }
  return memory;
}

function secretsOf(seed: number): NamedBytes[] {
  return [
    ...vmpcks(seed).map((hex, i) => ({ name: `VMPCK${i}`, bytes: Buffer.from(hex, 'hex') })),
    { name: 'released key', bytes: RELEASED_KEY }, { name: 'scratch key', bytes: SCRATCH_KEY },
  ];
}

function viewBlobs(memory: GuestMemory): NamedBytes[] {
  return hostView(memory).flatMap((page) => [
    { name: `spa 0x${page.spa.toString(16)}`, bytes: page.bytes },
    ...(page.debugPlaintext === null ? []
      : [{ name: `debug 0x${page.spa.toString(16)}`, bytes: page.debugPlaintext }]),
  ]);
}

function xtsDecrypt(vek: string, spa: number, bytes: Uint8Array): Buffer {
  const tweak = Buffer.alloc(16);
  tweak.writeBigUInt64LE(BigInt(spa));
  const decipher = createDecipheriv('aes-256-xts', Buffer.from(vek, 'hex'), tweak);
  return Buffer.concat([decipher.update(bytes), decipher.final()]);
}

test('hypervisor/guest-memory: the guest reads VMPCK0..3 from its secrets page at 0x20 + ' +
  '0x20·n', () => {
  const memory = launched();
  const keys = vmpcks(3);
  for (let index = 0; index < 4; index++) {
    const read = guestReadVmpck(memory, index);
    assert.ok(read.ok);
    assert.is(Buffer.from(read.bytes).toString('hex'), keys[index]);
  }
  assert.is(memory.halted, null);
});

test('hypervisor/guest-memory: a host read of the secrets page is ciphertext that only the VEK ' +
  'opens', () => {
  const memory = launched();
  const host = hostReadPage(memory, SECRETS_GPA);
  assert.is(host.length, 4096);
  assert.equal(scanForSecrets([{ name: 'secrets page', bytes: host }], secretsOf(3)), []);
  const spa = memory.npt['0x80d000'];
  assert.ok(spa !== undefined);
  const plain = xtsDecrypt(memory.vek, spa, host);
  assert.is(plain.readUInt32LE(0), 3, 'secrets page VERSION 3');
  assert.is(plain.subarray(0x20, 0x40).toString('hex'), vmpcks(3)[0]);
  assert.is(plain.subarray(0x80, 0xa0).toString('hex'), vmpcks(3)[3]);
});

test('hypervisor/guest-memory: ciphertext is deterministic per VM and page, and differs across ' +
  'pages and VMs', () => {
  const a = withKeys(3);
  const again = withKeys(3);
  assert.equal(hostReadPage(a, KEYRING_GPA), hostReadPage(again, KEYRING_GPA));
  const other = withKeys(4);
  assert.not.equal(hostReadPage(a, KEYRING_GPA), hostReadPage(other, KEYRING_GPA),
    'another VM (another VEK) encrypts the same plaintext differently');
  const twice = guestStoreSecret(launched(3), 'copy', RELEASED_KEY);
  assert.ok(twice.ok);
  const second = guestWrite(twice.memory, { gpa: KEYRING_GPA + 0x1000, offset: 0, private: true },
    RELEASED_KEY);
  assert.ok(second.ok);
  assert.not.equal(hostReadPage(second.memory, KEYRING_GPA),
    hostReadPage(second.memory, KEYRING_GPA + 0x1000), 'the address tweak separates pages');
});

test('hypervisor/guest-memory: a host write to a private page is an RMP fault and changes ' +
  'nothing', () => {
  const memory = withKeys();
  for (const gpa of [SECRETS_GPA, KEYRING_GPA]) {
    const result = hostWrite(memory, gpa, 0, new Uint8Array(32).fill(0xee));
    assert.ok(result.fault !== null);
    assert.is(result.fault.kind, 'rmp_violation');
    assert.ok(result.memory === memory, 'the same state object comes back');
  }
  const read = guestLoadSecret(memory, 'released/key-1');
  assert.ok(read.ok);
  assert.equal(read.bytes, RELEASED_KEY);
});

test('hypervisor/guest-memory: the host writes shared pages in the clear and the guest reads ' +
  'them with C=0', () => {
  const memory = launched();
  const message = new TextEncoder().encode('GHCB: MSR protocol request');
  const result = hostWrite(memory, GHCB_GPA, 16, message);
  assert.is(result.fault, null);
  const read = guestRead(result.memory, { gpa: GHCB_GPA, offset: 16, length: message.length,
    private: false });
  assert.ok(read.ok);
  assert.equal(read.bytes, message);
  assert.equal(hostReadPage(result.memory, GHCB_GPA).subarray(16, 16 + message.length), message);
});

test('hypervisor/guest-memory: a private (C=1) read of a shared page is refused, not answered ' +
  'with host bytes', () => {
  const memory = hostWrite(launched(), GHCB_GPA, 0, new Uint8Array(16).fill(0x41)).memory;
  const read = guestRead(memory, { gpa: GHCB_GPA, offset: 0, length: 16, private: true });
  assert.not.ok(read.ok);
  assert.is(read.ok ? '' : read.fault.kind, 'npf');
});

test('hypervisor/guest-memory: a remapped page is unvalidated, so the guest stops (#VC) and ' +
  'never sees the host bytes', () => {
  const memory = withKeys();
  const fill = '77'.repeat(64);
  const remapped = hostRemap(memory, KEYRING_GPA, { kind: 'fresh', fill });
  const spa = remapped.npt['0xa00000'];
  assert.ok(spa !== undefined && spa !== memory.npt['0xa00000'], 'a new physical page');
  assert.is(rmpEntryOf(remapped.rmp, spa).validated, false);
  const read = guestLoadSecret(remapped, 'released/key-1');
  assert.not.ok(read.ok);
  assert.is(read.ok ? '' : read.fault.kind, 'vc_not_validated');
  assert.ok(read.memory.halted !== null, 'the guest is halted');
  const later = guestReadVmpck(read.memory, 0);
  assert.not.ok(later.ok, 'a halted guest reads nothing, even from untouched pages');
  const write = guestStoreSecret(read.memory, 'after', RELEASED_KEY);
  assert.not.ok(write.ok, 'and writes nothing');
});

test('hypervisor/guest-memory: swapping two private pages is caught by the RMP GPA check ' +
  '(#NPF)', () => {
  const memory = withKeys();
  const swapped = hostRemap(memory, KEYRING_GPA, { kind: 'swap', gpa: KEYRING_GPA + 0x1000 });
  const read = guestLoadSecret(swapped, 'released/key-1');
  assert.not.ok(read.ok);
  assert.is(read.ok ? '' : read.fault.kind, 'npf');
  assert.match(read.ok ? '' : read.fault.reason,
    /assigned at GPA 0xa01000, accessed at GPA 0xa00000/);
});

test('hypervisor/guest-memory: PVALIDATE of an already validated page fails with FAIL_NOUPDATE ' +
  'and halts the guest', () => {
  const memory = launched();
  const again = guestPvalidate(memory, KEYRING_GPA, true);
  assert.is(again.status, 'FAIL_NOUPDATE');
  assert.ok(again.memory.halted !== null);
  const shared = guestPvalidate(memory, GHCB_GPA, true);
  assert.is(shared.status, 'FAIL_INPUT', 'a hypervisor-owned page cannot be validated');
});

test('hypervisor/guest-memory: the host-visible view holds no VMPCK, released key or scratch ' +
  'key', () => {
  const memory = withKeys();
  const view = hostView(memory);
  const mapped = DEFAULT_MEMORY_LAYOUT.reduce((sum, region) => sum + region.pages, 0);
  assert.is(view.length, mapped, 'one page per mapped GPA');
  assert.equal(scanForSecrets(viewBlobs(memory), secretsOf(3)), []);
  const remapped = hostRemap(memory, KEYRING_GPA, { kind: 'fresh', fill: '' });
  assert.is(hostView(remapped).length, mapped + 1, 'the old page stays visible (as ciphertext)');
  assert.equal(scanForSecrets(viewBlobs(remapped), secretsOf(3)), []);
});

test('hypervisor/guest-memory: the scan finds a secret the guest writes into a shared page (it ' +
  'can fail)', () => {
  const leaked = guestWrite(withKeys(), { gpa: GHCB_GPA, offset: 100, private: false },
    RELEASED_KEY);
  assert.ok(leaked.ok);
  const hits = scanForSecrets(viewBlobs(leaked.memory), secretsOf(3));
  assert.is(hits.length, 1);
  assert.is(hits[0]?.secret, 'released key');
  assert.is(hits[0]?.offset, 100);
});

test('hypervisor/guest-memory: touching the working set halts the guest at the first remapped ' +
  'page', () => {
  const memory = withKeys();
  const fine = guestTouch(memory);
  assert.is(fine.fault, null);
  assert.ok(fine.memory === memory, 'a clean touch changes nothing');
  const remapped = hostRemap(memory, KEYRING_GPA + 0x2000, { kind: 'fresh', fill: '00' });
  const touched = guestTouch(remapped);
  assert.is(touched.fault?.kind, 'vc_not_validated');
  assert.is(touched.fault?.gpa, KEYRING_GPA + 0x2000);
  assert.ok(touched.memory.halted !== null);
});

test('hypervisor/guest-memory: SNP_DBG_DECRYPT gives the host plaintext only for a DEBUG ' +
  'guest', () => {
  const plain = withKeys();
  assert.is(hostDebugDecrypt(plain, KEYRING_GPA), null, 'POLICY_FAILURE without DEBUG');
  assert.ok(hostView(plain).every((page) => page.debugPlaintext === null));
  let debug = launchGuestMemory({ rng: guestStream(3), asid: 1, vmpck: vmpcks(3), debug: true });
  debug = guestStoreSecret(debug, 'released/key-1', RELEASED_KEY).memory;
  const page = hostDebugDecrypt(debug, KEYRING_GPA);
  assert.ok(page !== null);
  assert.equal(page.subarray(0, 32), RELEASED_KEY);
  const hits = scanForSecrets(viewBlobs(debug), secretsOf(3)).map((hit) => hit.secret);
  assert.ok(hits.includes('released key') && hits.includes('VMPCK0'),
    'a DEBUG guest has no confidentiality: why release policies demand is-debuggable false');
  assert.is(hostDebugDecrypt(debug, GHCB_GPA), null, 'shared pages are not decrypted');
});

test('hypervisor/guest-memory: hostile requests are HV_BAD_MEMORY_REQUEST and change ' +
  'nothing', () => {
  const memory = withKeys();
  const before = fingerprint(memory);
  assert.is(errorCode(() => hostReadPage(memory, 0x1234)), 'HV_BAD_MEMORY_REQUEST');
  assert.is(errorCode(() => hostReadPage(memory, 0x7000)), 'HV_BAD_MEMORY_REQUEST');
  assert.is(errorCode(() => hostWrite(memory, GHCB_GPA, 4090, new Uint8Array(16))),
    'HV_BAD_MEMORY_REQUEST');
  assert.is(errorCode(() => hostRemap(memory, KEYRING_GPA, { kind: 'fresh', fill: 'xyz' })),
    'HV_BAD_MEMORY_REQUEST');
  assert.is(errorCode(() => hostRemap(memory, KEYRING_GPA, { kind: 'swap', gpa: 0x5000 })),
    'HV_BAD_MEMORY_REQUEST');
  assert.is(fingerprint(memory), before);
});

test('hypervisor/guest-memory: memory state round-trips through the codec and behaves the ' +
  'same', () => {
  const memory = withKeys();
  const restored = decodeState(encodeState(memory)) as GuestMemory;
  assert.is(fingerprint(restored), fingerprint(memory));
  assert.equal(hostReadPage(restored, KEYRING_GPA), hostReadPage(memory, KEYRING_GPA));
  const read = guestLoadSecret(restored, 'scratch/c1');
  assert.ok(read.ok);
  assert.equal(read.bytes, SCRATCH_KEY);
  assert.is(fingerprint(launched(3)), fingerprint(launched(3)), 'same seed, same state');
  assert.is.not(fingerprint(launched(3)), fingerprint(launched(5)));
});

test.run();
