// Mutation testing of the policy engine and the guest agent's enforcement and structural checks
// (issue 13). `npm run mutate` builds, then runs Stryker; see README "Mutation testing and fuzzing".
// The runner is our own (test/mutation/uvu-runner.ts): uvu has no Stryker runner. No checker
// plugin: @stryker-mutator/typescript-checker needs the TypeScript compiler API, which
// TypeScript 7 does not have; mutants that do not type-check are compiled anyway
// (disableTypeChecks adds // @ts-nocheck) and are killed or survive like any other.
import { resolve } from 'node:path';

// Tests in the sandbox (.stryker-tmp/sandbox-*) find ../shared through this variable.
process.env.PARMA_SIM_SHARED ??= resolve('..', 'shared');

export default {
  testRunner: 'uvu-compiled',
  plugins: ['./dist/test/mutation/uvu-runner.js'],
  mutate: [
    'models/policy/**/*.ts',
    'models/guest/agent*.ts',
    'models/guest/confidential-checks.ts',
  ],
  uvuCompiled: {
    testDir: 'dist/test',
    // PARMA_MUTATE_QUICK=1 leaves out the slow property files (the campaign, inductive,
    // compatibility): a first pass kills most mutants cheaply, then a full incremental pass
    // reruns only the survivors with them (README "Mutation testing").
    // The unit tests of the engine and the agent (not the CLI's: they test its rendering, and a
    // process they spawn reports no coverage), the hostile-input and denial properties, the
    // fuzz targets at their CI count, and the CI property campaign
    // (test/properties/campaign.test.ts: 2,000 sequences).
    // The world tests (not world-cli's, for the same reason) and the scenario catalog and runner
    // also test the agent: the world drives it through the whole launch, and every attack
    // scenario names the check of the agent that stops it and is replayed with that defence
    // relaxed, so a mutant that weakens a check lets an attack through there. About 13 s more.
    pattern: process.env.PARMA_MUTATE_QUICK === '1'
      ? '^(policy/(?!.*-cli\\.test)|guest/agent-|world/(?!world-cli\\.test)|'
        + 'scenarios/(catalog|runner)\\.test|robustness/|fuzz/|properties/invariants\\.test)'
      : '^(policy/(?!.*-cli\\.test)|guest/agent-|world/(?!world-cli\\.test)|'
        + 'scenarios/(catalog|runner)\\.test|robustness/|fuzz/|properties/(campaign|'
        + 'inductive|invariants|compatibility)\\.test)',
  },
  buildCommand: 'npx tsc -p tsconfig.json',
  // Stryker rewrites `extends`/`references` of this tsconfig through the TypeScript compiler
  // API, which TypeScript 7 lacks (it throws). Ours has neither, so point it at no file.
  tsconfigFile: 'no-tsconfig-rewrite.json',
  disableTypeChecks: '{models,sim,properties,scenarios,test}/**/*.ts',
  coverageAnalysis: 'perTest',
  // Mutants inside assert(...) are Ignored (test/mutation/ignore-assertions.ts says why).
  ignorers: ['assertions'],
  ignorePatterns: ['dist', 'reports', '.stryker-tmp', 'bin/*.log'],
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 95, low: 90, break: 90 },
  concurrency: 2,
  timeoutMS: 20000,
  timeoutFactor: 2,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
