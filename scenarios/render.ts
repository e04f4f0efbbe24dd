/**
 * Goal: the faces of a scenario run: a readable timeline (text), a sequence diagram of host →
 * agent → policy → firmware → verifier that renders on GitHub (Mermaid, in Markdown), the
 * summary table of expected against actual, and one stable JSON document for other tools.
 * Method: every renderer reads only the results (outcomes and trace events), never the world.
 * The timeline keeps one line per host action, per result, per policy decision and per
 * attestation event; guest bookkeeping events stay in the trace file. Mermaid text is reduced
 * to a safe character set (no `;`, `#`, `%`, `<`, `>`, quotes) so any reason renders.
 * Invariants: the JSON document has exactly the keys {seed, scenarios: [{name, tags, kind,
 * expected, actual, pass, trace_sha256}]}; the same results give the same bytes.
 */
import { assert } from '../sim/kernel/assert.js';
import { canonicalJson, type Json } from '../sim/kernel/canonical-json.js';
import type { TraceEvent } from '../sim/kernel/trace.js';
import { parseHostAction } from '../models/host/adversary.js';
import { describeAction } from '../sim/world.js';
import { describeOutcome, type Scenario } from './dsl.js';
import { describeRunOutcome, runOf, type ScenarioResult, type VariantResult } from './runner.js';

const VARIANT_TITLES: Readonly<Record<VariantResult['variant'], string>> = {
  main: 'the system as it is (hcsshim HEAD agent, strict relying party)',
  relaxed: 'with the defence relaxed',
  historical: 'against the v0.14.1-era agent',
};

function short(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

type Data = Readonly<Record<string, Json>>;
const dataOf = (event: TraceEvent): Data => (event.data !== null && typeof event.data === 'object'
  && !Array.isArray(event.data) ? event.data as Data : {});

function actionText(event: TraceEvent): string {
  try {
    return describeAction(parseHostAction(event.data));
  } catch {
    return '(malformed action)';
  }
}

/** Events the timeline shows besides actions and results (the rest stays in the trace file). */
const SHOWN = new Set(['SNP_LAUNCH_FINISH', 'MSG_REPORT_RSP', 'appraisal', 'token_issued',
  'token_refused', 'release_refused', 'key_released', 'rmp_fault', 'SNP_DBG_DECRYPT',
  'host_read_page', 'guest_halted', 'scan', 'unchecked_view', 'unchecked_read',
  'SNP_DOWNLOAD_FIRMWARE_EX', 'verity_info_trusted', 'metadata_rolled_back']);

function eventText(event: TraceEvent): string | null {
  const d = dataOf(event);
  if (event.source === 'policy') {
    if (d['allowed'] === true) return null;
    const reasons = Array.isArray(d['reasons']) ? d['reasons'] : [];
    return `policy ${event.type}: deny (${short(String(reasons[0] ?? d['error'] ?? ''), 90)})`;
  }
  if (event.source === 'sim' && event.type === 'note') return `note: ${String(d['text'])}`;
  if (event.source === 'sim' && event.type === 'world') {
    return `world ${String(d['vm'])}: policy ${String(d['policy']).slice(0, 16)}…, dialect `
      + `${String(d['dialect'])}${Array.isArray(d['checksOff']) && d['checksOff'].length > 0
        ? `, checks off: ${d['checksOff'].join(', ')}` : ''}`;
  }
  if (event.source === 'verifier' && event.type === 'appraisal') {
    const failures = Array.isArray(d['failures']) ? d['failures'] as Data[] : [];
    return `relying party: ${d['accepted'] === true ? 'accepted' : 'rejected'}${failures.length
      ? ` (${failures.map((f) => `${String(f['code'])}${f['counted'] === false ? ' ignored'
        : ''}`).join(', ')})` : ''}`;
  }
  if (!SHOWN.has(event.type)) return null;
  if (event.type === 'SNP_LAUNCH_FINISH') {
    return `${event.source} SNP_LAUNCH_FINISH: measurement ${String(d['measurement'])
      .slice(0, 16)}…, guest policy ${String(d['guest_policy'])}`;
  }
  const { measurement, ...rest } = d;
  const body = measurement === undefined ? rest : { measurement: `${String(measurement)
    .slice(0, 16)}…`, ...rest };
  return `${event.source} ${event.type} ${short(canonicalJson(body), 100)}`;
}

const LINE_MAX = 150;

/**
 * The timeline of one run: each host action (with the step's note) and its result, and the
 * events worth reading. With `fromHostile`, planned benign steps before the scenario's first
 * own step are left out (the proof runs repeat the main run's prefix).
 */
export function timelineLines(events: readonly TraceEvent[], fromHostile = false): string[] {
  const lines: string[] = [];
  let pending: string | null = null;
  let step: Readonly<{ note: string; planned: boolean }> = { note: '', planned: true };
  let started = !fromHostile;
  const push = (line: string): void => { if (started) lines.push(short(line, LINE_MAX)); };
  for (const event of events) {
    const d = dataOf(event);
    const at = String(event.tick).padStart(4);
    if (event.source === 'sim' && event.type === 'step') {
      step = { note: String(d['note']), planned: d['planned'] === true };
      started ||= !step.planned;
    } else if (event.source === 'host' && event.type === 'action') {
      const described = actionText(event);
      pending = `${at}  ${step.planned ? '' : '! '}${step.note}`
        + `${described === step.note || event.data === null ? '' : `  [${described}]`}`;
    } else if (event.source === 'sim' && event.type === 'result') {
      const verdict = d['outcome'] === 'ok' ? 'ok' : `REFUSED by ${String(d['stoppedBy'])}`;
      push(pending === null ? `        -> ${verdict}` : `${pending}  -> ${verdict}`);
      if (d['outcome'] !== 'ok') push(`        ${String(d['reason'])}`);
      pending = null;
    } else {
      const text = eventText(event);
      if (text === null) continue;
      if (pending !== null) push(pending);
      pending = null;
      push(`${at}      ${text}`);
    }
  }
  assert(lines.length <= 2 * events.length, 'a timeline is never much longer than the trace');
  return lines;
}

function runTimeline(run: VariantResult): string[] {
  return [`-- ${run.variant}: ${VARIANT_TITLES[run.variant]}`,
    ...timelineLines(run.events, run.variant !== 'main'),
    `   => ${describeRunOutcome(run.outcome)} ${run.asDeclared ? '(as declared)'
      : '(NOT as declared)'}`];
}

function header(s: Scenario): string[] {
  const lines = [`== ${s.name}  [${s.group}, ${s.kind}]  tags: ${s.tags.join(', ')}`,
    `   threat:   ${s.threat.summary}`, `   source:   ${s.threat.references.join('; ')}`,
    `   expected: ${describeOutcome(s.expected)}`];
  if (s.defence !== null) {
    lines.push(`   defence:  ${s.defence.summary}`);
    lines.push(`   relaxed:  ${s.defence.relax.map((r) => relaxText(r)).join(' + ')}`);
  }
  if (s.history !== null) lines.push(`   history:  hcsshim ${s.history.fix}; before it: `
    + `${describeOutcome(s.history.expected)}`);
  return lines;
}

function relaxText(r: NonNullable<Scenario['defence']>['relax'][number]): string {
  switch (r.kind) {
    case 'allow-all-policy': return 'an allow-all policy';
    case 'policy-flags': return `policy flags ${canonicalJson(r.flags)}`;
    case 'agent-check': return `agent check ${r.check} off`;
    case 'launch': return `${r.what} (guest policy ${r.guestPolicy})`;
    case 'verifier': case 'platform': case 'key-broker': case 'unchecked-reads': return r.what;
  }
}

/** The readable timeline of one scenario's runs. */
export function textReport(result: ScenarioResult): string {
  const lines = [...header(result.scenario)];
  for (const run of result.runs) lines.push(...runTimeline(run));
  lines.push(`   ${result.pass ? 'PASS' : 'FAIL'}  trace sha256 ${result.traceSha256}`, '');
  return lines.join('\n');
}

function cell(run: VariantResult | undefined): string {
  if (run === undefined) return '-';
  const o = run.outcome;
  const text = o.kind === 'allowed' ? 'allowed' : o.kind === 'error' ? 'error'
    : `blocked: ${o.layer}`;
  return run.asDeclared ? text : `${text} (!)`;
}

/** The summary rows: name, group, expected, actual, relaxed, v0.14.1, pass. */
export function summaryRows(results: readonly ScenarioResult[]): string[][] {
  return results.map((r, i) => {
    const e = r.scenario.expected;
    return [String(i + 1), r.scenario.name, r.scenario.group,
      e.kind === 'allowed' ? 'allowed' : `blocked: ${e.layer}`, cell(runOf(r, 'main')),
      cell(runOf(r, 'relaxed')), cell(runOf(r, 'historical')), r.pass ? 'pass' : 'FAIL'];
  });
}

const SUMMARY_HEADER = ['#', 'scenario', 'group', 'expected', 'actual', 'relaxed', 'v0.14.1',
  'verdict'];

/** The summary as an aligned text table. */
export function summaryTable(results: readonly ScenarioResult[]): string {
  const rows = summaryRows(results);
  const widths = SUMMARY_HEADER.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) => cells.map((x, c) => x.padEnd(widths[c]!)).join('  ')
    .trimEnd();
  const failed = results.filter((r) => !r.pass).length;
  return [line(SUMMARY_HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line),
    '', `${results.length - failed} as expected, ${failed} not`].join('\n') + '\n';
}

/** The one stable JSON document of a run. */
export function jsonReport(seed: string, results: readonly ScenarioResult[]): string {
  const doc = { seed, scenarios: results.map((r) => ({
    name: r.scenario.name, tags: [...r.scenario.tags], kind: r.scenario.kind,
    expected: describeOutcome(r.scenario.expected),
    actual: describeRunOutcome(runOf(r, 'main')!.outcome), pass: r.pass,
    trace_sha256: r.traceSha256 })) };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Mermaid

const PARTICIPANTS = [['H', 'Host'], ['A', 'Agent'], ['P', 'Policy'], ['F', 'Firmware'],
  ['V', 'Verifier']] as const;

/** Text that any Mermaid message or note can hold. */
export function mermaidText(text: string, max = 100): string {
  const safe = text.replace(/[^A-Za-z0-9 .,_/=()[\]+*@!?:'-]+/g, ' ').replace(/\s+/g, ' ')
    .trim();
  return short(safe.length === 0 ? '-' : safe, max).replace(/…$/, '...');
}

function resultArrow(event: TraceEvent, lastAction: string): string {
  const d = dataOf(event);
  const from = lastAction === 'launch' ? 'F'
    : ['attest', 'replay_report', 'replay_token'].includes(lastAction) ? 'V'
      : lastAction === 'bridge' ? 'A' : 'F';
  const text = d['outcome'] === 'ok' ? 'ok'
    : `refused by ${String(d['stoppedBy'])}: ${String(d['reason'])}`;
  return `    ${from}-->>H: ${mermaidText(text)}`;
}

function hostArrow(event: TraceEvent): Readonly<{ line: string; kind: string }> {
  let kind = 'unknown';
  try {
    kind = parseHostAction(event.data).kind;
  } catch {
    return { line: '    Note over H: malformed action', kind };
  }
  const text = mermaidText(actionText(event));
  if (kind === 'bridge') return { line: `    H->>A: ${text}`, kind };
  if (kind === 'launch') return { line: `    H->>F: ${text}`, kind };
  if (['attest', 'replay_report', 'replay_token'].includes(kind)) {
    return { line: `    H->>V: ${text}`, kind };
  }
  if (['read_page', 'write_page', 'remap'].includes(kind)) {
    return { line: `    H->>F: ${text}`, kind };
  }
  return { line: `    Note over H: ${text}`, kind };
}

function eventLines(event: TraceEvent, lastAction: string, inStep: boolean): string[] {
  const d = dataOf(event);
  if (event.source === 'policy') {
    const reasons = Array.isArray(d['reasons']) ? d['reasons'] : [];
    const verdict = d['allowed'] === true ? 'allow' : `deny: ${String(reasons[0] ?? '')}`;
    return [`    A->>P: ${mermaidText(event.type)}`, `    P-->>A: ${mermaidText(verdict)}`];
  }
  if (event.source === 'snp' && !inStep && event.type === 'MSG_REPORT_RSP') {
    return ['    A->>F: MSG_REPORT_REQ', `    F-->>A: ${mermaidText(`MSG_REPORT_RSP ${String(
      d['status'])}`)}`];
  }
  if (event.source === 'snp' || event.source === 'hypervisor') {
    const to = lastAction === 'launch' || !inStep ? 'H' : 'A';
    return [`    F-->>${to}: ${mermaidText(event.type)}`];
  }
  if (event.source === 'host') {
    return event.type === 'firmware_command'
      ? [`    H->>F: ${mermaidText(String(d['command']))}`]
      : [`    Note over H: ${mermaidText(`${event.type} ${canonicalJson(event.data)}`)}`];
  }
  if (event.source === 'verifier' && event.type === 'appraisal') {
    const failures = Array.isArray(d['failures']) ? d['failures'] as Data[] : [];
    const codes = failures.filter((f) => f['counted'] !== false).map((f) => String(f['code']));
    return ['    H->>V: evidence (report and certificates)', `    V-->>H: ${mermaidText(
      d['accepted'] === true ? 'accepted' : `rejected ${codes.join(', ')}`)}`];
  }
  if (event.source === 'verifier') return [`    V-->>H: ${mermaidText(event.type)}`];
  if (event.source === 'sim' && event.type === 'note') {
    return [`    Note over H: ${mermaidText(String(d['text']))}`];
  }
  return [];
}

/** A Mermaid sequence diagram of one run. */
export function mermaidDiagram(run: VariantResult, title: string): string {
  // The title is a %% comment: Mermaid's `title` goes through DOMPurify, which needs a browser
  // (the Markdown heading above each diagram names it anyway).
  const lines = ['sequenceDiagram', `    %% ${mermaidText(title, 120)}`,
    ...PARTICIPANTS.map(([id, name]) => `    participant ${id} as ${name}`)];
  let lastAction = '';
  let inStep = false;
  for (const event of run.events) {
    if (event.source === 'host' && event.type === 'action') {
      const arrow = hostArrow(event);
      lastAction = arrow.kind;
      inStep = true;
      lines.push(arrow.line);
    } else if (event.source === 'sim' && event.type === 'result') {
      lines.push(resultArrow(event, lastAction));
      inStep = false;
    } else {
      lines.push(...eventLines(event, lastAction, inStep));
    }
  }
  lines.push(`    Note over H,V: ${mermaidText(describeRunOutcome(run.outcome), 140)}`);
  assert(lines.length > PARTICIPANTS.length + 2, 'a diagram has events');
  return `${lines.join('\n')}\n`;
}

/** Markdown: per scenario a heading, its verdict and the main run's diagram; then the table. */
export function mermaidReport(seed: string, results: readonly ScenarioResult[]): string {
  const parts = [`# parma-sim scenarios (seed ${seed})`, ''];
  for (const r of results) {
    const main = runOf(r, 'main')!;
    parts.push(`## ${r.scenario.name}`, '',
      `${r.scenario.threat.summary}. Expected: ${describeOutcome(r.scenario.expected)}. `
      + `Actual: ${describeRunOutcome(main.outcome)}. ${r.pass ? 'PASS' : 'FAIL'}.`, '',
      '```mermaid', mermaidDiagram(main, r.scenario.name).trimEnd(), '```', '');
  }
  const rows = summaryRows(results);
  parts.push('## Summary', '', `| ${SUMMARY_HEADER.join(' | ')} |`,
    `|${SUMMARY_HEADER.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map((c) => c.replace(/\|/g, '/')).join(' | ')} |`), '');
  return parts.join('\n');
}
