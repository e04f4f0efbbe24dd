/**
 * Goal: the COSE_Sign1 codec, PS384 verification, x5chain extraction and did:x509 resolution work
 * on REAL Microsoft envelopes, and tampering anywhere in what is signed is caught.
 * Method: the two UVM reference-info envelopes in shared/testdata (the milan-v2-aci one, whose
 * payload measurement equals the real report's MEASUREMENT, and the security-context example, in
 * base64). Expected values come from SOURCES.md, spec/snp.md d.7 and the did:x509 spec, not from
 * our own output. Each test skips cleanly without ../shared.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { SimError, errorCode } from '../../sim/kernel/errors.js';
import {
  COSE_HEADER, coseAlgorithmById, decodeCoseSign1, encodeCoseSign1, verifyCoseSign1Signature,
    x5chainCertificates,
} from '../../models/policy/cose-sign1.js';
import { certificateFingerprint, resolveDidX509 } from '../../models/policy/did-x509.js';
import { verifySignedStatement } from '../../models/policy/fragment-envelope.js';
import { shared, sharedTest } from '../support/requires.js';

const SUITE = 'policy/fragment-cose';
const cosePath = (): string => shared('snp', 'reports', 'milan-v2-aci', 'uvm-reference-info.cose');
const b64Path = (): string =>
  shared('snp', 'aci-security-context-example', 'reference-info-base64');

/** From spec/snp.md d.7 and the envelope's issuer as documented there. */
const MS_ROOT_FINGERPRINT = 'I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s';
const UVM_EKU = '1.3.6.1.4.1.311.76.59.1.2';
const UVM_DID = `did:x509:0:sha256:${MS_ROOT_FINGERPRINT}::eku:${UVM_EKU}`;
/** SOURCES.md: MEASUREMENT of reports/milan-v2-aci/report.bin. */
const REPORT_MEASUREMENT = '51068107cdc7ee3d89c7821b05bca6147eb77b2005ae759050fc049b65a1b0beabc65a9'
  + 'd857acecf23225f5ec76849f5';

function realCose(): Uint8Array {
  return new Uint8Array(readFileSync(cosePath()));
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack).indexOf(Buffer.from(needle));
}

function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

sharedTest('policy/cose-sign1: the real UVM reference info decodes with the headers spec d.7 lists',
    () => {
  const bytes = realCose();
  const message = decodeCoseSign1(bytes);
  const header = message.protectedHeader;
  assert.is(header.get(COSE_HEADER.alg), -38);
  assert.is(header.get(COSE_HEADER.content_type), 'application/json');
  assert.is(header.get(COSE_HEADER.feed), 'ContainerPlat-AMD-UVM');
  assert.is(header.get(COSE_HEADER.iss), UVM_DID);
  assert.is(x5chainCertificates(header.get(COSE_HEADER.x5chain)).length, 3);
  assert.is(message.signature.length, 384); // RSA 3072 PS384
});

sharedTest('policy/cose-sign1: the real payload carries the MEASUREMENT of the real ACI '
  + 'report', () => {
  const bytes = realCose();
  const payloadText = new TextDecoder().decode(decodeCoseSign1(bytes).payload);
  const payload = JSON.parse(payloadText) as Record<string, string>;
  assert.is(payload['x-ms-sevsnpvm-launchmeasurement'], REPORT_MEASUREMENT);
  assert.is(payload['x-ms-sevsnpvm-guestsvn'], '22');
});

sharedTest('policy/cose-sign1: decode then encode gives back the real bytes exactly', () => {
  const bytes = realCose();
  assert.is(Buffer.compare(Buffer.from(encodeCoseSign1(decodeCoseSign1(bytes))),
    Buffer.from(bytes)), 0);
});

sharedTest('policy/cose-sign1: the real PS384 signature verifies under the x5chain leaf', () => {
  const bytes = realCose();
  const message = decodeCoseSign1(bytes);
  const chain = x5chainCertificates(message.protectedHeader.get(COSE_HEADER.x5chain));
  verifyCoseSign1Signature(message, coseAlgorithmById(-38), chain[0]!);
  assert.is(errorCode(() => verifyCoseSign1Signature(message, coseAlgorithmById(-38), chain[1]!)),
    'POLICY_FRAGMENT_BAD_SIGNATURE', 'the intermediate CA did not sign the envelope');
});

sharedTest('policy/cose-sign1: flipping any payload byte breaks the signature', () => {
  const bytes = realCose();
  const payload = decodeCoseSign1(bytes).payload;
  const start = indexOfBytes(bytes, payload);
  assert.ok(start > 0);
  for (let i = start; i < start + payload.length; i++) {
    assert.is(errorCode(() => verifySignedStatement(flipped(bytes, i))),
      'POLICY_FRAGMENT_BAD_SIGNATURE', `payload byte ${i}`);
  }
});

sharedTest('policy/cose-sign1: flipping any signature byte breaks the signature', () => {
  const bytes = realCose();
  const signatureStart = bytes.length - 384; // the signature is the last item of the array
  for (let i = signatureStart; i < bytes.length; i++) {
    assert.is(errorCode(() => verifySignedStatement(flipped(bytes, i))),
      'POLICY_FRAGMENT_BAD_SIGNATURE', `signature byte ${i}`);
  }
});

sharedTest('policy/cose-sign1: editing the signed feed header breaks the signature', () => {
  const bytes = realCose();
  const at = indexOfBytes(bytes, new TextEncoder().encode('ContainerPlat-AMD-UVM'));
  assert.ok(at > 0);
  const edited = bytes.slice();
  edited[at] = 'X'.charCodeAt(0);
  assert.is(errorCode(() => verifySignedStatement(edited)), 'POLICY_FRAGMENT_BAD_SIGNATURE');
});

sharedTest('policy/cose-sign1: the unsigned unprotected header (RFC 3161 timestamp) is not covered',
    () => {
  const bytes = realCose();
  const timestamp = decodeCoseSign1(bytes).unprotectedHeader.get('timestamp');
  assert.instance(timestamp, Uint8Array);
  const at = indexOfBytes(bytes, timestamp as Uint8Array);
  // A byte inside the timestamp token: the signature still verifies (RFC 9052: unprotected).
  assert.is(verifySignedStatement(flipped(bytes, at + 100)).feed, 'ContainerPlat-AMD-UVM');
});

sharedTest('policy/cose-sign1: trailing bytes, a missing tag and truncation are malformed '
  + 'input', () => {
  const bytes = realCose();
  const trailing = new Uint8Array([...bytes, 0x00]);
  assert.is(errorCode(() => decodeCoseSign1(trailing)), 'POLICY_BAD_FRAGMENT');
  assert.is(errorCode(() => decodeCoseSign1(bytes.subarray(1))), 'POLICY_BAD_FRAGMENT'); // untagged
  assert.is(errorCode(() => decodeCoseSign1(bytes.subarray(0, bytes.length - 1))),
    'POLICY_BAD_FRAGMENT');
  assert.is(errorCode(() => decodeCoseSign1(new Uint8Array(0))), 'POLICY_BAD_FRAGMENT');
});

sharedTest('policy/did-x509: the real issuer DID resolves against its own chain, pinned to the '
  + 'root',
    () => {
  const bytes = realCose();
  const chain = x5chainCertificates(
    decodeCoseSign1(bytes).protectedHeader.get(COSE_HEADER.x5chain));
  assert.is(certificateFingerprint(chain[2]!), MS_ROOT_FINGERPRINT);
  assert.is(resolveDidX509(UVM_DID, chain).caIndex, 2);
});

sharedTest('policy/did-x509: the real chain also resolves a DID pinned to its intermediate '
  + 'CA', () => {
  const bytes = realCose();
  const chain = x5chainCertificates(
    decodeCoseSign1(bytes).protectedHeader.get(COSE_HEADER.x5chain));
  const intermediate = createHash('sha256').update(chain[1]!).digest('base64url');
  assert.is(resolveDidX509(`did:x509:0:sha256:${intermediate}::eku:${UVM_EKU}`, chain).caIndex, 1);
});

sharedTest('policy/did-x509: a DID pinned to the leaf itself does not resolve', () => {
  const bytes = realCose();
  const chain = x5chainCertificates(
    decodeCoseSign1(bytes).protectedHeader.get(COSE_HEADER.x5chain));
  const leaf = createHash('sha256').update(chain[0]!).digest('base64url');
  assert.is(errorCode(() => resolveDidX509(`did:x509:0:sha256:${leaf}::eku:${UVM_EKU}`, chain)),
    'POLICY_FRAGMENT_DID_MISMATCH');
});

sharedTest('policy/did-x509: a wrong fingerprint or a wrong EKU does not resolve against the '
  + 'real chain',
    () => {
  const bytes = realCose();
  const chain = x5chainCertificates(
    decodeCoseSign1(bytes).protectedHeader.get(COSE_HEADER.x5chain));
  const wrongFingerprint = UVM_DID.replace('I__iuL25', 'J__iuL25');
  assert.is(errorCode(() => resolveDidX509(wrongFingerprint, chain)),
    'POLICY_FRAGMENT_DID_MISMATCH');
  // .3 is the infrastructure-fragment EKU: the UVM signer does not have it.
  const wrongEku = `did:x509:0:sha256:${MS_ROOT_FINGERPRINT}::eku:1.3.6.1.4.1.311.76.59.1.3`;
  assert.is(errorCode(() => resolveDidX509(wrongEku, chain)), 'POLICY_FRAGMENT_DID_MISMATCH');
});

sharedTest('policy/did-x509: subject predicates match the real leaf (CN ContainerPlat, O, '
  + 'C)', () => {
  const bytes = realCose();
  const chain = x5chainCertificates(
    decodeCoseSign1(bytes).protectedHeader.get(COSE_HEADER.x5chain));
  const base = `did:x509:0:sha256:${MS_ROOT_FINGERPRINT}`;
  assert.is(resolveDidX509(`${base}::subject:CN:ContainerPlat`, chain).caIndex, 2);
  assert.is(resolveDidX509(`${base}::subject:O:Microsoft%20Corporation:C:US::eku:${UVM_EKU}`,
    chain).caIndex, 2);
  assert.is(errorCode(() => resolveDidX509(`${base}::subject:CN:ContainerPlat2`, chain)),
    'POLICY_FRAGMENT_DID_MISMATCH');
});

sharedTest('policy/did-x509: a chain whose order is broken is rejected as a bad chain', () => {
  const bytes = realCose();
  const chain = x5chainCertificates(
    decodeCoseSign1(bytes).protectedHeader.get(COSE_HEADER.x5chain));
  assert.is(errorCode(() => resolveDidX509(UVM_DID, [chain[0]!, chain[2]!])),
    'POLICY_FRAGMENT_BAD_CHAIN');
  assert.is(errorCode(() => resolveDidX509(UVM_DID, [chain[0]!])), 'POLICY_FRAGMENT_BAD_CHAIN');
});

sharedTest('policy/cose-sign1: the base64 security-context reference info verifies end to '
  + 'end', () => {
  const statement = verifySignedStatement(readFileSync(b64Path(), 'utf8'));
  assert.is(statement.issuer, UVM_DID);
  assert.is(statement.feed, 'ContainerPlat-AMD-UVM');
  assert.is(statement.algorithm, 'PS384');
  const payload = JSON.parse(new TextDecoder().decode(statement.payload)) as Record<string, string>;
  assert.is(payload['x-ms-sevsnpvm-guestsvn'], '100'); // SOURCES.md
  assert.ok(payload['x-ms-sevsnpvm-launchmeasurement']!.startsWith('03fea028'));
});

// Regression (found by fast-check, seed 11, path "57:0:1:3:1"): a corrupted x5chain leaf made
// node's X509Certificate throw a raw error out of the signature check instead of a SimError.
sharedTest(`${SUITE}: a corrupted x5chain leaf is POLICY_BAD_FRAGMENT, not a crash`, () => {
  const bytes = new Uint8Array(readFileSync(cosePath()));
  const header = decodeCoseSign1(bytes).protectedHeader;
  const leaf = x5chainCertificates(header.get(COSE_HEADER.x5chain))[0]!;
  const at = Buffer.from(bytes).indexOf(Buffer.from(leaf));
  assert.ok(at > 0, 'the leaf DER sits in the envelope');
  const broken = bytes.slice();
  broken[at] = 0x00; // SEQUENCE tag of the certificate
  assert.is(errorCode(() => verifySignedStatement(broken)), 'POLICY_BAD_FRAGMENT');
});

sharedTest(`${SUITE}: any 1-3 byte mutation or truncation of the real envelope gives a `
  + `SimError`, () => {
  const bytes = new Uint8Array(readFileSync(cosePath()));
  const mutated = fc.oneof(
    fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })),
      { minLength: 1, maxLength: 3 })
      .map((edits) => {
        const copy = bytes.slice();
        for (const [index, value] of edits) copy[index] = value;
        return copy;
      }),
    fc.nat(bytes.length - 1).map((length) => bytes.slice(0, length)),
  );
  fc.assert(fc.property(mutated, (candidate) => {
    try {
      verifySignedStatement(candidate);
    } catch (error) {
      if (!(error instanceof SimError)) throw error;
    }
  }), { numRuns: 300, seed: 11 });
});

test.run();
