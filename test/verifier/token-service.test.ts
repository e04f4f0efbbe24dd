/**
 * Goal: the token service issues MAA-shaped SEV-SNP tokens only for genuine evidence bound to its
 *   runtime data, and each token says exactly what the report says: the x-ms-sevsnpvm claims
 *   equal the report's fields one by one, times come from the virtual clock, and the token
 *   verifies under the published JWKS with an independent JOSE implementation (`jose`).
 * Method: evidence from the SNP issuer models (attestation-fixture.ts). Expected claim values are
 *   read from the report bytes at the ABI offsets written below (SEV-SNP ABI spec 56860 report
 *   table; spec snp.md a.1), not through the report codec; the token payload is decoded with
 *   Buffer and JSON.parse; signatures are checked with jose and node:crypto.
 */
import { createHash, createPublicKey, sign, verify } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  claimsFromReportBytes, codes, flow, MEASUREMENT_A, MEASUREMENT_B, reportDataFor, tokenOf,
} from './attestation-fixture.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import { generateReport } from '../../models/snp/report-generator.js';
import { SEVSNPVM_CLAIMS } from '../../models/verifier/token-service-claims.js';
import {
  attestSevSnpVm, tokenServiceJwks, tokenSigningKey,
} from '../../models/verifier/token-service.js';
import {
  certificatesPem, sevSnpVmAttestRequest,
} from '../../models/verifier/token-service-evidence.js';

/** 2026-01-01T00:00:00Z in seconds: tick 0 of the virtual clock. */
const EPOCH_SECONDS = 1_767_225_600;
const DEBUG_POLICY = 0x30000n | (1n << 19n);

function payloadOf(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  assert.ok(part !== undefined);
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

test('verifier/token-service: every x-ms-sevsnpvm claim equals its report field', () => {
  const f = flow({ report: { guest_svn: 7, family_id: new Uint8Array(16).fill(1),
    image_id: new Uint8Array(16).fill(2) } });
  const result = tokenOf(f);
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.failures));
  const payload = payloadOf(result.token);
  const expected = claimsFromReportBytes(f.generated.report);
  assert.is(Object.keys(expected).length, 17);
  for (const [name, value] of Object.entries(expected)) {
    assert.equal(payload[name], value, name);
  }
  const issued = Object.keys(payload).filter((name) => name.startsWith('x-ms-sevsnpvm-')).sort();
  assert.equal(issued, Object.keys(expected).sort(), 'no other x-ms-sevsnpvm claims');
  assert.is(SEVSNPVM_CLAIMS.length, 17);
  assert.is(payload['x-ms-sevsnpvm-guestsvn'], 7);
  assert.is(payload['x-ms-sevsnpvm-familyId'], '01'.repeat(16));
});

test('verifier/token-service: the token carries MAA\'s SEV-SNP claims, runtime data as ' +
  'x-ms-runtime and clock times', () => {
  const f = flow();
  const result = tokenOf(f, 5_000_000);
  assert.ok(result.ok);
  const payload = payloadOf(result.token);
  assert.is(payload['iat'], EPOCH_SECONDS + 5000);
  assert.is(payload['nbf'], EPOCH_SECONDS + 5000);
  assert.is(payload['exp'], EPOCH_SECONDS + 5000 + 8 * 3600);
  assert.is(payload['iss'], f.service.issuer);
  assert.is(payload['x-ms-attestation-type'], 'sevsnpvm');
  assert.is(payload['x-ms-ver'], '1.0');
  assert.is(payload['x-ms-compliance-status'], 'azure-compliant-uvm');
  assert.equal(payload['x-ms-runtime'], JSON.parse(Buffer.from(f.runtimeData).toString('utf8')));
  assert.match(String(payload['jti']), /^[0-9a-f]{64}$/);
  const policyHash = createHash('sha256')
    .update(Buffer.from(f.service.policyText, 'utf8').toString('base64url')).digest('base64url');
  assert.is(payload['x-ms-policy-hash'], policyHash);
});

test('verifier/token-service: the header names RS256, the JWKS URL and the RFC 7638 thumbprint ' +
  '(computed by jose)', async () => {
  const f = flow();
  const result = tokenOf(f);
  assert.ok(result.ok);
  const header = decodeProtectedHeader(result.token);
  assert.is(header.alg, 'RS256');
  assert.is(header.typ, 'JWT');
  assert.is(header.jku, `${f.service.issuer}/certs`);
  const jwks = tokenServiceJwks(f.service);
  assert.is(jwks.keys.length, 1);
  const key = jwks.keys[0]!;
  assert.is(header.kid, await calculateJwkThumbprint({ kty: key.kty, n: key.n, e: key.e }));
  assert.is(key.kid, header.kid);
});

test('verifier/token-service: jose verifies the token under the published JWKS, issuer and ' +
  'time', async () => {
  const f = flow();
  const result = tokenOf(f, 60_000);
  assert.ok(result.ok);
  const keys = tokenServiceJwks(f.service).keys.map((k) => ({ ...k }));
  const keySet = createLocalJWKSet({ keys });
  const verified = await jwtVerify(result.token, keySet, {
    issuer: f.service.issuer, algorithms: ['RS256'],
    currentDate: new Date((EPOCH_SECONDS + 61) * 1000),
  });
  assert.is(verified.payload['x-ms-sevsnpvm-hostdata'], 'aa'.repeat(32));
  let expired = '';
  try {
    await jwtVerify(result.token, keySet, { issuer: f.service.issuer,
      currentDate: new Date((EPOCH_SECONDS + 60 + 8 * 3600 + 1) * 1000) });
  } catch (error) {
    expired = (error as { code?: string }).code ?? 'unknown';
  }
  assert.is(expired, 'ERR_JWT_EXPIRED', 'jose agrees on exp');
});

test('verifier/token-service: the JWKS key is the public half of the key that signs', () => {
  const f = flow();
  const key = tokenSigningKey(f.service);
  const published = tokenServiceJwks(f.service).keys[0]!;
  const derived = createPublicKey(key.privateKey).export({ format: 'jwk' });
  assert.is(published.n, derived.n);
  assert.is(published.e, derived.e);
  const message = Buffer.from('probe');
  const jwkKey = createPublicKey({ format: 'jwk', key: { kty: 'RSA', n: published.n,
    e: published.e } });
  assert.ok(verify('sha256', message, jwkKey, sign('sha256', message, key.privateKey)));
  assert.not.ok(verify('sha256', Buffer.from('other'), jwkKey,
    sign('sha256', message, key.privateKey)));
});

test('verifier/token-service: runtime data that REPORT_DATA does not bind gets no token ' +
  '(VERIFY_REPORT_DATA)', () => {
  const f = flow({ swapRuntimeData: Buffer.from('{"keys":[],"note":"the host\'s own key"}') });
  const result = tokenOf(f);
  assert.not.ok(result.ok);
  assert.equal(codes(result.ok ? [] : result.failures), ['VERIFY_REPORT_DATA']);
});

test('verifier/token-service: a THIM chain of another chip is refused (wrong VCEK for this ' +
  'report)', () => {
  const f = flow();
  const other = generateReport({ seed: 99, product: 'Genoa', signingKey: 'vcek' });
  const set = buildCertificateSet({ seed: 99, product: 'Genoa', platform: other.platform });
  const body = sevSnpVmAttestRequest({ report: f.generated.report,
    vcekCertChainPem: certificatesPem([set.endorsementCert, set.ask, set.ark]),
    runtimeData: f.runtimeData });
  const result = attestSevSnpVm(f.service, body, 1000);
  assert.not.ok(result.ok);
  const found = codes(result.ok ? [] : result.failures);
  assert.ok(found.includes('VERIFY_HWID_MISMATCH'), found.join());
  assert.ok(found.includes('VERIFY_BAD_SIGNATURE'), found.join());
});

test('verifier/token-service: a THIM VCEK issued for another TCB is refused ' +
  '(VERIFY_TCB_MISMATCH)', () => {
  const f = flow();
  const set = buildCertificateSet({ seed: 41, product: 'Genoa', platform: f.generated.platform,
    tcb: f.generated.platform.reported_tcb + 1n });
  const body = sevSnpVmAttestRequest({ report: f.generated.report,
    vcekCertChainPem: certificatesPem([set.endorsementCert, set.ask, set.ark]),
    runtimeData: f.runtimeData });
  const result = attestSevSnpVm(f.service, body, 1000);
  assert.not.ok(result.ok);
  assert.ok(codes(result.ok ? [] : result.failures).includes('VERIFY_TCB_MISMATCH'));
});

test('verifier/token-service: malformed requests are VERIFY_BAD_EVIDENCE naming the field, ' +
  'never a crash', () => {
  const f = flow();
  const body = f.body as Record<string, unknown>;
  const cases: [unknown, string][] = [
    [null, 'body'], [[], 'body'], [{ ...body, report: 'not base64url!' }, 'report'],
    [{ ...body, report: Buffer.from('{"SnpReport":"AAAA"}').toString('base64url') },
      'report.SnpReport'],
    [{ ...body, runtimeData: { data: 'e30', dataType: 'Binary' } }, 'runtimeData'],
    [{ ...body, runtimeData: { data: '%%%', dataType: 'JSON' } }, 'runtimeData.data'],
    [{ ...body, nonce: { a: 1 } }, 'nonce'],
  ];
  for (const [request, field] of cases) {
    const result = attestSevSnpVm(f.service, request, 1000);
    assert.not.ok(result.ok, field);
    const failure = result.ok ? undefined : result.failures[0];
    assert.is(failure?.code, 'VERIFY_BAD_EVIDENCE', field);
    assert.is(failure?.detail['field'], field);
  }
  const chain = Buffer.from(JSON.stringify({ SnpReport: Buffer.from(f.generated.report)
    .toString('base64url'), VcekCertChain: Buffer.from('no pem here').toString('base64url') }));
  const result = attestSevSnpVm(f.service, { ...body, report: chain.toString('base64url') }, 1);
  assert.is(result.ok ? '' : result.failures[0]?.detail['field'], 'report.VcekCertChain');
});

test('verifier/token-service: a DEBUG guest gets a token saying is-debuggable true and no ' +
  'compliance status', () => {
  const f = flow({ policy: DEBUG_POLICY });
  const result = tokenOf(f);
  assert.ok(result.ok, 'MAA\'s default policy does not judge DEBUG; relying parties do');
  const payload = payloadOf(result.token);
  assert.is(payload['x-ms-sevsnpvm-is-debuggable'], true);
  assert.not.ok('x-ms-compliance-status' in payload);
});

test('verifier/token-service: an unendorsed launch measurement gets no azure-compliant-uvm ' +
  'status', () => {
  const f = flow({ measurement: MEASUREMENT_B });
  const result = tokenOf(f);
  assert.ok(result.ok);
  const payload = payloadOf(result.token);
  assert.is(payload['x-ms-sevsnpvm-launchmeasurement'], MEASUREMENT_B);
  assert.not.ok('x-ms-compliance-status' in payload);
  assert.is.not(MEASUREMENT_A, MEASUREMENT_B);
});

test('verifier/token-service: the same evidence at the same time gives the same token ' +
  'bytes', () => {
  const a = tokenOf(flow(), 1234);
  const b = tokenOf(flow(), 1234);
  const later = tokenOf(flow(), 2234);
  assert.ok(a.ok && b.ok && later.ok);
  assert.is(a.token, b.token);
  assert.is.not(a.token, later.token);
  assert.equal(reportDataFor(flow().runtimeData), reportDataFor(flow().runtimeData));
});

test.run();
