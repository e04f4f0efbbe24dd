/**
 * Goal: leave the models' internal assertions out of the mutation score. `assert(cond, msg)`
 * (sim/kernel/assert.ts) states an invariant that holds on every reachable state; no test can see
 * it fire, so a mutant that weakens its condition or changes its message changes no behaviour
 * and can only survive. Stryker reports such mutants as Ignored, with the reason below, and they
 * count neither for nor against the score (a mutant that makes an assertion fire on a reachable
 * state is not one of them: it is the condition → `false` mutant, and the tests kill it).
 * Method: a Stryker ignorer plugin (PluginKind.Ignore) over Babel paths: the call
 * `assert(...)`, by the name models import from sim/kernel/assert.ts.
 */
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';
import type { Ignorer, NodePath } from '@stryker-mutator/api/ignore';

type CallPath = NodePath & Readonly<{
  isCallExpression(): boolean;
  node: Readonly<{ callee?: Readonly<{ type: string; name?: string }> }>;
}>;

export const REASON = 'an assert() of sim/kernel/assert.ts: an invariant no reachable state breaks';

const assertionIgnorer: Ignorer = {
  shouldIgnore(path: NodePath): string | undefined {
    const call = path as CallPath;
    if (!call.isCallExpression()) return undefined;
    const callee = call.node.callee;
    return callee?.type === 'Identifier' && callee.name === 'assert' ? REASON : undefined;
  },
};

export const assertionIgnorerPlugin = declareValuePlugin(PluginKind.Ignore, 'assertions',
  assertionIgnorer);
