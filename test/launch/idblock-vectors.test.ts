/**
 * Goal: ID blocks and ID auth info match sev-snp-measure's snp-create-id-block for its test keys
 * (../shared/testdata/snp/idblock), both through the library and the `parma-sim idblock` CLI,
 * and what we sign is what the firmware model accepts.
 * Method: expected bytes and digests come from idblock-vectors.json; signatures (random in the
 * original tool, deterministic here) are checked by verifying them, not by comparing bytes.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode } from '../../sim/kernel/errors.js';
import { Rng } from '../../sim/kernel/rng.js';
import { verifyIdAuth } from '../../models/snp/launch/id-auth.js';
import { decodeIdAuthInfo } from '../../models/snp/launch/id-block.js';
import {
  idSigningKeyFromPem, signIdBlock, testIdSigningKey,
} from '../../models/snp/launch/id-key.js';
import { runCli, spawnCli } from '../support/cli.js';
import { shared, sharedTest } from '../support/requires.js';

type IdVectors = {
  launch_digest_b64: string;
  id_block_fields: { policy: string; guest_svn: number; version: number };
  expected_id_block_b64: string; id_key_file: string; expected_id_key_digest_b64: string;
  author_key_file: string; expected_author_key_digest_b64: string;
};

/** The ID block vectors of ../shared and their directory; only inside a sharedTest. */
const idDir = (): string => shared('snp', 'idblock');
const idVectors = (): IdVectors =>
  JSON.parse(readFileSync(`${idDir()}/idblock-vectors.json`, 'utf8')) as IdVectors;
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const fromB64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

function signVectors(v: IdVectors, directory: string) {
  return signIdBlock({
    ld: fromB64(v.launch_digest_b64), policy: BigInt(v.id_block_fields.policy),
    guest_svn: v.id_block_fields.guest_svn,
    idKey: idSigningKeyFromPem(readFileSync(`${directory}/${v.id_key_file}`, 'utf8')),
    authorKey: idSigningKeyFromPem(readFileSync(`${directory}/${v.author_key_file}`, 'utf8')),
  });
}

sharedTest('launch/id-block: the ID block bytes equal snp-create-id-block output', () => {
  const vectors = idVectors();
  const dir = idDir();
  const signed = signVectors(vectors, dir);
  assert.is(b64(signed.id_block), vectors.expected_id_block_b64);
  assert.is(signed.id_block.length, 0x60);
});

sharedTest('launch/id-block: ID key and author key digests equal the published digests', () => {
  const vectors = idVectors();
  const dir = idDir();
  const signed = signVectors(vectors, dir);
  assert.is(b64(signed.id_key_digest), vectors.expected_id_key_digest_b64);
  assert.is(b64(signed.author_key_digest), vectors.expected_author_key_digest_b64);
});

sharedTest('launch/id-block: the signed ID auth info verifies under the firmware checks', () => {
  const vectors = idVectors();
  const dir = idDir();
  const signed = signVectors(vectors, dir);
  const verdict = verifyIdAuth(
    { id_block: signed.id_block, id_auth_info: signed.id_auth_info, auth_key_en: true },
    fromB64(vectors.launch_digest_b64), BigInt(vectors.id_block_fields.policy),
  );
  assert.ok(verdict.ok, verdict.ok ? '' : verdict.reason);
  const auth = decodeIdAuthInfo(signed.id_auth_info);
  assert.is(auth.id_key_algo, 1);
  assert.is(auth.auth_key_algo, 1);
});

sharedTest(
  'launch/id-block: parma-sim idblock prints the snp-create-id-block lines for the test keys',
  () => {
    const vectors = idVectors();
    const dir = idDir();
    const result = spawnCli([
      'idblock', '--measurement', vectors.launch_digest_b64, '--idkey', vectors.id_key_file,
      '--authorkey', vectors.author_key_file,
    ], { cwd: dir });
    assert.is(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.is(lines.length, 3);
    assert.ok(lines[0]!.startsWith(`id-block=${vectors.expected_id_block_b64},id-auth=`));
    assert.is(lines[1], `id_key_hash: ${vectors.expected_id_key_digest_b64}`);
    assert.is(lines[2], `author_key: ${vectors.expected_author_key_digest_b64}`);
  },
);

sharedTest(
  'launch/id-block: parma-sim idblock refuses a key file that ' +
    'is not a P-384 key (exit 30, one line)',
  async () => {
    const vectors = idVectors();
    const dir = idDir();
    const result = await runCli(['idblock', '--measurement', vectors.launch_digest_b64, '--idkey',
      `${dir}/idblock-vectors.json`, '--authorkey', `${dir}/${vectors.author_key_file}`]);
    assert.is(result.code, 30);
    assert.is(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /SNP_BAD_KEY/);
  },
);

test('launch/id-block: --seed test keys are deterministic and differ between seeds', async () => {
  const ld = 'ab'.repeat(48);
  const one = await runCli(['idblock', '--measurement', ld, '--seed', '7', '--json']);
  const again = await runCli(['idblock', '--measurement', ld, '--seed', '7', '--json']);
  const other = await runCli(['idblock', '--measurement', ld, '--seed', '8', '--json']);
  assert.is(one.code, 0, one.stderr);
  assert.is(one.stdout, again.stdout);
  assert.is.not(JSON.parse(one.stdout).id_key_digest, JSON.parse(other.stdout).id_key_digest);
});

test('launch/id-block: a test key from a seed is a valid P-384 key', () => {
  const key = testIdSigningKey(Rng.fromSeed(1).fork('id-key'));
  assert.is(key.publicKey.length, 97);
  assert.is(errorCode(() => idSigningKeyFromPem('not a pem')), 'SNP_BAD_KEY');
});

test.run();
