/**
 * Goal: what the server tests share: a live fake backend on port 0 that is always closed, the
 * openssl CLI as an outside judge, and report fields read straight from the ABI offsets (spec
 * snp.md a.1), not through our decoder, so a test does not check the code with itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeSnp, type FakeSnp, type RunningFakeSnp } from '../../sim/server.js';
import type { FakeSnpOptions } from '../../sim/server/config.js';


/** 2026-01-02T00:00:00Z: one day after the sim epoch, inside every fake certificate's validity. */
export const OPENSSL_AT = '1767312000';

/** Runs `body` against a fake listening on 127.0.0.1:0, then closes it whatever happens. */
export async function withServer<T>(options: FakeSnpOptions,
  body: (fake: FakeSnp, running: RunningFakeSnp) => Promise<T>): Promise<T> {
  const fake = createFakeSnp(options);
  const running = await fake.listen({ port: 0 });
  try {
    return await body(fake, running);
  } finally {
    await running.close();
  }
}

export function openssl(args: readonly string[], cwd: string): { code: number; out: string } {
  const result = spawnSync('openssl', [...args], { cwd, encoding: 'utf8' });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}

/** A temp dir with `files` written into it, removed after `body`. */
export async function inTempDir<T>(files: Readonly<Record<string, Uint8Array | string>>,
  body: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'parma-sim-server-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Report fields at their ABI offsets (spec snp.md a.1). */
export const OFFSET = Object.freeze({
  report_data: 0x50, reported_tcb: 0x180, cpuid_fam_id: 0x188, chip_id: 0x1a0,
});

export function reportBytesAt(report: Uint8Array, offset: number, length: number): Uint8Array {
  return report.slice(offset, offset + length);
}

/** REPORTED_TCB as the u64 the report stores little-endian at 0x180. */
export function reportedTcbOf(report: Uint8Array): bigint {
  return new DataView(report.buffer, report.byteOffset).getBigUint64(OFFSET.reported_tcb, true);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** PEM blocks of a text, in order, as DER. */
export function pemBlocks(text: string): Uint8Array[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)]
    .map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}
