/**
 * Goal: what one `parma-sim snp verify --test-roots` process costs beside node's own start-up
 * (issue 7 aims at no more than about 2×), and what verifyAttestationReport costs with a cold
 * memo (every parse, key import and signature check done) and a warm one.
 * Method: spawn `node -e 0` and the compiled CLI alternately, 15 times each, and report medians
 * (wall time; other processes on the 2 cores move both alike); then opsPerSecond in-process,
 * clearing the kernel memo before every call for the cold figure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearMemo } from '../../sim/kernel/memo.js';
import { buildCertificateSet, toPem } from '../../models/snp/certificates.js';
import { generateReport } from '../../models/snp/report-generator.js';
import { verifyAttestationReport } from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { CLI_JS } from '../support/paths.js';
import { opsPerSecond, type Bench } from './harness.js';

function medianSpawnMs(args: readonly string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
    times.push(performance.now() - start);
    if (result.status !== 0) throw new Error(`bench: ${args.join(' ')} exited ${result.status}`);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

export const benches: readonly Bench[] = [{
  name: 'verifier: one snp verify --test-roots process vs node start-up; cold and warm memo',
  run: async () => {
    const generated = generateReport({ seed: 1, product: 'Genoa' });
    const set = buildCertificateSet({ seed: 1, product: 'Genoa', platform: generated.platform });
    const dir = mkdtempSync(join(tmpdir(), 'parma-sim-bench-'));
    try {
      writeFileSync(join(dir, 'report.bin'), generated.report);
      writeFileSync(join(dir, 'vcek.der'), set.endorsementCert);
      writeFileSync(join(dir, 'cert_chain.pem'), toPem(set.ask) + toPem(set.ark));
      const verify = [CLI_JS, 'snp', 'verify', '--report', join(dir, 'report.bin'),
        '--certs', dir, '--test-roots'];
      const node: number[] = [];
      const cli: number[] = [];
      for (let round = 0; round < 3; round++) {
        node.push(medianSpawnMs(['-e', '0'], 5));
        cli.push(medianSpawnMs(verify, 5));
      }
      const nodeMs = node.sort((a, b) => a - b)[1]!;
      const cliMs = cli.sort((a, b) => a - b)[1]!;
      const certs = { ark: set.ark, ask: set.ask, vcek: set.endorsementCert };
      const options = { trustAnchors: parmaSimTestAnchors(), crl: set.crl };
      const check = (): void => {
        if (!verifyAttestationReport(generated.report, certs, options).ok) {
          throw new Error('bench: verdict not ok');
        }
      };
      const cold = opsPerSecond(() => { clearMemo(); check(); }, 1_000);
      const warm = opsPerSecond(check, 1_000);
      return [
        {
          name: 'snp verify --test-roots, one process (median)', value: cliMs, unit: 'ms',
          reference: { name: 'node -e 0', value: nodeMs, unit: 'ms' }, ratio: cliMs / nodeMs,
          note: 'ratio = ours / node start-up; aim <= 2',
        },
        { name: 'verifyAttestationReport/s, memo cleared each call', value: cold, unit: 'ops/s' },
        {
          name: 'verifyAttestationReport/s, warm memo', value: warm, unit: 'ops/s',
          note: 'same evidence again: parse, keys and signatures hit the memo',
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
}];
