/**
 * Goal: a counterexample becomes a regression scenario in one step: the campaign's shrunk
 * sequence is written as a file that rebuilds the world (the policy's Rego text and its images
 * inline), replays every host action, checks the invariant after each step, and exits 1 with
 * the violation (0 when the invariant holds throughout, e.g. once the bug is fixed).
 * Method: plain JavaScript that is also valid TypeScript (no type annotations), importing the
 * package by name (`parma-sim`, `parma-sim/properties`), so `node file.mjs` inside the
 * repository and `tsx file.ts` both run it. The scenario DSL (scenarios/) will replace this
 * shape when it lands.
 */
import type { GeneratedPolicy } from './arbitraries.js';
import type { LabelledAction } from './hostile.js';
import { ROGUE_IMAGES } from './hostile.js';
import type { InvariantResult } from './invariants.js';

export type ScenarioInput = Readonly<{
  seed: number;
  path: string;
  failure: InvariantResult;
  trail: readonly LabelledAction[];
  policy: GeneratedPolicy;
  /** The seed the campaign's worlds were built with. */
  worldSeed: number;
  /** A mutant engine (properties/mutants.ts) the world ran, or null for the real one. */
  engineName: string | null;
  /** The campaign's options as the caller wrote them (runs, policies, ...), for the header. */
  campaign: string;
}>;

function describe(failure: InvariantResult): string {
  const v = failure.verdict;
  return v.kind === 'violated' ? `${failure.id} violated: ${v.object}: ${v.reason}`
    : `${failure.id} ${v.kind}${v.kind === 'unknown' ? `: ${v.reason}` : ''}`;
}

/** The scenario file's text (see the header). */
export function scenarioFile(input: ScenarioInput): string {
  const engine = input.engineName === null ? ''
    : `, engine: mutantEngine(${JSON.stringify(input.engineName)})`;
  const steps = input.trail.map((t) => `  // ${t.label.replace(/\n/g, ' ')}\n`
    + `  ${JSON.stringify(t.action)},`).join('\n');
  return `// Counterexample found by the parma-sim property campaign.
// ${describe(input.failure).replace(/\n/g, ' ')}
// Found by runCampaign(${input.campaign}) (fast-check seed ${input.seed}, path ${
  JSON.stringify(input.path)}), shrunk, then minimised to the actions the failure needs.
// Run inside the repository: node counterexample.mjs (exit 1: the invariant fails).
import { createWorld, step } from 'parma-sim';
import { firstFailure, mutantEngine, viewOf } from 'parma-sim/properties';

void mutantEngine;
const policy = ${JSON.stringify(input.policy.text)};
const images = ${JSON.stringify([...input.policy.images, ...ROGUE_IMAGES])};
const actions = [
${steps}
];

let world = createWorld({ seed: ${input.worldSeed}, policy, images${engine} });
let before = viewOf(world);
for (const [index, action] of actions.entries()) {
  world = step(world, action).world;
  const view = viewOf(world, { before });
  const failure = firstFailure(view);
  if (failure !== null) {
    const v = failure.verdict;
    console.log(\`step \${index}: \${failure.id} \${v.kind}: \${v.kind === 'violated'
      ? \`\${v.object}: \${v.reason}\` : v.kind === 'unknown' ? v.reason : ''}\`);
    process.exit(1);
  }
  before = view;
}
console.log(\`the invariant holds after all \${actions.length} steps\`);
`;
}
