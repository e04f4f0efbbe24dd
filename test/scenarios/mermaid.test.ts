/**
 * Goal: `scenario run --format mermaid` gives Markdown whose diagrams parse — with Mermaid's own
 * parser (the library GitHub renders with), run offline in Node — for every scenario of the
 * catalog, and Mermaid text survives hostile reasons (quotes, semicolons, hashes, arrows).
 * Method: the Markdown of the whole catalog's results is split at its ```mermaid fences; each
 * diagram goes through `mermaid.parse`; a broken diagram is shown to fail the same parser.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mermaid from 'mermaid';
import { mermaidReport, mermaidText } from '../../scenarios/render.js';
import { SCENARIOS, resultOf } from './support.js';

function diagrams(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

async function parses(diagram: string): Promise<boolean> {
  try {
    return (await mermaid.parse(diagram)).diagramType === 'sequence';
  } catch {
    return false;
  }
}

test('scenarios/mermaid: every scenario\'s diagram parses as a Mermaid sequence diagram',
  async () => {
    const results = SCENARIOS.map((s) => resultOf(s, 1));
    const markdown = mermaidReport('1', results);
    const found = diagrams(markdown);
    assert.is(found.length, SCENARIOS.length);
    for (const [i, diagram] of found.entries()) {
      assert.ok(await parses(diagram), `${SCENARIOS[i]!.name}:\n${diagram.slice(0, 400)}`);
      assert.match(diagram, /participant H as Host/);
      assert.match(diagram, /-->?>/, 'at least one message');
    }
    assert.match(markdown, /\n## Summary\n\n\| # \| scenario \|/);
  });

test('scenarios/mermaid: the parser rejects a broken diagram (the check can fail)', async () => {
  assert.not.ok(await parses('sequenceDiagram\n    H->>: no target\n    participant\n'));
  assert.ok(await parses('sequenceDiagram\n    participant H as Host\n    H->>H: ok\n'));
});

test('scenarios/mermaid: hostile text becomes safe message text', async () => {
  const hostile = 'deny; "x" #1 <b>%% A->>B: end\nNote over';
  const text = mermaidText(hostile);
  assert.not.match(text, /[;#"<>%\n]/);
  assert.ok(await parses(`sequenceDiagram\n    participant H as Host\n    H->>H: ${text}\n`));
});

test.run();
