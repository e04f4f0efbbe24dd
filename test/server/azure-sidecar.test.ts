/**
 * Goal: the Azure-shaped routes answer the way the real services do, and what they serve fits the
 * report: THIM `/metadata/THIM/amd/certification` (needs `Metadata: true`), the ACC cache
 * `/SevSnpVM/certificates/{chipId}/{tcbm}`, and the confidential sidecar's `/status`,
 * `/attest/raw` and `/attest/combined`.
 * Method: shapes are compared with real artifacts: the Azure THIM JSON of the real ACI report in
 * ../shared/testdata, and the field rules of a real `/attest/combined` answer (Microsoft's KMS test
 * sample: endorsed_tcb "0300000000000873" for REPORTED_TCB 0x7308000000000003). Report fields are
 * read at their ABI offsets, hashes computed with node:crypto, verdicts given by the verifier.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyAttestationReport } from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { shared, sharedTest } from '../support/requires.js';
import { OFFSET, hex, pemBlocks, reportBytesAt, reportedTcbOf, withServer } from './support.js';

const AT = new Date('2026-06-01T00:00:00Z');

function verdictOf(report: Uint8Array, leafFirstChain: readonly Uint8Array[]) {
  const [vcek, ask, ark] = leafFirstChain;
  return verifyAttestationReport(report, { vcek: vcek!, ask: ask!, ark: ark! },
    { trustAnchors: parmaSimTestAnchors(), at: AT });
}

/**
 * Azure's tcbm rule (spec snp.md e.5), applied to raw report bytes: most significant byte first.
 */
function tcbmOfBytes(report: Uint8Array): string {
  return hex(reportBytesAt(report, OFFSET.reported_tcb, 8).reverse());
}

test('server/thim: without the Metadata: true header THIM answers 400 with a JSON error, as '
  + 'IMDS does', async () => {
  await withServer({ seed: 31 }, async (_fake, running) => {
    const response = await fetch(`${running.url}/metadata/THIM/amd/certification`);
    assert.is(response.status, 400);
    const body = await response.json() as Record<string, unknown>;
    assert.match(String(body['error']), 'Required metadata header not specified');
  });
});

test('server/thim: the answer has the real Azure THIM keys in their order, all strings, and a '
  + 'tcbm equal to the report\'s REPORTED_TCB written most significant byte first', async () => {
  await withServer({ seed: 31 }, async (fake, running) => {
    const response = await fetch(`${running.url}/metadata/THIM/amd/certification`,
      { headers: { Metadata: 'true' } });
    assert.is(response.status, 200);
    const thim = await response.json() as Record<string, unknown>;
    assert.ok(Object.values(thim).every((v) => typeof v === 'string'));
    assert.is(String(thim['tcbm']).toLowerCase(), tcbmOfBytes(fake.report()));
    assert.is(thim['cacheControl'], '86400');
  });
});

sharedTest('server/thim: the answer has the keys of the real ACI THIM answer, in its order, and '
  + 'the tcbm rule holds on the real report', async () => {
  const dir = shared('snp', 'reports', 'milan-v2-aci');
  await withServer({ seed: 31 }, async (_fake, running) => {
    const thim = await (await fetch(`${running.url}/metadata/THIM/amd/certification`,
      { headers: { Metadata: 'true' } })).json() as Record<string, unknown>;
    const real = JSON.parse(readFileSync(join(dir, 'thim.json'), 'utf8')) as Record<string, string>;
    assert.equal(Object.keys(thim), Object.keys(real));
    const realReport = new Uint8Array(readFileSync(join(dir, 'report.bin')));
    assert.is(real['tcbm']!.toLowerCase(), tcbmOfBytes(realReport), 'the rule holds on real data');
  });
});

test('server/thim: vcekCert and certificateChain (ASK then ARK) verify the guest\'s report',
  async () => {
    await withServer({ seed: 32 }, async (fake, running) => {
      const thim = await (await fetch(`${running.url}/metadata/THIM/amd/certification`,
        { headers: { Metadata: 'true' } })).json() as Record<string, string>;
      const chain = [...pemBlocks(thim['vcekCert']!), ...pemBlocks(thim['certificateChain']!)];
      assert.equal(chain.map((der) => new X509Certificate(der).subject.split('\n').at(-1)),
        ['CN=SEV-VCEK', 'CN=SEV-Milan', 'CN=ARK-Milan']);
      const verdict = verdictOf(fake.report(), chain);
      assert.equal(verdict.failures, []);
    });
  });

test('server/acc: /SevSnpVM/certificates/{chip id}/{tcbm} (the sidecar\'s unpadded lower-case '
  + 'tcbm) serves VCEK, ASK, ARK as PEM that verify the report', async () => {
  await withServer({ seed: 33 }, async (fake, running) => {
    const report = fake.report();
    const chipId = hex(reportBytesAt(report, OFFSET.chip_id, 64));
    const tcbm = reportedTcbOf(report).toString(16); // strconv.FormatUint(reportedTCB, 16)
    const response = await fetch(`${running.url}/SevSnpVM/certificates/${chipId}/${tcbm}`
      + '?api-version=2020-10-15-preview');
    assert.is(response.status, 200);
    const chain = pemBlocks(await response.text());
    assert.is(chain.length, 3);
    assert.equal(verdictOf(report, chain).failures, []);
  });
});

test('server/acc: an unknown chip id is 404 and a tcbm that is not hex is 400, both with a text '
  + 'reason', async () => {
  await withServer({ seed: 33 }, async (_fake, running) => {
    const unknown = await fetch(`${running.url}/SevSnpVM/certificates/${'ab'.repeat(64)}/1`);
    assert.is(unknown.status, 404);
    assert.match(await unknown.text(), 'SIM_NOT_FOUND');
    const bad = await fetch(`${running.url}/SevSnpVM/certificates/${'ab'.repeat(64)}/xyz`);
    assert.is(bad.status, 400);
    assert.match(await bad.text(), 'tcbm');
  });
});

test('server/sidecar: GET /status answers {"message":"Status OK"} as the SKR sidecar does',
  async () => {
    await withServer({ seed: 34 }, async (_fake, running) => {
      const response = await fetch(`${running.url}/status`);
      assert.is(response.status, 200);
      assert.equal(await response.json(), { message: 'Status OK' });
    });
  });

test('server/sidecar: /attest/raw returns a hex report whose REPORT_DATA is SHA-256(runtime_data) '
  + 'then 32 zero bytes, and the report verifies', async () => {
  await withServer({ seed: 35 }, async (fake, running) => {
    const runtimeData = Buffer.from('{"keys":[{"kty":"RSA","n":"abc"}]}');
    const response = await fetch(`${running.url}/attest/raw`, { method: 'POST',
      body: JSON.stringify({ runtime_data: runtimeData.toString('base64') }) });
    assert.is(response.status, 200);
    const { report } = await response.json() as { report: string };
    assert.match(report, /^[0-9a-f]{2368}$/);
    const bytes = new Uint8Array(Buffer.from(report, 'hex'));
    const reportData = reportBytesAt(bytes, OFFSET.report_data, 64);
    assert.is(hex(reportData.subarray(0, 32)), createHash('sha256').update(runtimeData)
      .digest('hex'));
    assert.ok(reportData.subarray(32).every((b) => b === 0));
    const certs = fake.certs();
    assert.equal(verdictOf(bytes, [certs.endorsementCert, certs.ask, certs.ark]).failures, []);
  });
});

test('server/sidecar: /attest/combined returns {endorsed_tcb, endorsements, evidence, '
  + 'uvm_endorsements} in the real order; endorsed_tcb is the TCB bytes as stored in the report, '
  + 'and the endorsements verify the evidence', async () => {
  await withServer({ seed: 36 }, async (_fake, running) => {
    const response = await fetch(`${running.url}/attest/combined`, { method: 'POST',
      body: JSON.stringify({ runtime_data: Buffer.from('nonce-1').toString('base64') }) });
    assert.is(response.status, 200);
    const combined = await response.json() as Record<string, string>;
    assert.equal(Object.keys(combined),
      ['endorsed_tcb', 'endorsements', 'evidence', 'uvm_endorsements']);
    const evidence = new Uint8Array(Buffer.from(combined['evidence']!, 'base64'));
    assert.is(combined['endorsed_tcb'], hex(reportBytesAt(evidence, OFFSET.reported_tcb, 8)));
    const chain = pemBlocks(Buffer.from(combined['endorsements']!, 'base64').toString('utf8'));
    assert.equal(verdictOf(evidence, chain).failures, []);
    assert.is(hex(reportBytesAt(evidence, OFFSET.report_data, 32)),
      createHash('sha256').update('nonce-1').digest('hex'));
  });
});

sharedTest('server/combined: the endorsed_tcb rule holds on real data (the KMS sample\'s '
  + 'endorsed_tcb for REPORTED_TCB 0x7308000000000003)', () => {
  const realReport = new Uint8Array(readFileSync(shared('snp', 'reports', 'milan-v2-aci',
    'report.bin')));
  assert.is(reportedTcbOf(realReport), 0x7308000000000003n);
  assert.is(hex(reportBytesAt(realReport, OFFSET.reported_tcb, 8)), '0300000000000873');
});

const BAD_BODIES: readonly (readonly [string, string])[] = [
  ['not JSON', 'runtime_data=abc'],
  ['a JSON array', '["runtime_data"]'],
  ['no runtime_data', '{"maa_endpoint":"x"}'],
  ['an empty runtime_data', '{"runtime_data":""}'],
  ['runtime_data that is not standard base64', '{"runtime_data":"a-b_c"}'],
  ['runtime_data that is a number', '{"runtime_data":12}'],
];

for (const [what, body] of BAD_BODIES) {
  test(`server/sidecar: /attest/raw with ${what} is 400 with a JSON {error} and no report`,
    async () => {
      await withServer({ seed: 37 }, async (_fake, running) => {
        const response = await fetch(`${running.url}/attest/raw`, { method: 'POST', body });
        assert.is(response.status, 400);
        const answer = await response.json() as Record<string, unknown>;
        assert.type(answer['error'], 'string');
        assert.is(answer['report'], undefined);
      });
    });
}

test.run();
