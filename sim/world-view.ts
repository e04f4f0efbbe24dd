/**
 * Models: everything the untrusted host can see of a running confidential container group
 *   (DESIGN invariant I6): the VM's memory as DRAM holds it (and, for a DEBUG guest, what the
 *   firmware decrypts for it), its own disks (layer patches, the sealed scratch blocks the guest
 *   wrote), the guest-message pages, and the attestation traffic it relays (the MAA request, the
 *   token, the key release payload).
 * Real counterpart: a hostile hypervisor/host operator's view.
 * Differs: pristine layer images are left out (they are the host's own public inputs); the
 *   simulator's trace is not part of it (the trace is the simulator's record, checked
 *   separately by the confidentiality tests).
 * Invariants: built from host-side state only — models/hypervisor/guest-memory.ts hostView,
 *   host storage and the relayed messages — never from the guest's plaintext state.
 */
import { hexBytes } from './kernel/bytes.js';
import { hostView } from '../models/hypervisor/guest-memory.js';
import { storeGet } from '../models/host/content-store.js';
import type { World } from './world.js';

export type HostVisibleBlob = Readonly<{ name: string; bytes: Uint8Array }>;

/** The host-visible view of a world, as named byte strings. */
export function hostVisibleView(world: World): HostVisibleBlob[] {
  const blobs: HostVisibleBlob[] = [];
  const { memory, host, attestation } = world.state;
  if (memory !== null) {
    for (const page of hostView(memory)) {
      const name = `memory spa 0x${page.spa.toString(16)}`;
      blobs.push({ name, bytes: page.bytes });
      if (page.debugPlaintext !== null) {
        blobs.push({ name: `${name} (SNP_DBG_DECRYPT)`, bytes: page.debugPlaintext });
      }
    }
  }
  const load = (digest: string): Uint8Array => {
    const bytes = storeGet(world.store, digest);
    if (bytes === undefined) throw new Error(`world-view: no blob ${digest}`);
    return bytes;
  };
  for (const [id, disk] of Object.entries(host.storage.disks)) {
    const blocks = disk.kind === 'layer' ? disk.patches : disk.sealed;
    for (const [index, block] of Object.entries(blocks)) {
      blobs.push({ name: `disk ${id} block ${index}`, bytes: load(block) });
    }
  }
  attestation.host.relayed.forEach((relayed, i) => {
    blobs.push({ name: `relayed ${i} MAA request`, bytes: load(relayed.request) });
    if (relayed.token !== null) blobs.push({ name: `relayed ${i} token`,
      bytes: load(relayed.token) });
    if (relayed.release !== null) blobs.push({ name: `relayed ${i} key release`,
      bytes: load(relayed.release) });
  });
  if (attestation.host.lastResponse !== null) {
    blobs.push({ name: 'last MSG_REPORT_RSP', bytes: hexBytes(attestation.host.lastResponse) });
  }
  return blobs;
}
