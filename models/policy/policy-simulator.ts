/**
 * Models: hcsshim internal/tools/policyenginesimulator: replay a JSON list of `{name, input}`
 * enforcement-point calls against one policy, threading the metadata from call to call.
 * Real counterpart: policyenginesimulator with a commands.json (shared/testdata sample).
 * Differs: `load_fragment` runs both real calls (fragment_loaded false, then true with the
 *   fragment's data) from one command; the caller resolves the command's `local_path` to a
 *   FragmentDocument. Old traces are judged by HEAD semantics unless `dialect` says otherwise.
 * Invariants: one step per command, in order; the metadata threads from each decision to the
 *   next (a denial leaves it as it was, except for the Go-side metadata-operation errors the
 *   engine documents); the replay is bounded by MAX_COMMANDS.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { SecurityPolicy } from './policy-model.js';
import { initialMetadata, type PolicyMetadata } from './metadata.js';
import { evaluateEnforcementPoint, type Decision, type EngineOptions } from './engine.js';
import type { FragmentDocument } from './rules/fragment-document.js';

export const MAX_COMMANDS = 100_000;

export type SimulatorCommand = Readonly<{ name: string; input: unknown }>;

export type SimulatorStep = Readonly<{
  index: number;
  name: string;
  decision: Decision;
  /** load_fragment only: the first call (issuer/feed check before the module is loaded). */
  phase1?: Decision;
}>;

export type SimulatorOptions = EngineOptions & Readonly<{
  metadata?: PolicyMetadata;
  /** Resolves a load_fragment command's input (local_path) to the fragment's data. */
  resolveFragment?: (input: Readonly<Record<string, unknown>>, index: number) => FragmentDocument;
}>;

/** Parses the commands.json document: an array of `{name: string, input: object}`. */
export function parseSimulatorCommands(value: unknown): readonly SimulatorCommand[] {
  if (!Array.isArray(value)) {
    throw new SimError('POLICY_BAD_INPUT', { field: 'commands' },
      'commands must be a JSON array of {name, input}');
  }
  if (value.length > MAX_COMMANDS) {
    throw new SimError('SIM_LIMIT_EXCEEDED', { commands: value.length, max: MAX_COMMANDS });
  }
  return value.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new SimError('POLICY_BAD_INPUT', { field: `commands[${i}]` },
        `commands[${i}] must be an object {name, input}`);
    }
    const { name, input } = item as Record<string, unknown>;
    if (typeof name !== 'string') {
      throw new SimError('POLICY_BAD_INPUT', { field: `commands[${i}].name` },
        `commands[${i}].name must be a string`);
    }
    return { name, input: input ?? {} };
  });
}

export function simulatePolicy(
  policy: SecurityPolicy, commands: readonly SimulatorCommand[], options: SimulatorOptions = {},
): readonly SimulatorStep[] {
  assert(commands.length <= MAX_COMMANDS);
  let metadata = options.metadata ?? initialMetadata(options.dialect ?? 'head');
  const steps: SimulatorStep[] = [];
  for (let index = 0; index < commands.length; index++) {
    const { name, input } = commands[index]!;
    const step = name === 'load_fragment' ? fragmentStep(policy, metadata, input, index,
        options) : {
      index, name, decision: evaluateEnforcementPoint(policy, metadata, name, input, options),
    };
    assert(step.decision.allowed || step.decision.metadata === metadata
      || step.decision.framework_reasons?.length === 1,
    'only a Go-side error after the policy query leaves a denial\'s metadata changed');
    metadata = step.decision.metadata;
    steps.push(step);
  }
  assert(steps.length === commands.length);
  return steps;
}

function fragmentStep(
  policy: SecurityPolicy, metadata: PolicyMetadata, input: unknown, index: number,
    options: SimulatorOptions,
): SimulatorStep {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new SimError('POLICY_BAD_INPUT', { rule: 'load_fragment', field: 'input' },
      `commands[${index}].input must be an object`);
  }
  const fields = input as Record<string, unknown>;
  const { local_path: _path, fragment: given, ...header } = fields;
  const phase1 = evaluateEnforcementPoint(policy, metadata, 'load_fragment',
    { ...header, fragment_loaded: false }, options);
  if (!phase1.allowed) return { index, name: 'load_fragment', decision: phase1 };
  const fragment = given ?? options.resolveFragment?.(fields, index);
  if (fragment === undefined) {
    throw new SimError('POLICY_BAD_INPUT', { rule: 'load_fragment', field: 'local_path' },
      `commands[${index}]: no fragment data (give local_path or fragment)`);
  }
  const decision = evaluateEnforcementPoint(policy, metadata, 'load_fragment',
    { ...header, fragment_loaded: true, fragment }, options);
  return { index, name: 'load_fragment', decision, phase1 };
}
