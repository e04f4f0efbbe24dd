/**
 * Goal: world steps per second with attestation steps included (issue 9), the attest step
 *   alone and random part-2 host actions; and the cost of the models those steps call: the token
 *   service appraising evidence and issuing a token, the key broker validating it and releasing
 *   a key, the guest storing a key in private memory, and the host's view of a VM's memory; plus
 *   the one expensive thing that is memoised (a deterministic RSA-2048 key from a stream).
 * Method: opsPerSecond over one flow built from a fixed seed, with the kernel memo warm (as in a
 *   world run after its first step). References measured in the same run: an RS256 signature
 *   with node:crypto (what one token costs without the memo), node's RSA-2048 keygen (random, so
 *   unusable in models; what our seeded keygen competes with). Ratios > 1: we are faster.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { Rng, rngStateOf } from '../../sim/kernel/rng.js';
import { guestStream } from '../support/snp.js';
import { buildCertificateSet } from '../../models/snp/certificates.js';
import { launchSecrets } from '../../models/snp/guest-context.js';
import { generateReport } from '../../models/snp/report-generator.js';
import {
  guestStoreSecret, hostView, launchGuestMemory,
} from '../../models/hypervisor/guest-memory.js';
import { rsaKeyFromStream } from '../../models/verifier/jwt-keys.js';
import {
  createKeyBroker, importKey, issueNonce, releaseKey, trustAuthority,
} from '../../models/verifier/key-broker.js';
import {
  attestSevSnpVm, createTokenService, tokenServiceJwks, tokenSigningKey,
} from '../../models/verifier/token-service.js';
import {
  certificatesPem, sevSnpVmAttestRequest,
} from '../../models/verifier/token-service-evidence.js';
import { medianMs, opsPerSecond, type Bench, type BenchRow } from './harness.js';
import type { HostAction } from '../../models/host/adversary.js';
import { deployBenign, runActions, step } from '../../sim/world.js';
import { generatedWorld } from '../world/world-support.js';

function flow() {
  const rng = Rng.fromSeed(1).fork('bench');
  const service = createTokenService({ rng });
  let broker = trustAuthority(createKeyBroker({ rng, freshness: 'token-window' }),
    service.issuer, tokenServiceJwks(service));
  const issuer = service.issuer;
  broker = importKey(broker, { name: 'k', material: new Uint8Array(32).fill(7),
    releasePolicy: { version: '1.0.0', anyOf: [{ authority: issuer, allOf: [
      { claim: 'x-ms-sevsnpvm-is-debuggable', equals: false }] }] } });
  const nonce = issueNonce(broker);
  const container = rsaKeyFromStream(rng.fork('container').state());
  const runtime = Buffer.from(JSON.stringify({ keys: [container.publicJwk], nonce: nonce.nonce }));
  const reportData = new Uint8Array(64);
  reportData.set(createHash('sha256').update(runtime).digest());
  const generated = generateReport({ seed: 1, product: 'Genoa', report_data: reportData });
  const set = buildCertificateSet({ seed: 1, product: 'Genoa', platform: generated.platform });
  const body = sevSnpVmAttestRequest({ report: generated.report,
    vcekCertChainPem: certificatesPem([set.endorsementCert, set.ask, set.ark]),
    runtimeData: runtime });
  return { service, broker, body };
}

/** Part-2 host actions drawn from a fixed seed, stepped from a world just after attestation. */
function hostileAttestationActions(attest: HostAction, count: number): HostAction[] {
  const rng = Rng.fromSeed('attestation-bench').fork('hostile');
  const keyring = 0xa0_0000;
  const menu: (() => HostAction)[] = [
    () => ({ kind: 'read_page', gpa: keyring + 0x1000 * rng.int(0, 3), debug: rng.bool() }),
    () => ({ kind: 'write_page', gpa: rng.pick([keyring, 0x90_0000]), offset: rng.int(0, 64),
      bytes: 'ee'.repeat(16) }),
    () => ({ kind: 'remap', gpa: keyring, to: { kind: 'swap', gpa: keyring + 0x1000 } }),
    () => ({ kind: 'thim', source: rng.pick(['genuine', 'other_chip', 'other_tcb', 'corrupt']) }),
    () => ({ kind: 'guest_message', mode: rng.pick(['deliver', 'withhold', 'replay']) }),
    () => ({ kind: 'replay_report' }), () => ({ kind: 'replay_token' }), () => attest,
  ];
  return Array.from({ length: count }, () => rng.pick(menu)());
}

function worldRows(): BenchRow[] {
  const world = generatedWorld(1);
  const benign = deployBenign(world);
  const actions = benign.actions;
  const at = actions.findIndex((action) => action.kind === 'attest');
  const before = runActions(world, actions.slice(0, at)).world;
  const after = step(before, actions[at]!).world;
  const withAttest = opsPerSecond(() => { runActions(world, actions); }, 1_500) * actions.length;
  const without = actions.filter((action) => action.kind !== 'attest');
  const withoutRate = opsPerSecond(() => { runActions(world, without); }, 1_500) * without.length;
  const attestRate = opsPerSecond(() => { step(before, actions[at]!); }, 1_000);
  const hostile = hostileAttestationActions(actions[at]!, 1024);
  let next = 0;
  const hostileRate = opsPerSecond(() => { step(after, hostile[next++ % hostile.length]!); },
    1_000);
  return [
    { name: `world: benign deployment with attestation (${actions.length} steps)`,
      value: withAttest, unit: 'steps/s',
      reference: { name: 'the same without the attest step', value: withoutRate,
        unit: 'steps/s' }, ratio: withAttest / withoutRate, note: 'aim: 20,000/s' },
    { name: 'world: the attest step alone (report, token, release)', value: attestRate,
      unit: 'steps/s' },
    { name: 'world: random part-2 host actions after attestation', value: hostileRate,
      unit: 'steps/s' },
  ];
}

export const benches: readonly Bench[] = [{
  name: 'attestation (token service, key broker, guest memory)',
  run: async (): Promise<readonly BenchRow[]> => {
    const { service, broker, body } = flow();
    const token = attestSevSnpVm(service, body, 1000);
    if (!token.ok) throw new Error('bench flow: no token');
    const attest = opsPerSecond(() => attestSevSnpVm(service, body, 1000));
    const key = tokenSigningKey(service).privateKey;
    const rs256 = opsPerSecond(() => sign('sha256', Buffer.from(token.token), key));
    const release = opsPerSecond(() => releaseKey(broker, 'k', { target: token.token }, 2000));
    let memory = launchGuestMemory({ rng: guestStream(1), asid: 1,
      vmpck: launchSecrets(guestStream(1)).vmpck });
    let n = 0;
    const store = opsPerSecond(() => {
      const stored = guestStoreSecret(memory, `k${n++ % 8}`, new Uint8Array(32).fill(n & 0xff));
      if (stored.ok) memory = stored.memory;
    });
    const view = opsPerSecond(() => hostView(memory));
    let stream = 0;
    const keygen = await medianMs(() => rsaKeyFromStream(rngStateOf(`bench/rsa/${stream++}`)), 5);
    const nodeKeygen = await medianMs(() => generateKeyPairSync('rsa', { modulusLength: 2048 }),
      5);
    return [
      ...worldRows(),
      { name: 'token service: attest (verify + claims + token)', value: attest, unit: 'ops/s',
        reference: { name: 'one RS256 signature', value: rs256, unit: 'ops/s' },
        ratio: attest / rs256, note: 'memo warm: the token signature is reused' },
      { name: 'key broker: release (verify token, policy, wrap)', value: release, unit: 'ops/s' },
      { name: 'guest memory: store a 32-byte key (RMP-checked)', value: store, unit: 'ops/s' },
      { name: 'guest memory: host view of the VM (11 pages)', value: view, unit: 'ops/s',
        note: 'ciphertext memoised by page content' },
      { name: 'RSA-2048 key from a seeded stream (cold)', value: keygen, unit: 'ms',
        reference: { name: 'node generateKeyPairSync (random)', value: nodeKeygen, unit: 'ms' },
        ratio: nodeKeygen / keygen },
    ];
  },
}];
