/**
 * Goal: the test oracle for real reports, read from ../shared/testdata/snp/SOURCES.md ("Facts
 * (parsed from the bytes)" lists and the reports table) rather than hand-copied.
 * Method: split each "### reports/<dir>" section's "- key: value; key: value" lines into named
 * facts; parse numbers, hex, TCB components and firmware versions. Throws on a line it cannot read,
 * so a changed SOURCES.md fails loudly instead of silently testing less.
 */
import { readFileSync } from 'node:fs';
import { shared } from '../support/requires.js';

export type TcbFact = Readonly<{ raw: bigint; parts: Readonly<Record<string, number>> }>;

export type ReportFacts = Readonly<{
  dir: string;
  product: string;
  signedBy: string;
  sha256: string;
  numbers: Readonly<Record<string, bigint>>;
  hex: Readonly<Record<string, string>>;
  tcb: Readonly<Record<string, TcbFact>>;
  tcbLayout: 'legacy' | 'turin';
  currentVersion: string;
  committedVersion: string;
  keyInfo: Readonly<Record<string, number>>;
  cpuid: readonly [number, number, number] | undefined;
  signatureR: bigint;
  signatureS: bigint;
}>;

const HEX_FACTS = ['family_id', 'image_id', 'measurement', 'host_data', 'report_data',
  'id_key_digest', 'author_key_digest', 'report_id', 'report_id_ma', 'chip_id'];
const NUMBER_FACTS = ['version', 'guest_svn', 'policy', 'vmpl', 'signature_algo', 'platform_info',
  'key_info', 'launch_mit_vector', 'current_mit_vector'];
const TCB_FACTS = ['current_tcb', 'reported_tcb', 'committed_tcb', 'launch_tcb'];

function parseTcb(value: string): TcbFact {
  const match = /^((?:[a-z]+=\d+\s*)+)\(raw u64 (0x[0-9a-f]+)\)$/.exec(value.trim());
  if (match === null) throw new Error(`SOURCES.md: cannot read TCB '${value}'`);
  const parts: Record<string, number> = {};
  for (const pair of match[1]!.trim().split(/\s+/)) {
    const [name, n] = pair.split('=');
    parts[name!] = Number(n);
  }
  return { raw: BigInt(match[2]!), parts };
}

function parseSection(
  dir: string, body: string, table: Readonly<Record<string, string[]>>,
): ReportFacts {
  const numbers: Record<string, bigint> = {};
  const hex: Record<string, string> = {};
  const tcb: Record<string, TcbFact> = {};
  const keyInfo: Record<string, number> = {};
  let sha256 = '';
  let tcbLayout: 'legacy' | 'turin' | undefined;
  let currentVersion = '';
  let committedVersion = '';
  let cpuid: [number, number, number] | undefined;
  let signatureR: bigint | undefined;
  let signatureS: bigint | undefined;
  const facts = body.split('Facts (parsed from the bytes):')[1]?.split('\nVerification')[0];
  if (facts === undefined) throw new Error(`SOURCES.md: no facts for ${dir}`);
  for (const line of facts.split('\n')) {
    if (!line.startsWith('- ')) continue;
    const text = line.slice(2);
    if (text.startsWith('vcek.der') || text.startsWith('vlek.der') || text.startsWith('ECDSA')) {
      continue;
    }
    if (text.startsWith('report.bin sha256:')) {
      sha256 = /`([0-9a-f]{64})`/.exec(text)![1]!; continue;
    }
    if (text.startsWith('TCB layout used:')) {
      tcbLayout = text.includes('turin') ? 'turin' : 'legacy'; continue;
    }
    if (text.startsWith('signature R:')) {
      signatureR = BigInt(/`(0x[0-9a-f]+)`/.exec(text)![1]!); continue;
    }
    if (text.startsWith('signature S:')) {
      signatureS = BigInt(/`(0x[0-9a-f]+)`/.exec(text)![1]!); continue;
    }
    if (text.startsWith('current fw version:')) {
      const m = /current fw version: ([\d.]+); committed: ([\d.]+)/.exec(text)!;
      currentVersion = m[1]!; committedVersion = m[2]!; continue;
    }
    if (text.startsWith('cpuid fam/mod/step:')) {
      const m = /(0x[0-9a-f]+)\/(0x[0-9a-f]+)\/(0x[0-9a-f]+)/.exec(text)!;
      cpuid = [Number(m[1]), Number(m[2]), Number(m[3])]; continue;
    }
    for (const segment of text.split('; ')) {
      const at = segment.indexOf(': ');
      if (at < 0) throw new Error(`SOURCES.md ${dir}: cannot read '${segment}'`);
      const key = segment.slice(0, at).trim();
      const value = segment.slice(at + 2).trim();
      if (HEX_FACTS.includes(key)) hex[key] = /^`([0-9a-f]*)`$/.exec(value)![1]!;
      else if (TCB_FACTS.includes(key)) tcb[key] = parseTcb(value);
      else if (NUMBER_FACTS.includes(key)) {
        numbers[key] = BigInt(value.split(' ')[0]!);
        if (key === 'key_info') {
          for (const m of value.matchAll(/([a-z_]+)=(\d+)/g)) keyInfo[m[1]!] = Number(m[2]);
        }
      } else throw new Error(`SOURCES.md ${dir}: unknown fact '${key}'`);
    }
  }
  const row = table[dir];
  if (row === undefined || tcbLayout === undefined || signatureR === undefined ||
      signatureS === undefined) {
    throw new Error(`SOURCES.md ${dir}: incomplete facts`);
  }
  return {
    dir, product: row[0]!, signedBy: row[2]!, sha256, numbers, hex, tcb, tcbLayout, currentVersion,
    committedVersion, keyInfo, cpuid, signatureR, signatureS,
  };
}

/** Every report's facts; only inside a sharedTest / sharedTests (it reads ../shared). */
export function loadReportFacts(): ReportFacts[] {
  const path = shared('snp', 'SOURCES.md');
  const text = readFileSync(path, 'utf8');
  const table: Record<string, string[]> = {};
  for (const m of text.matchAll(/^\| reports\/([a-z0-9-]+) \| (.+) \|$/gm)) {
    table[m[1]!] = m[2]!.split(' | ').map((s) => s.trim());
  }
  const sections = text.split(/^### reports\//m).slice(1);
  return sections.map((section) => {
    const dir = section.slice(0, section.indexOf('\n')).trim();
    return parseSection(dir, section, table);
  });
}
