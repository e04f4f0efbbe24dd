/**
 * Goal: the cost of the attestation models that world steps will call: the token service
 *   appraising evidence and issuing a token, the key broker validating it and releasing a key,
 *   the guest storing a key in private memory, and the host's view of a VM's memory; plus the one
 *   expensive thing that is memoised (a deterministic RSA-2048 key from a stream).
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
