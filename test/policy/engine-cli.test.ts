/**
 * Goal: `policy eval` and `policy simulate` print the framework's own reason list as
 * `framework_reasons` beside parma-sim's richer `reasons` (one JSON decision per step), take
 * `--null-command framework|empty-argv` (the framework's reading by default), and refuse bad
 * option values as usage errors.
 * Method: a small Rego policy written the way az confcom writes one (a container whose command
 * is null), run through the CLI in-process; expected reason strings are framework.rego's.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runCli } from '../support/cli.js';

const SUITE = 'policy/engine-cli';
const LAYER = 'ab'.repeat(32);
const ID = 'cd'.repeat(32);

const POLICY = `package policy
api_version := "0.10.0"
framework_version := "0.2.3"
containers := [{"command": null, "env_rules": [{"pattern": "PATH=/bin", "strategy": "string",
  "required": true}], "layers": ["${LAYER}"], "mounts": [], "exec_processes": [], "signals": [],
  "working_dir": "/", "allow_elevated": false, "allow_stdio_access": true,
  "no_new_privileges": false, "seccomp_profile_sha256": "", "capabilities": null,
  "user": {"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [{"pattern": "",
  "strategy": "any"}], "umask": "0022"}}]
allow_environment_variable_dropping := false
mount_device := data.framework.mount_device
mount_overlay := data.framework.mount_overlay
create_container := data.framework.create_container
reason := {"errors": data.framework.errors}
`;

const UNPRIVILEGED = ['CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER',
  'CAP_FSETID', 'CAP_KILL', 'CAP_MKNOD', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP',
  'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];

const CREATE = {
  containerID: ID, argList: [], envList: ['PATH=/bin'], workingDir: '/',
  sandboxDir: `/run/gcs/c/${ID}/sandboxMounts`, hugePagesDir: `/run/gcs/c/${ID}/hugepages`,
  mounts: [], devices: [], privileged: false, noNewPrivileges: false,
  user: { id: '0', name: 'root' }, groups: [{ id: '0', name: 'root' }], umask: '0022',
  capabilities: { bounding: UNPRIVILEGED, effective: UNPRIVILEGED, inheritable: [],
    permitted: UNPRIVILEGED, ambient: [] },
  seccompProfileSHA256: '', isSandboxContainer: false,
};

const COMMANDS = [
  { name: 'mount_device', input: { target: '/run/mounts/scsi/m0', deviceHash: LAYER,
    mountPathRegex: '/run/mounts/scsi/m[0-9]+' } },
  { name: 'mount_overlay', input: { containerID: ID, layerPaths: ['/run/mounts/scsi/m0'],
    target: `/run/gcs/c/${ID}/rootfs` } },
  { name: 'create_container', input: CREATE },
];

function files(): Readonly<{ policy: string; commands: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'parma-engine-cli-'));
  writeFileSync(join(dir, 'policy.rego'), POLICY);
  writeFileSync(join(dir, 'commands.json'), JSON.stringify(COMMANDS));
  return { policy: join(dir, 'policy.rego'), commands: join(dir, 'commands.json'), dir };
}

type Line = { index: number; name: string; allowed: boolean; reasons: string[];
  framework_reasons: string[] | null };

async function simulate(extra: readonly string[]): Promise<Line[]> {
  const f = files();
  const r = await runCli(['policy', 'simulate', f.policy, '--commands', f.commands, ...extra]);
  assert.is(r.stderr, '');
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
}

test(`${SUITE}: policy simulate prints one decision per step with framework_reasons; a null `
    + 'command denies even the empty argv by default', async () => {
  const lines = await simulate([]);
  assert.equal(lines.map((l) => [l.name, l.allowed]), [['mount_device', true],
    ['mount_overlay', true], ['create_container', false]]);
  assert.equal(lines[2]!.framework_reasons, ['invalid command']);
  assert.ok(lines[2]!.reasons.includes('invalid command'));
  assert.ok(lines[2]!.reasons.some((r) => r.includes('command is null')));
  assert.equal(lines[0]!.framework_reasons, []);
});

test(`${SUITE}: --null-command empty-argv lets the empty argv through, in both dialects`,
    async () => {
  for (const dialect of ['head', 'v0.14.1']) {
    const lines = await simulate(['--null-command', 'empty-argv', '--dialect', dialect]);
    assert.ok(lines.every((l) => l.allowed), `${dialect}: ${JSON.stringify(lines[2])}`);
  }
});

test(`${SUITE}: policy eval prints framework_reasons and exits 10 on the denial`, async () => {
  const f = files();
  const input = join(f.dir, 'overlay.json');
  writeFileSync(input, JSON.stringify(COMMANDS[1]!.input));
  const r = await runCli(['policy', 'eval', f.policy, '--rule', 'mount_overlay', '--input', input]);
  assert.is(r.code, 10);
  const decision = JSON.parse(r.stdout) as Line;
  assert.equal(decision.framework_reasons, ['no matching containers for overlay']);
});

test(`${SUITE}: a bad --null-command or --dialect value is a usage error (exit 2)`, async () => {
  const f = files();
  for (const bad of [['--null-command', 'lenient'], ['--dialect', 'v0.13']]) {
    const r = await runCli(['policy', 'simulate', f.policy, '--commands', f.commands, ...bad]);
    assert.is(r.code, 2);
    assert.match(r.stderr, bad[0]!);
  }
});

test.run();
