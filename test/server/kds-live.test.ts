/**
 * Goal: a client that knows only the AMD KDS interface (spec snp.md e.1) gets, from a live
 * `createFakeSnp().listen()` on port 0, the VCEK for a fake report's CHIP_ID and REPORTED_TCB, the
 * ASK+ARK chain and the CRL, and both the openssl CLI and parma-sim's verifier accept them.
 * Method: the test builds the KDS URL itself from the report's raw bytes (CHIP_ID at 0x1A0,
 * REPORTED_TCB at 0x180, TCB byte layouts of spec a.7), checks the library builds the same one,
 * fetches over a real socket, and lets openssl judge the chain, the CRL and the report signature.
 */
import { X509Certificate } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testWith } from '../support/requires.js';
import { SIGNED_BYTES } from '../../models/snp/attestation-report.js';
import { decodeAttestationReport } from '../../models/snp/attestation-report.js';
import { toPem } from '../../models/snp/certificates.js';
import { kdsVcekUrlForReport } from '../../models/snp/kds.js';
import type { Product } from '../../models/snp/product.js';
import { p1363ToDer, reportSignatureP1363 } from '../../models/snp/report-signature.js';
import { verifyAttestationReport } from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import {
  OFFSET, OPENSSL_AT, hex, inTempDir, openssl, pemBlocks, reportBytesAt,
  withServer,
} from './support.js';

/** The KDS VCEK URL from raw report bytes, written from spec snp.md a.7 and e.1. */
function kdsUrlFromSpec(base: string, product: Product, report: Uint8Array): string {
  const tcb = reportBytesAt(report, OFFSET.reported_tcb, 8);
  const chipId = reportBytesAt(report, OFFSET.chip_id, 64);
  if (product === 'Turin') {
    // Turin: fmc, bl, tee, snp at bytes 0..3, ucode at 7; hwid = the first 8 bytes of CHIP_ID.
    return `${base}/vcek/v1/Turin/${hex(chipId.subarray(0, 8))}?fmcSPL=${tcb[0]}&blSPL=${tcb[1]}`
      + `&teeSPL=${tcb[2]}&snpSPL=${tcb[3]}&ucodeSPL=${tcb[7]}`;
  }
  // Milan/Genoa: bl, tee at bytes 0, 1; snp at 6; ucode at 7; hwid = all 64 bytes.
  return `${base}/vcek/v1/${product}/${hex(chipId)}?blSPL=${tcb[0]}&teeSPL=${tcb[1]}`
    + `&snpSPL=${tcb[6]}&ucodeSPL=${tcb[7]}`;
}

async function fetchOk(url: string): Promise<Readonly<{ body: Uint8Array; type: string }>> {
  const response = await fetch(url);
  assert.is(response.status, 200, `${url}: ${response.status}`);
  return { body: new Uint8Array(await response.arrayBuffer()),
    type: response.headers.get('content-type') ?? '' };
}

const PRODUCTS: readonly Product[] = ['Milan', 'Genoa', 'Turin'];

for (const product of PRODUCTS) {
  test(`server/kds: ${product} VCEK fetched at the exact KDS URL of a fake report (CHIP_ID, `
    + 'REPORTED_TCB) is accepted with its chain and CRL by parma-sim\'s verifier', async () => {
    await withServer({ seed: 21 }, async (fake, running) => {
      const report = fake.report({ chip: product.toLowerCase() });
      const url = kdsUrlFromSpec(running.url, product, report);
      assert.is(kdsVcekUrlForReport(decodeAttestationReport(report), product, running.url), url);
      const vcek = await fetchOk(url);
      assert.is(vcek.type, 'application/pkix-cert');
      const chain = pemBlocks(new TextDecoder().decode(
        (await fetchOk(`${running.url}/vcek/v1/${product}/cert_chain`)).body));
      assert.is(chain.length, 2, 'cert_chain is ASK then ARK');
      const crl = (await fetchOk(`${running.url}/vcek/v1/${product}/crl`)).body;
      const verdict = verifyAttestationReport(report,
        { ark: chain[1]!, ask: chain[0]!, vcek: vcek.body },
        { trustAnchors: parmaSimTestAnchors(), crl, at: new Date('2026-06-01T00:00:00Z') });
      assert.equal(verdict.failures, []);
      assert.ok(verdict.ok);
    });
  });

  test(`server/kds: ${product} cert_chain lists SEV-${product} (ASK) before ARK-${product}, `
    + 'and the VLEK chain SEV-VLEK-' + product, async () => {
    await withServer({ seed: 21 }, async (_fake, running) => {
      const subjects = async (kind: string): Promise<string[]> => pemBlocks(new TextDecoder()
        .decode((await fetchOk(`${running.url}/${kind}/v1/${product}/cert_chain`)).body))
        .map((der) => new X509Certificate(der).subject.split('\n').at(-1)!);
      assert.equal(await subjects('vcek'), [`CN=SEV-${product}`, `CN=ARK-${product}`]);
      assert.equal(await subjects('vlek'), [`CN=SEV-VLEK-${product}`, `CN=ARK-${product}`]);
    });
  });

  testWith('openssl', `server/kds + openssl: ${product} served VCEK chains to the served ARK, `
    + `the served CRLs `
    + 'verify, and the report signature verifies under the VCEK', async () => {
    await withServer({ seed: 22 }, async (fake, running) => {
      const report = fake.report({ chip: product.toLowerCase(), reportData: new Uint8Array([7]) });
      const vcek = (await fetchOk(kdsUrlFromSpec(running.url, product, report))).body;
      const chain = new TextDecoder().decode(
        (await fetchOk(`${running.url}/vcek/v1/${product}/cert_chain`)).body);
      const [ask, ark] = pemBlocks(chain);
      const signature = reportSignatureP1363(report);
      assert.ok(signature !== undefined);
      await inTempDir({
        'vcek.der': vcek, 'ask.pem': toPem(ask!), 'ark.pem': toPem(ark!),
        'crl.der': (await fetchOk(`${running.url}/vcek/v1/${product}/crl`)).body,
        'vlek-crl.der': (await fetchOk(`${running.url}/vlek/v1/${product}/crl`)).body,
        'signed.bin': report.subarray(0, SIGNED_BYTES), 'sig.der': p1363ToDer(signature!),
      }, (dir) => {
        assert.is(openssl(['x509', '-inform', 'DER', '-in', 'vcek.der', '-out', 'vcek.pem'], dir)
          .code, 0);
        const verify = openssl(['verify', '-attime', OPENSSL_AT, '-CAfile', 'ark.pem',
          '-untrusted', 'ask.pem', 'vcek.pem'], dir);
        assert.match(verify.out, 'vcek.pem: OK');
        for (const crl of ['crl.der', 'vlek-crl.der']) {
          const checked = openssl(['crl', '-inform', 'DER', '-in', crl, '-CAfile', 'ark.pem',
            '-noout'], dir);
          assert.match(checked.out, 'verify OK', crl);
        }
        openssl(['x509', '-in', 'vcek.pem', '-noout', '-pubkey', '-out', 'pub.pem'], dir);
        const dgst = openssl(['dgst', '-sha384', '-verify', 'pub.pem', '-signature', 'sig.der',
          'signed.bin'], dir);
        assert.match(dgst.out, 'Verified OK');
      });
    });
  });
}

test('server/kds: a VCEK asked for another TCB is issued for that TCB (its SPLs), and a report '
  + 'at REPORTED_TCB does not verify under it (VERIFY_TCB_MISMATCH)', async () => {
  await withServer({ seed: 23 }, async (fake, running) => {
    const report = fake.report();
    const url = kdsUrlFromSpec(running.url, 'Milan', report).replace(/snpSPL=\d+/, 'snpSPL=1');
    const vcek = (await fetchOk(url)).body;
    const { ark, ask } = fake.certs();
    const verdict = verifyAttestationReport(report, { ark, ask, vcek },
      { trustAnchors: parmaSimTestAnchors() });
    assert.not.ok(verdict.ok);
    assert.ok(verdict.failures.some((f) => f.code === 'VERIFY_TCB_MISMATCH'));
  });
});

test.run();
