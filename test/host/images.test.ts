/**
 * Goal: the host's images are real layer images: generated ones are known by the root hash
 * veritysetup would compute, stand-ins for a real policy's layers carry the files the containers
 * need (their user's /etc/passwd, argv[0], the working directory) and are declared as the layer
 * hash the policy names, with distinct real roots; the UVM flash image parses as OVMF does.
 * Method: roots are read back from the device with the guest's reader (readLayerRootHash), files
 * through decodeLayerFilesystem; the shared policy `command.policy.rego` supplies real hashes.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeLayerFilesystem, readLayerRootHash } from '../../models/guest/layer-image.js';
import { generatedImage, standInImages } from '../../models/host/images.js';
import { generateWorkload } from '../../models/host/confcom.js';
import { uvmFlashImage } from '../../models/host/uvm-image.js';
import { loadFirmwareImage } from '../../models/hypervisor/qemu-launch-driver.js';
import { OVMF_TABLE_GUID } from '../../models/hypervisor/ovmf-footer-table.js';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import { groupOfPolicy } from '../../sim/world-deployment.js';
import { shared, sharedTest } from '../support/requires.js';

const utf8 = new TextDecoder();

test('host/images: a generated image is known by the root hash the guest reads from it', () => {
  const image = generatedImage({ '/a': { kind: 'file', content: new Uint8Array([1, 2, 3]) } });
  assert.is(readLayerRootHash(image.image), image.realRoot);
  assert.is(image.declaredRoot, null);
});

sharedTest('host/images: stand-ins of a real policy declare its layer hashes and hold the files '
  + 'the containers need', () => {
  const path = shared('policies', 'confcom', 'command.policy.rego');
  const policy = loadSecurityPolicy(new Uint8Array(readFileSync(path))).policy;
  const group = groupOfPolicy(policy);
  const images = standInImages(group);
  const declared = images.map((image) => image.declaredRoot);
  assert.equal(declared.sort(), [...new Set(policy.containers.flatMap((c) => c.layers))].sort());
  assert.is(new Set(images.map((image) => image.realRoot)).size, images.length);
  for (const image of images) {
    assert.is(readLayerRootHash(image.image), image.realRoot, 'the device tells its real root');
    assert.is.not(image.realRoot, image.declaredRoot);
  }
  const shell = policy.containers.find((c) => c.command?.[0] === '/bin/sh')!;
  const top = images.find((image) => image.declaredRoot === shell.layers.at(-1))!;
  const tree = decodeLayerFilesystem(top.image);
  assert.ok(tree['/bin/sh']?.kind === 'file', 'argv[0] is in the top layer');
  const passwd = tree['/etc/passwd'];
  assert.ok(passwd?.kind === 'file' && utf8.decode(passwd.content).startsWith('root:x:0:0:'));
});

test('host/confcom: a generated workload\'s policy names the computed roots of its images, pause '
  + 'first', () => {
  const workload = generateWorkload([{ name: 'web', command: ['/bin/web'], env: ['A=1'],
    workingDir: '/srv',
    layers: [{ '/bin/web': { kind: 'file', content: new Uint8Array([9]) } }] }]);
  const policy = loadSecurityPolicy(new TextEncoder().encode(workload.policyText)).policy;
  assert.equal(policy.containers.map((c) => c.command), [['/pause'], ['/bin/web']]);
  assert.equal(policy.containers.map((c) => c.layers),
    workload.group.containers.map((c) => c.layers));
  for (const image of workload.images) assert.is(readLayerRootHash(image.image), image.realRoot);
});

test('host/uvm-image: the UVM flash image parses as OVMF (footer table, SEV metadata '
  + 'sections)', () => {
  const ovmf = loadFirmwareImage(uvmFlashImage());
  assert.is(ovmf.bytes.length % 4096, 0);
  assert.ok(ovmf.table.has(OVMF_TABLE_GUID.sev_es_reset_block));
  assert.ok(ovmf.table.has(OVMF_TABLE_GUID.sev_hash_table_rv));
  assert.equal(ovmf.metadata.map((s) => s.section_type), [1, 2, 3, 0x10]);
});

test.run();
