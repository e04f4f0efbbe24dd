/**
 * Goal: a fragment the policy denies for several reasons at once is refused with every reason,
 * in the framework's order, separated by "; " (the GCS joins the reasons it got from the
 * policy's reason query).
 * Method: the benign prefix of agent-support.ts with a policy that accepts fragments of one
 * issuer and feed from SVN 1; a fragment of that issuer and feed signed without an SVN header,
 * whose module has no framework_version and SVN 0, so the second load_fragment call fails twice.
 * The reasons are framework.rego's texts, written out here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { modifySettingsMessage } from '../../models/guest/bridge-protocol.js';
import { UVM_CONTAINER_ID } from '../../models/guest/guest-state.js';
import { signFragment } from '../../models/policy/fragment-envelope.js';
import { createTestIssuer } from '../../models/policy/test-issuers.js';
import { BENIGN, benignPrefix, generatedPolicy } from './agent-support.js';
import { assertRefused } from './agent-assert.js';

const FEED = 'contoso.azurecr.io/sidecar';
const contoso = createTestIssuer({ seed: 'guest-contoso' });
const STALE = 'package sidecar\n\nsvn := "0"\n';

test('guest/fragment-reasons: a fragment denied twice names both reasons, joined by "; "', () => {
  const policy = { ...generatedPolicy(),
    fragments: [{ issuer: contoso.did, feed: FEED, minimum_svn: '1', includes: ['containers'] }] };
  const { world, state } = benignPrefix(BENIGN.scratch, policy);
  const step = world.step(state, modifySettingsMessage(52, UVM_CONTAINER_ID,
    'SecurityPolicyFragment', 'Add', { MediaType: '', Fragment: Buffer.from(signFragment({
      regoText: STALE, feed: FEED, issuer: contoso })).toString('base64') }));
  assertRefused(step, state, { layer: 'policy', rule: 'load_fragment' });
  assert.is(step.refusal?.reason, 'load_fragment denied at module: fragment framework_version '
    + 'is missing. Current version: 0.5.0; fragment svn is below the specified minimum');
});

test.run();
