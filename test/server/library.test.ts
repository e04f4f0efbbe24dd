/**
 * Goal: `createFakeSnp(options)` works as a library with no socket: its `kds` handler serves the
 * fetch a client makes to AMD's own host, and report(), extendedReport(), derivedKey() and certs()
 * agree with each other, with what is served, and across instances built from the same seed;
 * bad options are refused with SIM_USAGE naming the option; several chips and a VLEK chip work.
 * Method: globalThis.fetch is pointed at the handler while net.Socket.prototype.connect counts
 * attempts; certificates and reports are judged by the verifier; cert-table GUIDs are the spec's
 * (snp.md b.4), written here as literals.
 */
import { Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode } from '../../sim/kernel/errors.js';
import { decodeCertTable } from '../../models/snp/cert-table.js';
import { generateReport } from '../../models/snp/report-generator.js';
import { verifyAttestationReport } from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { createFakeSnp } from '../../sim/server.js';
import { OFFSET, hex, pemBlocks, reportBytesAt } from './support.js';

const AT = new Date('2026-06-01T00:00:00Z');

test('server/library: the kds handler answers a client\'s fetch to https://kdsintf.amd.com '
  + 'in-process, and no socket is opened', async () => {
  const fake = createFakeSnp({ seed: 61 });
  const realFetch = globalThis.fetch;
  const realConnect = Socket.prototype.connect;
  let connects = 0;
  Socket.prototype.connect = function counted(this: Socket, ...args: unknown[]) {
    connects++;
    return (realConnect as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
  globalThis.fetch = (input, init) => fake.kds(new Request(input, init));
  try {
    const chip = fake.chips[0]!;
    const response = await fetch(`https://kdsintf.amd.com${chip.kdsVcekPath}`);
    assert.is(response.status, 200);
    const vcek = new Uint8Array(await response.arrayBuffer());
    const chain = pemBlocks(await (await fetch(
      'https://kdsintf.amd.com/vcek/v1/Milan/cert_chain')).text());
    const verdict = verifyAttestationReport(fake.report(), { vcek, ask: chain[0]!, ark: chain[1]! },
      { trustAnchors: parmaSimTestAnchors(), at: AT });
    assert.equal(verdict.failures, []);
  } finally {
    globalThis.fetch = realFetch;
    Socket.prototype.connect = realConnect;
  }
  assert.is(connects, 0);
});

test('server/library: extendedReport() carries a cert table (VCEK, ASK, ARK GUIDs of the GHCB '
  + 'spec) whose certificates verify its report', () => {
  const fake = createFakeSnp({ seed: 62 });
  const { report, certTable } = fake.extendedReport({ reportData: new Uint8Array([1, 2, 3]) });
  const entries = decodeCertTable(certTable);
  assert.equal(entries.map((e) => e.guid), ['63da758d-e664-4564-adc5-f4b93be8accd',
    '4ab7b379-bbac-4fe4-a02f-05aef327c782', 'c0b406a4-a803-4952-9743-3fb6014cd0ae']);
  const [vcek, ask, ark] = entries.map((e) => e.data);
  const verdict = verifyAttestationReport(report, { vcek: vcek!, ask: ask!, ark: ark! },
    { trustAnchors: parmaSimTestAnchors(), at: AT });
  assert.equal(verdict.failures, []);
  assert.equal([...reportBytesAt(report, OFFSET.report_data, 4)], [1, 2, 3, 0]);
});

test('server/library: the same seed gives byte-identical reports, certificates and derived keys '
  + 'in two instances; another seed gives others', () => {
  const a = createFakeSnp({ seed: 63 });
  const b = createFakeSnp({ seed: 63 });
  const c = createFakeSnp({ seed: 64 });
  assert.equal(hex(a.report()), hex(b.report()));
  assert.equal(hex(a.certs().endorsementCert), hex(b.certs().endorsementCert));
  assert.equal(hex(a.derivedKey()), hex(b.derivedKey()));
  assert.not.equal(hex(a.report()), hex(c.report()));
  assert.not.equal(hex(a.derivedKey()), hex(c.derivedKey()));
});

test('server/library: derivedKey() changes with GUEST_FIELD_SELECT and with the chip, and is '
  + '32 bytes', () => {
  const fake = createFakeSnp({ seed: 65 });
  const plain = fake.derivedKey();
  assert.is(plain.length, 32);
  assert.not.equal(hex(fake.derivedKey({ guestFieldSelect: 0x8n })), hex(plain));
  assert.not.equal(hex(fake.derivedKey({ chip: 'genoa' })), hex(plain));
});

test('server/library: certs() is what KDS serves for the chip, and the served VCEK verifies a '
  + 'report `parma-sim snp report --seed` makes for that product (the same chip)', async () => {
  const fake = createFakeSnp({ seed: 66 });
  for (const chip of fake.chips) {
    const served = new Uint8Array(await (await fake.kds(new Request(
      `http://kds.test${chip.kdsVcekPath}`))).arrayBuffer());
    const certs = fake.certs({ chip: chip.name });
    assert.equal(hex(served), hex(certs.endorsementCert));
    const { report } = generateReport({ seed: 66, product: chip.product });
    const verdict = verifyAttestationReport(report,
      { vcek: served, ask: certs.ask, ark: certs.ark }, { trustAnchors: parmaSimTestAnchors() });
    assert.equal(verdict.failures, [], chip.name);
  }
});

test('server/library: two Milan chips have different chip ids, and each KDS VCEK verifies only '
  + 'its own chip\'s report', async () => {
  const fake = createFakeSnp({ seed: 67, chips: [{ product: 'Milan' }, { product: 'milan' }] });
  assert.equal(fake.chips.map((c) => c.name), ['milan', 'milan-2']);
  assert.not.equal(fake.chips[0]!.hwid, fake.chips[1]!.hwid);
  const { ark, ask } = fake.certs();
  for (const chip of fake.chips) {
    const vcek = new Uint8Array(await (await fake.kds(new Request(
      `http://kds.test${chip.kdsVcekPath}`))).arrayBuffer());
    for (const other of fake.chips) {
      const verdict = verifyAttestationReport(fake.report({ chip: other.name }),
        { vcek, ask, ark }, { trustAnchors: parmaSimTestAnchors() });
      assert.is(verdict.ok, chip.name === other.name, `${chip.name} VCEK, ${other.name} report`);
    }
  }
});

test('server/library: a VLEK chip signs with its VLEK, and THIM serves the VLEK and ASVK chain '
  + 'that verify the report', async () => {
  const fake = createFakeSnp({ seed: 68,
    chips: [{ product: 'Genoa', vlekCspId: 'CN=cloud.example', maskChipId: true }] });
  assert.is(fake.chips[0]!.signingKey, 'vlek');
  const thim = await (await fake.kds(new Request('http://imds.test/metadata/THIM/amd/'
    + 'certification', { headers: { Metadata: 'true' } }))).json() as Record<string, string>;
  const [vlek] = pemBlocks(thim['vcekCert']!);
  const [asvk, ark] = pemBlocks(thim['certificateChain']!);
  const report = fake.report();
  assert.ok(reportBytesAt(report, OFFSET.chip_id, 64).every((b) => b === 0), 'MASK_CHIP_ID');
  const verdict = verifyAttestationReport(report, { vlek: vlek!, asvk: asvk!, ark: ark! },
    { trustAnchors: parmaSimTestAnchors(), at: AT });
  assert.equal(verdict.failures, []);
  assert.is(verdict.claims?.signedBy, 'vlek');
});

const BAD_OPTIONS: readonly (readonly [string, unknown])[] = [
  ['an unknown product', { chips: [{ product: 'Rome' }] }],
  ['an unknown key', { chips: [{ product: 'Milan', tbc: '0x1' }] }],
  ['two chips with one name', { chips: [{ product: 'Milan', name: 'a' },
    { product: 'Genoa', name: 'a' }] }],
  ['a Turin chip id of 9 bytes', { chips: [{ product: 'Turin', chipId: 'ab'.repeat(9) }] }],
  ['a REPORTED_TCB above CURRENT_TCB', { chips: [{ product: 'Milan', tcb: 'bl=1,tee=0,snp=1,'
    + 'ucode=1', reportedTcb: 'bl=2,tee=0,snp=1,ucode=1' }] }],
  ['a fault rate above one', { faults: { routes: { 'kds.vcek': { tooManyRequests: '5/4' } } } }],
  ['a guest on a chip that does not exist', { guest: { chip: 'nowhere' } }],
  ['hostData and a policy at once', { guest: { hostData: '00'.repeat(32),
    securityPolicyBase64: 'cGFja2FnZSBwb2xpY3k=' } }],
];

for (const [what, options] of BAD_OPTIONS) {
  test(`server/library: createFakeSnp refuses ${what} with SIM_USAGE`, () => {
    assert.is(errorCode(() => createFakeSnp(options as never)), 'SIM_USAGE');
  });
}

test.run();
