/**
 * Models: framework.rego signal_container_process. Spec (c) "signal_container_process".
 * Real counterpart: that rule; the bridge turns signal 0 into SIGKILL before asking.
 * Differs: nothing deliberate. Policies with framework_version < 0.4.1 already carry 9 and 15 in
 *   every container's signals (the importer's compatibility shim).
 * Invariants: the init process is judged by the container's `signals`, any other process by the
 *   `signals` of an exec_process with exactly its argv; matches[id] only narrows.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader } from '../input-shapes.js';
import { has, lookup } from '../metadata.js';
import { commandOk } from '../match/process.js';
import { allow, deny, type RuleContext, type RuleResult } from './rule-context.js';

export function signalContainerProcess(ctx: RuleContext, input: unknown): RuleResult {
  const r = new InputReader('signal_container_process', input);
  const containerID = r.str('containerID');
  const signal = r.int('signal');
  const isInitProcess = r.bool('isInitProcess');
  const argList = r.optStrList('argList') ?? [];
  if (!has(ctx.metadata.started, containerID)) return deny(['container not started']);
  const matches = lookup(ctx.metadata.matches, containerID) ?? [];
  const kept = matches.filter((c) => isInitProcess
    ? c.signals.includes(signal)
    : c.exec_processes.some((p) => commandOk(p.command, argList) && p.signals.includes(signal)));
  if (kept.length === 0) return deny(["target isn't allowed to receive the signal"]);
  assert(kept.length <= matches.length);
  return allow([{ name: 'matches', action: 'update', key: containerID, value: kept }]);
}
