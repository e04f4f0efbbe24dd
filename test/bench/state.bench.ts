/**
 * Goal: the cost of state as data, which the world and the explorer pay on every step: report
 * requests as values (no signing), creating a firmware state, and encoding, decoding and
 * fingerprinting a firmware state plus policy metadata with the canonical codec.
 * Method: opsPerSecond / µs per op over states built from a fixed seed. References measured in
 * the same run: one signed report (what a request cost before reports became values) and
 * JSON.stringify of the same data (a lower bound for any faithful encoding); ratios > 1 mean we
 * are faster than the reference.
 */
import { Rng } from '../../sim/kernel/rng.js';
import { decodeState, encodeState, fingerprint } from '../../sim/kernel/codec.js';
import { endorsementRootOf } from '../../models/snp/endorsement-keys.js';
import {
  createFirmware, requestReport, signReport, signingKeyOf,
} from '../../models/snp/firmware.js';
import { guestContextFromFields } from '../../models/snp/guest-context-fields.js';
import { createPlatform } from '../../models/snp/platform.js';
import { signAttestationReport } from '../../models/snp/report-signature.js';
import { hexBytes } from '../../sim/kernel/bytes.js';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { emptyMetadata } from '../../models/policy/metadata.js';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import { opsPerSecond, type Bench, type BenchRow } from './harness.js';

const LAYERS = [
  '16b514057a06ad665f92c02863aca074fd5976c755d26bff16365299169e8415',
  'c6e9c3a6c1d0e0d2f0b7c7f7a1b2c3d4e5f60718293a4b5c6d7e8f9001122334',
];

const POLICY_TEXT = `package policy
api_version := "0.10.0"
framework_version := "0.2.3"
containers := [{"command": ["/pause"], "env_rules": [{"pattern": "PATH=/usr/bin",
  "strategy": "string", "required": true}], "layers": ${JSON.stringify(LAYERS)}, "mounts": [],
  "exec_processes": [], "signals": [], "allow_elevated": false, "working_dir": "/",
  "allow_stdio_access": false, "no_new_privileges": false, "seccomp_profile_sha256": "",
  "user": {"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [], "umask": "0022"},
  "capabilities": null}]
mount_device := data.framework.mount_device
mount_overlay := data.framework.mount_overlay
`;

function fixture() {
  const snp = Rng.fromSeed(1).fork('snp');
  const platform = createPlatform({ rng: snp, product: 'Genoa' });
  const root = endorsementRootOf(snp);
  const firmware = createFirmware(root, platform);
  const context = guestContextFromFields({
    rng: snp.fork('guest').fork('guest0'), launchTcb: platform.current_tcb,
  });
  const policy = importSecurityPolicy(new TextEncoder().encode(POLICY_TEXT));
  let metadata = emptyMetadata();
  LAYERS.forEach((hash, i) => {
    const decision = evaluateEnforcementPoint(policy, metadata, 'mount_device', {
      target: `/run/mounts/scsi/m${i}`, deviceHash: hash,
      mountPathRegex: '/run/mounts/scsi/m[0-9]+',
    });
    metadata = decision.metadata;
  });
  const overlay = evaluateEnforcementPoint(policy, metadata, 'mount_overlay', {
    containerID: 'ab'.repeat(32), layerPaths: ['/run/mounts/scsi/m1', '/run/mounts/scsi/m0'],
    target: `/run/gcs/c/${'ab'.repeat(32)}/rootfs`,
  });
  return { platform, root, firmware, context, state: { firmware, metadata: overlay.metadata } };
}

function perOpMicros(fn: () => void): number {
  return 1e6 / opsPerSecond(fn, 700);
}

export const benches: readonly Bench[] = [{
  name: 'state: reports as values, firmware creation, canonical codec (firmware + metadata)',
  run: async () => {
    const { platform, root, firmware, context, state } = fixture();
    const reportData = new Uint8Array(64);
    let counter = 0;
    const asValue = () => {
      reportData[0] = counter++ & 0xff;   // a fresh REPORT_DATA each time, as a nonce would be
      const response = requestReport(firmware, {
        context, senderVmpl: 0, request: { report_data: reportData, vmpl: 0, key_sel: 0 },
      });
      if (!('value' in response)) throw new Error('refused');
    };
    const values = opsPerSecond(asValue);
    const first = requestReport(firmware, {
      context, senderVmpl: 0, request: { report_data: reportData, vmpl: 0, key_sel: 0 },
    });
    if (!('value' in first)) throw new Error('refused');
    signReport(firmware, first.value);
    const unsigned = hexBytes(first.value.unsigned);
    const signingKey = signingKeyOf(firmware, 'vcek')!;
    const signed = opsPerSecond(() => { signAttestationReport(unsigned, signingKey); }, 500);
    const creation = perOpMicros(() => { createFirmware(root, platform); });
    const bytes = encodeState(state);
    const encode = perOpMicros(() => { encodeState(state); });
    const decode = perOpMicros(() => { decodeState(bytes); });
    const print = perOpMicros(() => { fingerprint(state); });
    const json = perOpMicros(() => {
      JSON.stringify(state, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    });
    const rows: BenchRow[] = [
      {
        name: 'report requests as values (no signing)', value: values, unit: 'ops/s',
        reference: { name: 'signed report', value: signed, unit: 'ops/s' },
        ratio: values / signed, note: 'aim: 50,000/s',
      },
      { name: 'createFirmware', value: creation, unit: 'µs/op', note: 'aim: <= 50 µs' },
      {
        name: `encodeState (${bytes.length} bytes)`, value: encode, unit: 'µs/op',
        reference: { name: 'JSON.stringify', value: json, unit: 'µs/op' }, ratio: json / encode,
        note: 'aim: <= 20 µs',
      },
      { name: 'decodeState', value: decode, unit: 'µs/op', note: 'aim: <= 20 µs' },
      { name: 'fingerprint (SHA-256 of the encoding)', value: print, unit: 'µs/op',
        note: 'aim: <= 20 µs' },
    ];
    return rows;
  },
}];
