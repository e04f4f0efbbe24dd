/**
 * Goal: I5, I6 and I7 of DESIGN.md "The invariant" over the world's actual state: the launch the
 * firmware measured, the report the guest read at boot and those it sent out to be attested (in
 * what the host relayed), the guest's memory as DRAM holds it, the host's disks, and the keys the
 * broker released.
 * Method: independent readers: a report's HOST_DATA and MEASUREMENT are read at their ABI offsets
 * (SEV-SNP ABI spec 56860, ATTESTATION_REPORT: MEASUREMENT 0x090..0x0C0, HOST_DATA 0x0C0..0x0E0)
 * from the relayed MAA request (base64url JSON, spec attestation-services.md); secrets are the
 * guest's scratch keys and the contents of its keyring slots (read from the private pages the
 * guest wrote); a release policy is evaluated here over the claims the *actual* guest supports
 * (its launch's HOST_DATA, MEASUREMENT, DEBUG bit, and whether the token service endorses that
 * measurement). Each check judges only what changed since `view.before` where it can (records are
 * shared between steps), and everything when there is no `before`.
 */
import type { Hex } from '../sim/kernel/bytes.js';
import type { Invariant, Verdict, WorldView } from './invariants.js';

const HOLDS: Verdict = Object.freeze({ kind: 'holds' });
const violated = (object: string, reason: string): Verdict =>
  Object.freeze({ kind: 'violated', object, reason });
const unknown = (reason: string): Verdict => Object.freeze({ kind: 'unknown', reason });
/** Long hex (IDs, hashes) shortened for messages. */
const short = (hex: string): string => (/^[0-9a-f]{17,}$/.test(hex) ? `${hex.slice(0, 12)}…` : hex);

/** ATTESTATION_REPORT offsets (SEV-SNP ABI 56860, table "ATTESTATION_REPORT structure"). */
const REPORT = Object.freeze({ bytes: 0x4a0, measurement: [0x090, 0x0c0],
  hostData: [0x0c0, 0x0e0] });
/** Guest POLICY.DEBUG (bit 19). */
const POLICY_DEBUG = 1n << 19n;

const fromBase64url = (text: string): Buffer => Buffer.from(text, 'base64url');

/** HOST_DATA and MEASUREMENT of the report inside a relayed MAA request body, or a reason. */
export function reportOfRequest(body: Uint8Array): Readonly<{ hostData: Hex;
  measurement: Hex }> | string {
  try {
    const request = JSON.parse(Buffer.from(body).toString('utf8')) as { report?: unknown };
    if (typeof request.report !== 'string') return 'the request carries no report';
    const bundle = JSON.parse(fromBase64url(request.report).toString('utf8')) as
      { SnpReport?: unknown };
    if (typeof bundle.SnpReport !== 'string') return 'the report bundle has no SnpReport';
    const report = fromBase64url(bundle.SnpReport);
    if (report.length !== REPORT.bytes) return `a report of ${report.length} bytes`;
    return { measurement: report.subarray(REPORT.measurement[0], REPORT.measurement[1])
      .toString('hex'), hostData: report.subarray(REPORT.hostData[0], REPORT.hostData[1])
      .toString('hex') };
  } catch (error) {
    return `the request does not decode: ${error instanceof Error ? error.message : 'error'}`;
  }
}

// ---------------------------------------------------------------------------------------------
// I5: attestation binding

function checkI5(view: WorldView): Verdict {
  const guest = view.guest;
  const before = view.before?.launch;
  if (before !== undefined && before.phase === 'running' && (before.hostData
    !== view.launch.hostData || before.measurement !== view.launch.measurement)) {
    return violated('launch', 'HOST_DATA or MEASUREMENT changed after LAUNCH_FINISH');
  }
  if (guest === null || guest.ownReport === null) return HOLDS;
  if (guest.ownReport.host_data !== view.launch.hostData
    || guest.ownReport.measurement !== view.launch.measurement) {
    return violated('guest report', 'the report the guest read at boot does not carry the '
      + 'launch\'s HOST_DATA and MEASUREMENT');
  }
  if (view.policyDigest !== null && view.policyDigest !== guest.ownReport.host_data) {
    return violated('policy', `the enforced policy (SHA-256 ${short(view.policyDigest)}) is not `
      + `the one HOST_DATA names (${short(guest.ownReport.host_data)})`);
  }
  const seen = new Set((view.before?.attestation?.host.relayed ?? []).map((r) => r.request));
  for (const relayed of view.attestation?.host.relayed ?? []) {
    if (seen.has(relayed.request)) continue;
    const body = view.load(relayed.request);
    if (body === undefined) {
      return unknown(`relayed request ${short(relayed.request)} is not stored`);
    }
    const report = reportOfRequest(body);
    if (typeof report === 'string') return unknown(report);
    if (report.hostData !== view.launch.hostData || report.measurement
      !== view.launch.measurement) {
      return violated(`attested report ${short(relayed.request)}`, 'the report the guest had '
        + 'attested does not carry the launch\'s HOST_DATA and MEASUREMENT');
    }
  }
  return HOLDS;
}

// ---------------------------------------------------------------------------------------------
// I6: confidentiality

/** How the memory model keys pages (GPA and SPA): 0x + lowercase hex. */
const pageKey = (address: number): string => `0x${address.toString(16)}`;

/** Secrets by the records they are read from (frozen, shared between steps). */
const secretsCache = new WeakMap<object, Readonly<{ memory: unknown; secrets: readonly Hex[] }>>();

/** The guest's secrets as hex: scratch keys and every keyring slot's contents. */
function secretsOf(view: WorldView): readonly Hex[] {
  const keys = view.guest?.secrets ?? EMPTY;
  const known = secretsCache.get(keys);
  if (known !== undefined && known.memory === view.memory) return known.secrets;
  const secrets = readSecrets(view);
  secretsCache.set(keys, { memory: view.memory, secrets });
  return secrets;
}

const EMPTY = Object.freeze({});

function readSecrets(view: WorldView): readonly Hex[] {
  const secrets = [...Object.values(view.guest?.secrets.scratchKeys ?? {})];
  const memory = view.memory;
  if (memory === null) return secrets;
  for (const slot of Object.values(memory.keyring.slots)) {
    const spa = memory.npt[pageKey(slot.gpa)];
    const page = spa === undefined ? undefined : memory.dram[pageKey(spa)];
    if (page === undefined || page.form !== 'private') continue;
    const data = page.data.padEnd(8192, '0');
    secrets.push(data.slice(2 * slot.offset, 2 * (slot.offset + slot.length)));
  }
  return secrets.filter((s) => s.length >= 32 && !/^0+$/.test(s));
}

/** Text forms a secret could leak in: hex, base64, base64url. */
function forms(secret: Hex): readonly string[] {
  const bytes = Buffer.from(secret, 'hex');
  return [secret, bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')];
}

function disksLeak(view: WorldView, secrets: readonly Hex[], full: boolean): Verdict {
  const encryptedLuns = new Set(Object.values(view.guest?.devices ?? {}).filter((d) =>
    d.kind === 'rw_scratch' && d.encrypted).map((d) => d.lun));
  const encryptedDisks = new Set(Object.entries(view.host.storage.attachments)
    .filter(([lun]) => encryptedLuns.has(Number(lun))).map(([, a]) => a.disk));
  const oldDisks = full ? {} : view.before?.host.storage.disks ?? {};
  for (const [name, disk] of Object.entries(view.host.storage.disks)) {
    const blocks = disk.kind === 'scratch' ? disk.sealed : disk.patches;
    const old = oldDisks[name];
    const oldBlocks = old === undefined ? {} : old.kind === 'scratch' ? old.sealed : old.patches;
    for (const [index, digest] of Object.entries(blocks)) {
      if (oldBlocks[index] === digest) continue;
      // A disk names each block by digest; its bytes are in the store (models/host/storage).
      const bytes = view.load(digest);
      if (bytes === undefined) return unknown(`disk ${name} block ${index} is not stored`);
      const block = Buffer.from(bytes).toString('hex');
      if (secrets.some((s) => block.includes(s))) {
        return violated(`disk ${name} block ${index}`, 'holds a secret of the guest');
      }
      if (encryptedDisks.has(name) && PLAINTEXT_MARKERS.some((m) => block.includes(m))) {
        return violated(`disk ${name} block ${index}`, 'holds plaintext the guest wrote to '
          + 'encrypted scratch');
      }
    }
  }
  return HOLDS;
}

/** Hex of text every plaintext config.json or init marker the guest writes contains. */
const PLAINTEXT_MARKERS = ['"args"', '"pid"'].map((t) => Buffer.from(t).toString('hex'));

function memoryLeaks(view: WorldView, secrets: readonly Hex[], full: boolean): Verdict {
  const memory = view.memory;
  if (memory === null || memory.debug) return HOLDS;   // DEBUG: the firmware decrypts for the host
  const old = full ? undefined : view.before?.memory?.dram;
  for (const [spa, page] of Object.entries(memory.dram)) {
    if (page.form !== 'plain' || old?.[spa] === page) continue;
    if (secrets.some((s) => page.data.includes(s))) {
      return violated(`memory spa ${spa}`, 'a page the host reads in the '
        + 'clear holds a secret of the guest');
    }
  }
  return HOLDS;
}

function relayedLeaks(view: WorldView, secrets: readonly Hex[], full: boolean): Verdict {
  const seen = new Set(full ? [] : (view.before?.attestation?.host.relayed ?? []).flatMap((r) =>
    [r.request, r.token, r.release]));
  const texts = secrets.flatMap(forms);
  for (const relayed of view.attestation?.host.relayed ?? []) {
    for (const digest of [relayed.request, relayed.token, relayed.release]) {
      if (digest === null || seen.has(digest)) continue;
      const text = Buffer.from(view.load(digest) ?? new Uint8Array()).toString('utf8');
      if (texts.some((t) => text.includes(t))) {
        return violated(`relayed message ${short(digest)}`, 'carries a secret of the guest');
      }
    }
  }
  return HOLDS;
}

function checkI6(view: WorldView): Verdict {
  if (view.guest === null) return HOLDS;
  const secrets = secretsOf(view);
  const known = view.before === null ? null : secretsOf(view.before);
  // A new secret is looked for everywhere; otherwise only what changed is read again.
  const full = known === null || secrets.some((s) => !known.includes(s));
  for (const verdict of [disksLeak(view, secrets, full), memoryLeaks(view, secrets, full),
    relayedLeaks(view, secrets, full)]) {
    if (verdict.kind !== 'holds') return verdict;
  }
  return HOLDS;
}

// ---------------------------------------------------------------------------------------------
// I7: key release

type ClaimValue = string | number | boolean;

/** The claims the actual guest supports (what an honest token would say about it). */
function trueClaims(view: WorldView): Readonly<Record<string, ClaimValue>> {
  const endorsed = view.launch.measurement !== null
    && (view.attestationConfig?.endorsed ?? []).includes(view.launch.measurement);
  return {
    'x-ms-attestation-type': 'sevsnpvm',
    'x-ms-compliance-status': endorsed ? 'azure-compliant-uvm' : 'not-compliant',
    'x-ms-sevsnpvm-hostdata': view.launch.hostData ?? '',
    'x-ms-sevsnpvm-launchmeasurement': view.launch.measurement ?? '',
    'x-ms-sevsnpvm-is-debuggable': ((view.launch.guestPolicy ?? 0n) & POLICY_DEBUG) !== 0n,
  };
}

function checkI7(view: WorldView): Verdict {
  const attestation = view.attestation;
  const config = view.attestationConfig;
  if (attestation === null || config === null) return HOLDS;
  const released = Object.keys(attestation.released);
  if (released.length === 0) return HOLDS;
  const key = attestation.broker.keys[config.keyName];
  if (key === undefined) return violated(`key ${config.keyName}`, 'released, but the broker '
    + 'holds no such key');
  const claims = trueClaims(view);
  const rules = key.releasePolicy.anyOf.filter((rule) => rule.authority === config.issuer);
  for (const rule of rules) {
    const results = rule.conditions.map((c) => (Object.hasOwn(claims, c.claim)
      ? claims[c.claim] === c.equals : undefined));
    if (results.includes(undefined)) return unknown(`a condition names a claim the checker `
      + 'cannot derive from the guest');
    const met = rule.combine === 'allOf' ? results.every(Boolean) : results.some(Boolean);
    if (met) return HOLDS;
  }
  return violated(`key ${config.keyName}`, `released to ${released.map(short).join(', ')}, `
    + 'but the guest that holds it does not satisfy the key\'s release policy (its launch\'s '
    + 'HOST_DATA, MEASUREMENT, DEBUG bit and endorsement)');
}

// ---------------------------------------------------------------------------------------------

export const I5_ATTESTATION_BINDING: Invariant = {
  id: 'I5',
  statement: 'every report the guest obtains (at boot, and each it has attested) carries the '
    + 'launch\'s HOST_DATA = SHA-256(enforced policy) and MEASUREMENT; neither changes after '
    + 'LAUNCH_FINISH',
  check: checkI5,
};

export const I6_CONFIDENTIALITY: Invariant = {
  id: 'I6',
  statement: 'no secret of a non-DEBUG guest (scratch keys, released keys) and no plaintext of '
    + 'encrypted scratch appears in what the host sees: its disks, memory it reads in the clear, '
    + 'the messages it relays',
  check: checkI6,
};

export const I7_KEY_RELEASE: Invariant = {
  id: 'I7',
  statement: 'the broker releases a key only to a guest whose actual launch (HOST_DATA, '
    + 'MEASUREMENT, DEBUG, endorsement) satisfies the key\'s release policy',
  check: checkI7,
};
