/**
 * Goal: attestation and firmware attacks (issue 10 §3; issue 9's flow): a UVM launched with
 * another kernel, initrd or command line; another policy with a matching HOST_DATA; the DEBUG
 * policy bit; a report asked for at a more privileged VMPL; TCB rollback; a forged report and a
 * forged chain; a replayed report; a report from another VM; VLEK/VCEK confusion; a revoked
 * VCEK; a masked chip id; a wrong certificate table and wrong THIM data.
 * Method: where the world has the power, the world does it: the launch action with other
 * inputs, the attest step (token service → key broker), replay_report, thim, cert_table. The
 * key broker's release policy is the Confidential ACI one (HOST_DATA, MEASUREMENT, not
 * debuggable, azure-compliant-uvm); a relaxed run gives the key a release policy without the
 * named claims, or Azure's token-window freshness. Attacks below the world's powers (the
 * firmware's commands, a relying party's options) drive models/snp and models/verifier directly
 * on the world's own platform and guest context, and relax a documented verifier or platform
 * option.
 * Invariants: reports are produced by the firmware model (never hand-built), except where the
 * threat is a forgery, which then says whose key signed it.
 */
import { createHash } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { hexBytes, toHex } from '../../sim/kernel/bytes.js';
import { Rng } from '../../sim/kernel/rng.js';
import { SimError } from '../../sim/kernel/errors.js';
import { decodeCertTable, certKindOf } from '../../models/snp/cert-table.js';
import { buildCertificateSet, extendedReportCertTable } from '../../models/snp/certificates.js';
import {
  createPlatform, downloadFirmware, loadVlek, snpConfig,
} from '../../models/snp/platform.js';
import { encodeTcb, decodeTcb } from '../../models/snp/tcb-version.js';
import { buildCrl } from '../../models/snp/crl.js';
import { guestContextOf } from '../../models/snp/launch/launch-context.js';
import { securityPolicyMessage } from '../../models/host/shim.js';
import { allowed, blocked, defineScenario, type Outcome, type Scenario } from '../dsl.js';
import type { ScenarioContext, WorldDriver } from '../context.js';
import {
  appraise, evidenceCertificates, firmwareReport, reportDataOf, worldCertificates, worldReport,
  type RelyingParty,
} from '../evidence.js';
import { TREES, allowAllPolicy, standardWorkload } from '../workloads.js';
import { addImage } from './paper.js';

const ISSUE9 = 'issue 9 (attestation and key release)';
const ISSUE10 = 'issue 10 §3 attestation and firmware attacks';
const dropClaims = (what: string, ...claims: string[]) =>
  ({ kind: 'key-broker', what, change: { dropClaims: claims } }) as const;

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** Runs the plan through the attest step and returns that step's outcome. */
function attestOutcome(w: WorldDriver, detail: string): Outcome {
  w.runTo('attest');
  w.runPlanned();
  return w.outcome(detail);
}

function otherImage(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const launch = w.peek().action;
  assert(launch.kind === 'launch', 'the plan starts with the launch');
  const which = ctx.choice.pick(['kernel', 'initrd', 'cmdline'] as const);
  const blob = which === 'cmdline' ? '' : addImage(w, TREES.evil);
  const changed = which === 'cmdline' ? { cmdline: `${launch.launch.cmdline} init=/bin/sh` }
    : { [which]: blob };
  w.act({ kind: 'launch', launch: { ...launch.launch, ...changed } },
    `launch with another ${which}`);
  w.skip();
  return attestOutcome(w, `a UVM with another ${which} obtains the key`);
}

function otherPolicy(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const launch = w.peek().action;
  assert(launch.kind === 'launch', 'the plan starts with the launch');
  const permissive = new TextEncoder().encode(allowAllPolicy());
  const digest = toHex(sha256(permissive));
  w.act({ kind: 'launch', launch: { ...launch.launch, hostData: digest } },
    'launch with HOST_DATA = SHA-256(the host\'s allow-all policy)');
  w.skip();
  w.runPlanned();   // negotiate
  const set = w.peek().action;
  assert(set.kind === 'bridge', 'the SecurityPolicy frame');
  w.act({ kind: 'bridge', message: { ...securityPolicyMessage(permissive), id: set.message.id } },
    'send the allow-all policy (its hash matches HOST_DATA)');
  w.skip();
  return attestOutcome(w, 'containers under the host\'s policy obtain the key');
}


function debugGuest(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const launch = w.peek().action;
  assert(launch.kind === 'launch', 'the plan starts with the launch');
  w.act({ kind: 'launch', launch: { ...launch.launch, guestPolicy: '0xb0000' } },
    'launch with the DEBUG policy bit (0x30000 | bit 19)');
  w.skip();
  return attestOutcome(w, 'a debuggable guest obtains the key');
}

function replayedReport(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  w.runTo('attest');
  w.runPlanned();
  w.act({ kind: 'replay_report' }, 'the host presents the relayed report again');
  return w.outcome('the broker releases the key again for an old report');
}

/** The relying party of the benign world: its measurement and policy, VMPL 0, today's TCB. */
function benignRelyingParty(w: WorldDriver, nonce: string): RelyingParty {
  const own = w.world.state.guest!.ownReport!;
  return { anchors: 'parma-sim-test', product: 'Milan', measurement: own.measurement,
    hostData: w.world.config.policy, reportData: toHex(reportDataOf(nonce)), maxVmpl: 0 };
}

function launched(ctx: ScenarioContext): WorldDriver {
  const w = ctx.world({ workload: standardWorkload() });
  w.runTo('negotiate');
  return w;
}

function higherVmpl(ctx: ScenarioContext): Outcome {
  const w = launched(ctx);
  const nonce = 'rp-nonce-vmpl';
  const data = reportDataOf(nonce);
  const fw = w.world.state.firmware;
  const { contextOf } = evidenceContext(w);
  const asked = firmwareReport(ctx, fw, contextOf, { reportData: data, vmpl: 0, senderVmpl: 3 });
  ctx.note(asked.ok ? 'the firmware signed a VMPL-0 report for VMPL 3' : `the firmware refused `
    + `the VMPL-0 report: ${asked.reason}`);
  const own = asked.ok ? asked : firmwareReport(ctx, fw, contextOf, { reportData: data, vmpl: 3,
    senderVmpl: 3 });
  assert(own.ok, 'a VMPL-3 report for VMPL 3');
  return appraise(ctx, { report: own.report, certs: evidenceCertificates(
    worldCertificates(w.world)) }, benignRelyingParty(w, nonce));
}

function evidenceContext(w: WorldDriver) {
  return { contextOf: guestContextOf(w.world.state.launch) };
}

function tcbRollback(ctx: ScenarioContext): Outcome {
  const old = encodeTcb({ fmc: 0, bl: 2, tee: 0, snp: 8, ucode: 115 }, 'legacy');
  const committed = ctx.config.platform.neverCommitted === true
    ? { committedTcb: old, committedVersion: { major: 1, minor: 51, build: 3 } } : {};
  const platform = createPlatform({ rng: Rng.fromSeed(ctx.seed).fork('snp'), product: 'Milan',
    ...committed });
  ctx.emit('snp', 'platform', { current_tcb: platform.current_tcb, committed_tcb:
    platform.committed_tcb });
  ctx.emit('host', 'firmware_command', { command: 'SNP_DOWNLOAD_FIRMWARE_EX', tcb: old });
  try {
    const rolled = downloadFirmware(platform, { version: { major: 1, minor: 51, build: 3 },
      tcb: old });
    ctx.emit('snp', 'SNP_DOWNLOAD_FIRMWARE_EX', { status: 'SUCCESS',
      current_tcb: rolled.current_tcb });
    return allowed(`the platform runs the old firmware (SNP ${decodeTcb(rolled.current_tcb,
      'legacy').snp})`);
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    ctx.emit('snp', 'SNP_DOWNLOAD_FIRMWARE_EX', { status: 'refused', reason: error.message });
    return blocked('firmware', error.message, { code: 'BAD_SVN' });
  }
}

/** The world's report, with one field the host wants the relying party to believe. */
function forgedReport(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const launch = w.peek().action;
  assert(launch.kind === 'launch', 'the launch');
  const permissive = sha256(new TextEncoder().encode(allowAllPolicy()));
  w.act({ kind: 'launch', launch: { ...launch.launch, hostData: toHex(permissive) } },
    'launch under the host\'s allow-all policy');
  const nonce = 'rp-nonce-forged';
  const report = worldReport(ctx, w.world, { reportData: reportDataOf(nonce) });
  report.set(hexBytes(w.world.config.policy), 0xc0);   // HOST_DATA at 0xC0: the expected policy
  ctx.note('the host writes the expected policy\'s hash into HOST_DATA');
  return appraise(ctx, { report, certs: evidenceCertificates(worldCertificates(w.world)) },
    benignRelyingParty(w, nonce));
}

function forgedChain(ctx: ScenarioContext): Outcome {
  const w = launched(ctx);
  ctx.note('an SNP emulator with its own "AMD" CA (the parma-sim test chain) signs a report');
  const nonce = 'rp-nonce-chain';
  const report = worldReport(ctx, w.world, { reportData: reportDataOf(nonce) });
  return appraise(ctx, { report, certs: evidenceCertificates(worldCertificates(w.world)) },
    { ...benignRelyingParty(w, nonce), anchors: 'amd' });
}

function anotherVm(ctx: ScenarioContext): Outcome {
  const w = launched(ctx);
  const nonce = 'rp-nonce-vm1';
  const vm2 = ctx.world({ workload: { kind: 'policy', id: 'allow-all', policy: allowAllPolicy() },
    vm: 'vm2' });
  vm2.runTo('negotiate');
  ctx.note('the host forwards the relying party\'s nonce for VM1 to its own VM2');
  const report = worldReport(ctx, vm2.world, { reportData: reportDataOf(nonce) });
  return appraise(ctx, { report, certs: evidenceCertificates(worldCertificates(vm2.world)) },
    benignRelyingParty(w, nonce));
}

function vlekConfusion(ctx: ScenarioContext): Outcome {
  const w = launched(ctx);
  const platform = loadVlek(w.world.state.firmware.platform, 'CN=evil-cloud.example');
  const firmware = { ...w.world.state.firmware, platform };
  const nonce = 'rp-nonce-vlek';
  const answer = firmwareReport(ctx, firmware, evidenceContext(w).contextOf,
    { reportData: reportDataOf(nonce) });
  assert(answer.ok, 'a VLEK-signed report');
  const set = buildCertificateSet({ seed: w.world.config.seed, product: 'Milan', platform,
    signingKey: 'vlek' });
  ctx.note('the host loaded a VLEK: reports are signed by a key shared by every chip it runs');
  return appraise(ctx, { report: answer.report, certs: evidenceCertificates(set) },
    { ...benignRelyingParty(w, nonce), signingKey: 'vcek' });
}

function revokedVcek(ctx: ScenarioContext): Outcome {
  const w = launched(ctx);
  const nonce = 'rp-nonce-crl';
  const report = worldReport(ctx, w.world, { reportData: reportDataOf(nonce) });
  const crl = buildCrl({ rng: Rng.fromSeed(w.world.config.seed).fork('snp').fork('x509'),
    product: 'Milan', keyKind: 'vcek', revoked: [{ serial: 0x10001n }] });
  ctx.note('AMD revoked ASK-Milan (serial 0x10001): every VCEK it signed is revoked');
  return appraise(ctx, { report, certs: evidenceCertificates(worldCertificates(w.world)) },
    { ...benignRelyingParty(w, nonce), crl });
}

function maskedChipId(ctx: ScenarioContext): Outcome {
  const w = launched(ctx);
  const platform = snpConfig(w.world.state.firmware.platform, { maskChipId: true });
  const nonce = 'rp-nonce-mask';
  const answer = firmwareReport(ctx, { ...w.world.state.firmware, platform },
    evidenceContext(w).contextOf, { reportData: reportDataOf(nonce) });
  assert(answer.ok, 'a report with CHIP_ID masked');
  ctx.note('SNP_CONFIG MASK_CHIP_ID: the report\'s CHIP_ID is zero; any chip\'s VCEK "fits"');
  return appraise(ctx, { report: answer.report, certs: evidenceCertificates(
    worldCertificates(w.world)) }, benignRelyingParty(w, nonce));
}

/** The host serves other certificates (THIM or the cert table); the verifier gets them. */
function wrongCertificates(ctx: ScenarioContext, via: 'thim' | 'cert_table'): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const attest = w.runTo('attest');
  assert(attest.kind === 'attest', 'the attest step');
  w.act({ kind: via, source: 'other_chip' }, `the host's ${via} serves another chip's VCEK`);
  w.act({ ...attest, via }, 'the container attests with them', false);
  w.skip();
  const other = buildCertificateSet({ seed: `${w.world.config.seed}/other-chip`,
    product: 'Milan' });
  const table = decodeCertTable(extendedReportCertTable(other));
  const vcek = table.find((entry) => certKindOf(entry.guid) === 'vcek');
  assert(vcek !== undefined, 'the table holds a VCEK');
  const nonce = 'rp-nonce-certs';
  const report = worldReport(ctx, w.world, { reportData: reportDataOf(nonce) });
  return appraise(ctx, { report, certs: { ark: other.ark, ask: other.ask, vcek: vcek.data } },
    benignRelyingParty(w, nonce));
}

type Spec = Readonly<{ name: string; tags: readonly string[]; summary: string;
  refs: readonly string[]; expected: Scenario['expected']; defence: string;
  relax: NonNullable<Scenario['defence']>['relax']; body: (ctx: ScenarioContext) => Outcome }>;

function attack(spec: Spec): Scenario {
  return defineScenario({ name: spec.name, group: 'attestation', kind: 'attack',
    tags: spec.tags, threat: { summary: spec.summary, references: spec.refs },
    expected: spec.expected, defence: { summary: spec.defence, relax: spec.relax },
    body: spec.body });
}

const verifierBlock = (code: string, reason: string) =>
  ({ kind: 'blocked', layer: 'verifier', code, reason }) as const;

export const ATTESTATION_SCENARIOS: readonly Scenario[] = [
  attack({ name: 'other-uvm-image', tags: ['launch', 'measurement'], summary: 'the host '
    + 'launches the UVM with another kernel, initrd or command line',
  refs: [ISSUE10, 'spec/snp.md (c) launch digest'],
  expected: { kind: 'blocked', layer: 'key_broker', code: 'VERIFY_RELEASE_POLICY',
    reason: 'x-ms-sevsnpvm-launchmeasurement' },
  defence: 'the key\'s release policy names the endorsed MEASUREMENT',
  relax: [dropClaims('a release policy without the measurement',
    'x-ms-sevsnpvm-launchmeasurement', 'x-ms-compliance-status')], body: otherImage }),
  attack({ name: 'other-policy-host-data', tags: ['launch', 'host-data'], summary: 'the host '
    + 'launches with HOST_DATA = SHA-256 of its own allow-all policy and installs it',
  refs: [ISSUE10, 'Parma paper, inductive invariant (base case)'],
  expected: { kind: 'blocked', layer: 'key_broker', code: 'VERIFY_RELEASE_POLICY',
    reason: 'x-ms-sevsnpvm-hostdata' },
  defence: 'the key\'s release policy names HOST_DATA = SHA-256(the customer\'s policy)',
  relax: [dropClaims('a release policy without HOST_DATA', 'x-ms-sevsnpvm-hostdata')],
  body: otherPolicy }),
  attack({ name: 'debug-guest', tags: ['launch', 'debug'], summary: 'the host launches the '
    + 'UVM with the DEBUG policy bit, so it can decrypt guest memory',
  refs: [ISSUE10, ISSUE9, 'spec/snp.md (a) POLICY.DEBUG'],
  expected: { kind: 'blocked', layer: 'key_broker', code: 'VERIFY_RELEASE_POLICY',
    reason: 'x-ms-sevsnpvm-is-debuggable' },
  defence: 'the release policy requires is-debuggable false',
  relax: [dropClaims('a release policy without is-debuggable', 'x-ms-sevsnpvm-is-debuggable',
    'x-ms-compliance-status')], body: debugGuest }),
  attack({ name: 'higher-vmpl-report', tags: ['vmpl'], summary: 'code at VMPL 3 asks for a '
    + 'report at VMPL 0, then passes its own VMPL-3 report off as the guest\'s',
  refs: [ISSUE10, 'spec/snp.md (b) MSG_REPORT_REQ VMPL'],
  expected: verifierBlock('VERIFY_VMPL', 'vmpl 3 is above the maximum 0'),
  defence: 'the firmware refuses a more privileged VMPL; the relying party requires VMPL 0',
  relax: [{ kind: 'verifier', what: 'no maximum VMPL', change: {
    dropExpectations: ['maxVmpl'] } }], body: higherVmpl }),
  attack({ name: 'tcb-rollback', tags: ['firmware', 'tcb'], summary: 'the host installs an '
    + 'older, vulnerable SEV firmware', refs: [ISSUE10, 'spec/snp.md (a) COMMITTED_TCB'],
  expected: { kind: 'blocked', layer: 'firmware', code: 'BAD_SVN', reason: 'anti-rollback' },
  defence: 'SNP_DOWNLOAD_FIRMWARE_EX refuses images below COMMITTED_TCB',
  relax: [{ kind: 'platform', what: 'a platform that never ran SNP_COMMIT',
    change: { neverCommitted: true } }], body: tcbRollback }),
  attack({ name: 'forged-report', tags: ['forgery', 'host-data'], summary: 'the host runs its '
    + 'own policy and rewrites HOST_DATA in the report to the expected policy\'s hash',
  refs: [ISSUE10],
  expected: verifierBlock('VERIFY_BAD_SIGNATURE', 'report signature does not verify'),
  defence: 'the report is signed by the chip\'s VCEK over bytes 0x000..0x2A0',
  relax: [{ kind: 'verifier', what: 'a verifier that skips the report signature',
    change: { ignoreCodes: ['VERIFY_BAD_SIGNATURE'] } }], body: forgedReport }),
  attack({ name: 'forged-chain', tags: ['forgery', 'chain'], summary: 'an emulator with its '
    + 'own "AMD" root signs a report for a relying party that pins AMD\'s real roots',
  refs: [ISSUE10, 'spec/snp.md (e.4) chain'],
  expected: verifierBlock('VERIFY_UNTRUSTED_ROOT', 'is not the pinned Milan root'),
  defence: 'the ARK is pinned by public key; the evidence\'s own root is never trusted',
  relax: [{ kind: 'verifier', what: 'a verifier that trusts the evidence\'s ARK',
    change: { trustEvidenceRoot: true } }], body: forgedChain }),
  attack({ name: 'replayed-report', tags: ['freshness'], summary: 'the host presents the '
    + 'relayed report again to get the key released once more', refs: [ISSUE10, ISSUE9],
  expected: { kind: 'blocked', layer: 'key_broker', code: 'VERIFY_NONCE',
    reason: 'already used' },
  defence: 'the broker\'s nonce in the runtime data is good for one release',
  relax: [{ kind: 'key-broker', what: 'token-window freshness (Azure\'s own rule)',
    change: { tokenWindow: true } }], body: replayedReport }),
  attack({ name: 'report-from-another-vm', tags: ['freshness', 'host-data'], summary: 'the '
    + 'host forwards the relying party\'s nonce to its own VM and answers with that VM\'s '
    + 'report', refs: [ISSUE10],
  expected: verifierBlock('VERIFY_HOST_DATA', 'host_data is'),
  defence: 'the relying party checks HOST_DATA (and MEASUREMENT) besides the nonce',
  relax: [{ kind: 'verifier', what: 'a relying party that checks only the nonce',
    change: { dropExpectations: ['hostData'] } }], body: anotherVm }),
  attack({ name: 'vlek-vcek-confusion', tags: ['chain', 'vlek'], summary: 'the host loads a '
    + 'VLEK: reports are signed by a provider-wide key where the relying party wants a chip',
  refs: [ISSUE10, 'spec/attestation-services.md (VLEK and VCEK not told apart)'],
  expected: verifierBlock('VERIFY_SIGNING_KEY', 'policy requires a VCEK'),
  defence: 'KEY_INFO.SIGNING_KEY and the leaf\'s kind are checked against the policy',
  relax: [{ kind: 'verifier', what: 'either key accepted', change: { anySigningKey: true } }],
  body: vlekConfusion }),
  attack({ name: 'revoked-vcek', tags: ['chain', 'crl'], summary: 'the VCEK\'s issuer (ASK) '
    + 'is on AMD\'s CRL', refs: [ISSUE10, 'spec/snp.md (e) CRL'],
  expected: verifierBlock('VERIFY_REVOKED', 'is revoked'),
  defence: 'the ARK-signed CRL is checked', relax: [{ kind: 'verifier',
    what: 'no revocation check', change: { skipCrl: true } }], body: revokedVcek }),
  attack({ name: 'masked-chip-id', tags: ['chain', 'chip-id'], summary: 'the host masks the '
    + 'chip id, so the report cannot be tied to a chip', refs: [ISSUE10,
    'spec/snp.md (a) MASK_CHIP_ID'],
  expected: verifierBlock('VERIFY_HWID_MISMATCH', 'differs from the first 64 bytes of CHIP_ID'),
  defence: 'the VCEK\'s hwid must equal CHIP_ID', relax: [{ kind: 'verifier',
    what: 'no hwid binding', change: { ignoreCodes: ['VERIFY_HWID_MISMATCH'] } }],
  body: maskedChipId }),
  attack({ name: 'wrong-cert-table', tags: ['chain', 'cert-table'], summary: 'the host puts '
    + 'another chip\'s VCEK in the extended report\'s certificate table', refs: [ISSUE10,
    ISSUE9, 'spec/snp.md (b.4)'],
  expected: verifierBlock('VERIFY_HWID_MISMATCH', 'hwid'),
  defence: 'the VCEK is bound to the report (hwid, TCB) and must verify its signature',
  relax: [{ kind: 'verifier', what: 'a verifier that trusts the host\'s certificates',
    change: { ignoreCodes: ['VERIFY_HWID_MISMATCH', 'VERIFY_BAD_SIGNATURE'] } }],
  body: (ctx) => wrongCertificates(ctx, 'cert_table') }),
  attack({ name: 'wrong-thim-data', tags: ['chain', 'thim'], summary: 'the host\'s THIM '
    + 'endpoint serves another chip\'s VCEK', refs: [ISSUE10, ISSUE9,
    'spec/attestation-services.md (THIM)'],
  expected: verifierBlock('VERIFY_HWID_MISMATCH', 'hwid'),
  defence: 'the VCEK is bound to the report (hwid, TCB) and must verify its signature',
  relax: [{ kind: 'verifier', what: 'a verifier that trusts the host\'s certificates',
    change: { ignoreCodes: ['VERIFY_HWID_MISMATCH', 'VERIFY_BAD_SIGNATURE'] } }],
  body: (ctx) => wrongCertificates(ctx, 'thim') }),
];

