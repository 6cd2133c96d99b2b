import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Host } from '../policies/policy.ts';

describe('Host.copyPageKeys into zeroed columns', () => {
  it('writes the non-zero keys only, and gives the same columns as a full copy into zeroed ones', async () => {
    // Pages 2^32 + 7 (high word 1, low 7), 0 (all zero) and 9, on one CPU: page ids 0, 1, 2.
    let host: Host | undefined;
    const engine = makeEngine({ perCpu: [[[2 ** 32 + 7, 'R'], [0, 'R'], [9, 'W']]], localPages: 16, cxlPages: 16, policy: probePolicy((h) => ((host = h), { place: () => 0 })) });
    await engine.run();
    const n = host!.pageCount();
    expect(n).toBe(3);
    // Columns filled with a marker: a full copy overwrites every entry; a zeroed copy leaves the
    // entries whose key is 0 alone (it may assume they are 0 already).
    const full = { vm: new Uint16Array(n).fill(0xabc), hi: new Uint32Array(n).fill(0xabc), lo: new Uint32Array(n).fill(0xabc) };
    host!.copyPageKeys(0, n, full.vm, full.hi, full.lo);
    expect([Array.from(full.vm), Array.from(full.hi), Array.from(full.lo)]).toEqual([[0, 0, 0], [1, 0, 0], [7, 0, 9]]);
    const z = { vm: new Uint16Array(n).fill(0xabc), hi: new Uint32Array(n).fill(0xabc), lo: new Uint32Array(n).fill(0xabc) };
    host!.copyPageKeys(0, n, z.vm, z.hi, z.lo, true);
    // Page 0: vm and high word written together (1 ≠ 0); page 1: nothing; page 2: the low word only.
    expect([Array.from(z.vm), Array.from(z.hi), Array.from(z.lo)]).toEqual([[0, 0xabc, 0xabc], [1, 0xabc, 0xabc], [7, 0xabc, 9]]);
    // Into really zeroed columns both copies agree.
    const a = { vm: new Uint16Array(n), hi: new Uint32Array(n), lo: new Uint32Array(n) };
    host!.copyPageKeys(0, n, a.vm, a.hi, a.lo, true);
    expect([Array.from(a.vm), Array.from(a.hi), Array.from(a.lo)]).toEqual([Array.from(full.vm), Array.from(full.hi), Array.from(full.lo)]);
  });
});
