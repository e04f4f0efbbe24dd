/**
 * Goal: the README's example of a new scenario (the section "Scenarios: writing one"), kept as
 * a real module so the catalog runs it and a test checks the README shows exactly this code.
 * Method: the benign Create of web with the CRI "privileged" annotation added.
 */
import { defineScenario } from '../dsl.js';
import { editCreate } from '../host-actions.js';
import { standardWorkload } from '../workloads.js';

/** The host creates web as a privileged container; its policy says allow_elevated: false. */
export const privilegedWeb = defineScenario({
  name: 'privileged-web', group: 'hardening', kind: 'attack', tags: ['oci', 'example'],
  threat: { summary: 'the host creates web privileged (all capabilities, devices, rw /sys)',
    references: ['hcsshim aee13c812', 'spec/policy.md (e)'] },
  expected: { kind: 'blocked', layer: 'policy', rule: 'create_container',
    reason: 'privileged escalation not allowed' },
  defence: { summary: 'create_container denies privileged containers unless allow_elevated',
    relax: [{ kind: 'allow-all-policy' }] },
  body: (ctx) => {
    const w = ctx.world({ workload: standardWorkload() });
    const create = w.runTo('create web');
    w.act(editCreate(create, (c) => {
      c.OciSpecification['annotations'] = { ...c.OciSpecification['annotations'] as object,
        'io.microsoft.virtualmachine.lcow.privileged': 'true' };
    }), 'create web privileged');
    return w.outcome('web runs privileged');
  },
});
