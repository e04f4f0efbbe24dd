/**
 * Goal: with `verity_from_device` off (the old agents), the host's VerityInfo claim is trusted
 * only when it is a 64-hex-digit RootDigest string; anything else (absent, not an object, an
 * array holding the digest, a digest with a character more) leaves the root hash read from the
 * device. A trusted claim is traced with the claim and the device's hash; a claim naming the
 * image a registry stand-in presents verifies as that image (under the stand-in's own tree).
 * Method: the benign prefix of agent-support.ts before the pause layer is mounted, then the
 * pause layer's mount with a claim; root hashes are the generated images'; the stand-in is the
 * app base image at another LUN whose AgentIo.declaredRoot presents the pause image's hash.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_AGENT_OPTIONS, stepAgent } from '../../models/guest/agent.js';
import {
  BENIGN, LUN, TARGET, benignPrefix, generatedPolicy, images, scsiLayer,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const FROM_HOST = { ...DEFAULT_AGENT_OPTIONS, checks: { verity_from_device: false } };

function mountWithClaim(verityInfo: unknown) {
  const { world, state } = benignPrefix(BENIGN.pauseLayer, generatedPolicy(), FROM_HOST);
  return world.step(state, scsiLayer(LUN.pause, TARGET.pause, 'Add',
    verityInfo === undefined ? {} : { VerityInfo: verityInfo }));
}

test('guest/verity-claims: a claim that is no 64-hex RootDigest string is ignored: the '
  + 'device\'s root hash is mounted', () => {
  const pause = images().pause.rootHash;
  for (const claim of [undefined, 'not an object', [pause], { RootDigest: [pause] },
    { RootDigest: `${pause}0` }, { RootDigest: `z${pause}` }, { RootDigest: pause.toUpperCase() }]) {
    const step = mountWithClaim(claim);
    assertAccepted(step);
    assert.is(step.events.some((e) => e.type === 'verity_info_trusted'), false,
      JSON.stringify(claim));
    const device = step.state.devices[TARGET.pause];
    assert.ok(device?.kind === 'ro_verity' && device.rootHash === pause, 'the device\'s hash');
  }
});

test('guest/verity-claims: a trusted claim is traced with the claim and the device\'s hash',
  () => {
  const pause = images().pause.rootHash;
  const step = mountWithClaim({ RootDigest: pause });
  assertAccepted(step);
  assert.equal(step.events.find((e) => e.type === 'verity_info_trusted')?.data,
    { claimed: pause, device: pause });
});

test('guest/verity-claims: a claim naming the image a stand-in presents verifies as that image, '
  + 'under the stand-in\'s own tree', () => {
  const img = images();
  const { world, state } = benignPrefix(BENIGN.pauseLayer, generatedPolicy(), FROM_HOST);
  world.attachLayer(7, img.appBase);
  const io = { ...world.io, declaredRoot: (real: string) =>
    real === img.appBase.rootHash ? img.pause.rootHash : null };
  const step = stepAgent(state, scsiLayer(7, TARGET.pause, 'Add',
    { VerityInfo: { RootDigest: img.pause.rootHash } }), io, world.env());
  assertAccepted(step);
  const device = step.state.devices[TARGET.pause];
  assert.ok(device?.kind === 'ro_verity');
  assert.equal([device.rootHash, device.table.root_digest],
    [img.pause.rootHash, img.appBase.rootHash]);
  const other = stepAgent(state, scsiLayer(7, TARGET.pause, 'Add',
    { VerityInfo: { RootDigest: img.appTop.rootHash } }), io, world.env());
  assertRefused(other, state, { layer: 'verity', code: 'GUEST_VERITY_READ_ERROR' });
});

test.run();
