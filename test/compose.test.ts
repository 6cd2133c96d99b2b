import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import { FAULT_FIRST_TOUCH } from '../policies/policy.ts';
import type { PolicyHooks } from '../policies/policy.ts';

// Pages 1, 2, 1, 3 on one CPU: first touches of page ids 0, 1, 2 (first-touch order), nothing else.
const TRACE: Array<[number, 'R' | 'W']> = [[1, 'R'], [2, 'W'], [1, 'R'], [3, 'R']];
const EXPECTED = [[0, FAULT_FIRST_TOUCH, 0], [1, FAULT_FIRST_TOUCH, 0], [2, FAULT_FIRST_TOUCH, 0]];

/** Hooks that log their faults through `this` (a method, not a closure): dispatch must keep the receiver. */
function logging(log: number[][], tag: string): PolicyHooks & { tag: string } {
  return {
    tag,
    onFault(page: number, kind: number, cpu: number) {
      log.push([page, kind, cpu]);
      expect(this.tag).toBe(tag);
    },
  } as PolicyHooks & { tag: string };
}

describe('policy composition (sim/compose.ts)', () => {
  it('delivers every fault to the one attached policy that has onFault, with its own receiver', async () => {
    const log: number[][] = [];
    // The main policy has no hooks; the --with mechanism is the only one with onFault.
    const e = makeEngine({ perCpu: [TRACE], policy: probePolicy(() => ({}), { name: 'main' }), localPages: 8, cxlPages: 8 });
    e.attachWith(probePolicy(() => logging(log, 'with'), { name: 'with' }), {});
    await e.run();
    expect(log).toEqual(EXPECTED);
  });

  it('delivers every fault to each policy with onFault, in attach order', async () => {
    const log: number[][] = [];
    const e = makeEngine({ perCpu: [TRACE], policy: probePolicy(() => logging(log, 'main'), { name: 'main' }), localPages: 8, cxlPages: 8 });
    e.attachWith(probePolicy(() => ({}), { name: 'silent' }), {});
    e.attachWith(probePolicy(() => logging(log, 'second'), { name: 'second' }), {});
    await e.run();
    // Each fault reaches main, then second, before the next access.
    expect(log).toEqual(EXPECTED.flatMap((f) => [f, f]));
  });
});
