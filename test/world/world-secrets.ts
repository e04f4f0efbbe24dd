/**
 * Goal: every secret a world holds at a moment, for the confidentiality scans: the VMPCKs the
 *   firmware gave the guest, the VM encryption key, the guest's scratch keys and the plaintext
 *   of its scratch blocks, the broker's key material, and the private halves of the containers'
 *   wrapping keys; each in the encodings the host might see it in (raw, hex, base64, base64url).
 * Method: read the world's own state (launch context, guest state, memory, broker) and decrypt
 *   scratch blocks with the guest model's readScratchBlock; a Collector unions the secrets of
 *   every step, so a scan at step n also looks for secrets that existed before it.
 */
import { hexBytes } from '../../sim/kernel/bytes.js';
import { readScratchBlock } from '../../models/guest/encrypted-scratch.js';
import { sealedBlocks } from '../../models/host/storage.js';
import { guestContextOf } from '../../models/snp/launch/launch-context.js';
import { poolKey } from '../../sim/world-attestation.js';
import type { World } from '../../sim/world.js';
import type { NamedBytes } from '../support/secret-scan.js';

function scratchPlaintexts(world: World): NamedBytes[] {
  const guest = world.state.guest;
  if (guest === null) return [];
  const out: NamedBytes[] = [];
  for (const device of Object.values(guest.devices)) {
    if (device.kind !== 'rw_scratch' || !device.encrypted) continue;
    const key = guest.secrets.scratchKeys[device.target];
    const attachment = world.state.host.storage.attachments[String(device.lun)];
    const disk = attachment === undefined ? undefined
      : world.state.host.storage.disks[attachment.disk];
    if (key === undefined || disk === undefined || disk.kind !== 'scratch') continue;
    const scratch = { ledger: { blockCount: device.blockCount, versions: device.versions },
      disk: { blockCount: disk.blockCount, sealed: sealedBlocks(disk, world.store) } };
    for (const index of Object.keys(device.versions)) {
      const plain = readScratchBlock(scratch, hexBytes(key), Number(index));
      const used = plain.findIndex((byte) => byte !== 0);
      if (used < 0) continue;
      out.push({ name: `scratch plaintext ${device.target} block ${index}`,
        bytes: plain.subarray(used, used + 32) });
    }
  }
  return out;
}

/** The secrets the world holds now (raw bytes). */
export function worldSecrets(world: World): NamedBytes[] {
  const secrets: NamedBytes[] = [];
  const { state } = world;
  if (state.launch.value === 'running') {
    guestContextOf(state.launch).vmpck.forEach((key, i) =>
      secrets.push({ name: `VMPCK${i}`, bytes: hexBytes(key) }));
  }
  if (state.memory !== null) secrets.push({ name: 'VEK', bytes: hexBytes(state.memory.vek) });
  for (const [target, key] of Object.entries(state.guest?.secrets.scratchKeys ?? {})) {
    secrets.push({ name: `scratch key ${target}`, bytes: hexBytes(key) });
  }
  for (const key of Object.values(state.attestation.broker.keys)) {
    secrets.push({ name: `broker key ${key.name}`, bytes: hexBytes(key.material) });
  }
  for (let n = 0; n < state.attestation.attempts; n++) {
    const jwk = poolKey(n).privateKey.export({ format: 'jwk' });
    secrets.push({ name: `wrapping key ${n} (d)`, bytes: Buffer.from(String(jwk.d), 'base64url') });
  }
  secrets.push(...scratchPlaintexts(world));
  return secrets;
}

/**
 * The part of base64(…) that is the same wherever the secret sits in a longer message: for each
 * of the three alignments, the characters that depend on the secret's bytes alone.
 */
function base64Middles(secret: Buffer, alphabet: 'base64' | 'base64url'): Buffer[] {
  const starts = [0, 2, 3];
  return starts.map((start, shift) => {
    const text = Buffer.concat([Buffer.alloc(shift), secret]).toString(alphabet);
    return Buffer.from(text.replace(/=+$/, '').slice(start, -3));
  });
}

/** A secret in every encoding the host might see it in. */
export function encodings(secret: NamedBytes): NamedBytes[] {
  const buffer = Buffer.from(secret.bytes);
  return [
    secret,
    { name: `${secret.name} (hex)`, bytes: Buffer.from(buffer.toString('hex')) },
    ...(['base64', 'base64url'] as const).flatMap((alphabet) => base64Middles(buffer, alphabet)
      .map((bytes, shift) => ({ name: `${secret.name} (${alphabet}, shift ${shift})`, bytes }))),
  ];
}

/** Unions the secrets of every step seen so far (by name and bytes). */
export class SecretCollector {
  private readonly seen = new Map<string, NamedBytes>();
  add(world: World): void {
    for (const secret of worldSecrets(world)) {
      const key = `${secret.name}:${Buffer.from(secret.bytes).toString('hex')}`;
      if (!this.seen.has(key)) this.seen.set(key, secret);
    }
  }
  all(): NamedBytes[] {
    return [...this.seen.values()].flatMap(encodings);
  }
  names(): string[] {
    return [...this.seen.values()].map((secret) => secret.name);
  }
}
