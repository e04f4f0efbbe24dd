/**
 * Models: framework.rego signal_container_process and its error helper. Spec (c)
 * "signal_container_process".
 * Real counterpart: that rule; the bridge turns signal 0 into SIGKILL before asking.
 * Differs: nothing deliberate. HEAD's compatibility shim gives init processes of policies older
 *   than framework 0.4.1 signals 9 and 15 (rules/candidates.ts); v0.14.1 does not. v0.14.1's
 *   error helper does not look at isInitProcess: a signal some exec process (or the init) may
 *   receive is "allowed" there, and the denial then carries no error.
 * Invariants: the init process is judged by the container's `signals`, any other process by the
 *   `signals` of an exec_process with exactly its argv; matches[id] only narrows.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader } from '../input-shapes.js';
import { has, lookup } from '../metadata.js';
import type { PolicyContainer } from '../policy-model.js';
import { commandOk } from '../match/process.js';
import { allow, defineRule, deny, type RuleContext } from './rule-context.js';

type SignalRequest = Readonly<{
  containerID: string; signal: number; isInitProcess: boolean; argList: readonly string[];
}>;

function initMay(c: PolicyContainer, req: SignalRequest): boolean {
  return c.signals.includes(req.signal);
}

function execMay(ctx: RuleContext, c: PolicyContainer, req: SignalRequest): boolean {
  return c.exec_processes.some((p) => commandOk(p.command, req.argList, ctx.nullCommand)
    && p.signals.includes(req.signal));
}

export const signalContainerProcess = defineRule<SignalRequest>({
  parse: (input) => {
    const r = new InputReader('signal_container_process', input);
    return { containerID: r.str('containerID'), signal: r.int('signal'),
      isInitProcess: r.bool('isInitProcess'), argList: r.optStrList('argList') ?? [] };
  },
  decide: (ctx, req) => {
    if (!has(ctx.metadata.started, req.containerID)) return deny();
    const matches = lookup(ctx.metadata.matches, req.containerID) ?? [];
    const kept = matches.filter((c) => req.isInitProcess ? initMay(c, req)
      : execMay(ctx, c, req));
    if (kept.length === 0) return deny();
    assert(kept.length <= matches.length);
    return allow([{ name: 'matches', action: 'update', key: req.containerID, value: kept }]);
  },
  errors: (ctx, req) => {
    const out: string[] = [];
    if (!has(ctx.metadata.started, req.containerID)) out.push('container not started');
    const matches = lookup(ctx.metadata.matches, req.containerID) ?? [];
    const byKind = ctx.dialect.signalErrorByProcessKind;
    const allowed = matches.some((c) => byKind
      ? (req.isInitProcess ? initMay(c, req) : execMay(ctx, c, req))
      : initMay(c, req) || execMay(ctx, c, req));
    if (!allowed) out.push("target isn't allowed to receive the signal");
    return out;
  },
});
