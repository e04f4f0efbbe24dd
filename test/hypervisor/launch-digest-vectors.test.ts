/**
 * Goal: `parma-sim measure` gives exactly what sev-snp-measure 0.0.13 gave for all 71 vectors in
 * ../shared/testdata/vectors/launch-digest.json: same stdout for digests (hex, base64, verbose),
 * same stderr and exit code for the refused inputs.
 * Method: every vector runs in-process (runCli with absolute input paths); a representative subset
 * (each mode, VMM, output format, both error messages, the 64-vCPU 60 MiB timing vector) also runs
 * as a real child process of the compiled CLI from a directory holding the inputs, as the vectors
 * were recorded. Recipe-only inputs are regenerated and must match their recorded sha256 first.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, spawnCli } from '../support/cli.js';
import { available, shared, sharedTest } from '../support/requires.js';
import {
  absoluteArgs, loadLaunchVectors, prepareVectorWorkdir, sha256Hex, type LaunchVector,
  type VectorWorkdir,
} from './vector-inputs.js';
import { readFileSync } from 'node:fs';

let vectors: readonly LaunchVector[] = [];
let workdir: VectorWorkdir | undefined;

test.before(() => {
  if (available('testdata')) {                     // else the tests below are skipped ones
    vectors = loadLaunchVectors();
    workdir = prepareVectorWorkdir(vectors, shared('vectors', 'inputs'));
  }
});
test.after(() => workdir?.dispose());

function checkOutcome(
  vector: LaunchVector, result: Readonly<{ code: number; stdout: string; stderr: string }>,
): void {
  assert.is(
    result.code, vector.expected_exit_code, `${vector.id}: exit code (stderr: ${result.stderr})`,
  );
  if (vector.expected_stdout !== undefined) {
    assert.is(result.stdout, `${vector.expected_stdout}\n`, `${vector.id}: stdout`);
  }
  if (vector.expected_stderr !== undefined) {
    assert.is(result.stderr, `${vector.expected_stderr}\n`, `${vector.id}: stderr`);
  }
  if (vector.expected_exit_code !== 0) {
    assert.is(result.stdout, '', `${vector.id}: nothing on stdout`);
  }
  if (vector.expected_exit_code === 0) {
    assert.is(result.stderr, '', `${vector.id}: nothing on stderr`);
  }
}

sharedTest('hypervisor/launch-digest vectors: the file holds the 71 documented vectors', () => {
  assert.is(vectors.length, 71);
  assert.is(new Set(vectors.map((v) => v.id)).size, 71);
});

sharedTest('hypervisor/launch-digest vectors: shipped inputs match their recorded sha256', () => {
  for (const vector of vectors) {
    for (const [name, sha] of Object.entries(vector.inputs)) {
      assert.is(sha256Hex(readFileSync(workdir!.pathOf(name))), sha, `${vector.id}: ${name}`);
    }
  }
});

sharedTest(
  'hypervisor/launch-digest vectors: every vector gives the recorded output in-process',
  async () => {
    let checked = 0;
    for (const vector of vectors) {
      checkOutcome(vector, await runCli(['measure', ...absoluteArgs(vector, workdir!)]));
      checked++;
    }
    assert.is(checked, 71);
  },
);

const SPAWNED = [
  'up-snp-ovmfhash-seed-gf21', 'up-ovmfhash-amdsev-suffix', 'up-snp-ec2-gf21', 'up-snp-gce-4vcpu',
  'up-snp-ovmfx64-kernel-error', 'up-seves-4vcpu', 'up-seves-ovmfx64-kernel-error',
  'up-sev-cmdline', 'up-snpsvsm-2vcpu', 'snp-amdsev-k1i1c1-2vcpu-fam25-17-1-gf21',
  'snp-amdsev-k1i1c1-2vcpu-milan-gf21-b64',
  'snp-amdsev-verbose', 'snp-debian-ovmf-64vcpu-milan-gf21', 'seves-debian-ovmf-kernel-error',
  'snp-large-2MiBovmf-10MiBkernel-50MiBinitrd-64vcpu-genoa-gf21',
];

sharedTest(
  'hypervisor/launch-digest vectors: a representative subset gives ' +
    'the recorded output as a real process',
  () => {
    for (const id of SPAWNED) {
      const vector = vectors.find((v) => v.id === id);
      assert.ok(vector !== undefined, `vector ${id} exists`);
      checkOutcome(vector, spawnCli(['measure', ...vector.args], { cwd: workdir!.dir }));
    }
  },
);

test.run();
