/**
 * Goal: our deterministic RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48) produces signatures an
 * independent implementation (OpenSSL through node:crypto) accepts, and the salt is the only input
 * that changes them.
 * Method: sign with a committed test key, verify with node:crypto's PSS verifier (salt length
 * enforced), and open the signature with the public key (RSA_NO_PADDING) to check the RFC 8017
 * §9.1.1 encoded-message shape: top bit clear, trailer 0xBC.
 */
import { constants, publicDecrypt, verify } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../sim/kernel/bytes.js';
import { amdTestKey } from '../../models/snp/amd-test-keys.js';
import { emsaPssEncode, rsaPssSign } from '../../models/snp/rsa-pss.js';

const message = new TextEncoder().encode('parma-sim rsa-pss test message');
const salt = (byte: number): Uint8Array => new Uint8Array(48).fill(byte);

test(
  'snp/rsa-pss: a signature verifies under node:crypto PSS with salt length 48 and fails with 32',
  () => {
    const key = amdTestKey('Milan', 'ark');
    const signature = rsaPssSign({ privateKey: key.privateKey, message, salt: salt(7) });
    const opts = (saltLength: number) => ({
      key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength,
    });
    assert.ok(verify('sha384', message, opts(48), signature));
    assert.not.ok(verify('sha384', message, opts(32), signature));
    assert.not.ok(verify('sha256', message, opts(48), signature));
  },
);

test('snp/rsa-pss: the same salt gives the same signature; another salt another one', () => {
  const key = amdTestKey('Genoa', 'ask');
  const a = toHex(rsaPssSign({ privateKey: key.privateKey, message, salt: salt(1) }));
  const b = toHex(rsaPssSign({ privateKey: key.privateKey, message, salt: salt(1) }));
  const c = toHex(rsaPssSign({ privateKey: key.privateKey, message, salt: salt(2) }));
  assert.is(a, b);
  assert.is.not(a, c);
});

test(
  'snp/rsa-pss: opening a signature gives our EMSA-PSS encoding (top bit clear, trailer 0xbc)',
  () => {
    const key = amdTestKey('Turin', 'asvk');
    const signature = rsaPssSign({ privateKey: key.privateKey, message, salt: salt(9) });
    const em = new Uint8Array(
      publicDecrypt({ key: key.publicKey, padding: constants.RSA_NO_PADDING }, signature),
    );
    assert.is(em.length, 512);
    assert.is(em[0]! & 0x80, 0);
    assert.is(em[511], 0xbc);
    assert.is(toHex(em), toHex(emsaPssEncode(message, salt(9), 4096)));
  },
);

test(
  'snp/test-keys: every committed test key is RSA-4096 with e = 65537 and the nine are distinct',
  () => {
    const seen = new Set<string>();
    for (const product of ['Milan', 'Genoa', 'Turin'] as const) {
      for (const role of ['ark', 'ask', 'asvk'] as const) {
        const key = amdTestKey(product, role);
        assert.is(key.publicKey.asymmetricKeyDetails?.modulusLength, 4096);
        assert.is(key.publicKey.asymmetricKeyDetails?.publicExponent, 65537n);
        seen.add(toHex(key.spkiDer));
      }
    }
    assert.is(seen.size, 9);
  },
);

test.run();
