import { describe, expect, it } from 'vitest';
import { LlcCache, LlcFilterSource } from '../traces/llc-filter.ts';
import { OP_READ, OP_WRITE } from '../traces/batch.ts';
import type { AccessBatch, AccessSource } from '../traces/batch.ts';
import { drain } from './trace-helpers.ts';

/** A one-CPU source over a fixed list of (addrHi, addrLo, op, gap). */
function listSource(recs: Array<[number, number, number, number]>): AccessSource {
  let pos = 0;
  return {
    name: 'list', cpus: 1, vms: 1,
    footprintPages: () => undefined,
    read(_cpu: number, b: AccessBatch) {
      let n = 0;
      while (n < b.capacity && pos < recs.length) {
        const [hi, lo, op, gap] = recs[pos++];
        b.addrHi[n] = hi; b.addrLo[n] = lo; b.op[n] = op; b.gapNs[n] = gap; b.cpu[n] = 0; b.vm[n] = 0; b.content[n] = 0;
        n++;
      }
      b.count = n;
      return n;
    },
  };
}

// 2 sets × 2 ways × 64 B. Lines A = 0x000 and B = 0x080 and C = 0x100 map to set 0, D = 0x040 to set 1.
const SMALL = { sizeBytes: 256, ways: 2, lineBytes: 64, hitLatencyNs: 5 };
const A = 0x000, B = 0x080, C = 0x100, D = 0x040;

describe('LLC filter', () => {
  it('LRU within a set, write-back of dirty victims: a worked example', () => {
    const c = new LlcCache(SMALL);
    expect(c.sets).toBe(2);
    // [address, store?, expected result (0 hit, 1 miss, 2 miss with dirty victim), victim written back]
    const seq: Array<[number, boolean, number, number]> = [
      [A, false, 1, -1], // miss: set 0 = [A]
      [B, true, 1, -1], // miss: [B*, A]
      [A, false, 0, -1], // hit:  [A, B*]
      [C, false, 2, B], // miss, evicts LRU B* (dirty): write-back of B
      [D, false, 1, -1], // miss in set 1
      [A, true, 0, -1], // hit, A becomes dirty: [A*, C]
      [B, false, 1, -1], // miss, evicts C (clean): [B, A*]
      [C, false, 2, A], // miss, evicts A* (dirty): write-back of A
    ];
    for (const [addr, w, want, victim] of seq) {
      expect(c.access(0, 0, addr, w)).toBe(want);
      if (want === 2) expect([c.evictHi, c.evictLo]).toEqual([0, victim]);
    }
    expect(c.stats()).toEqual({ accesses: 8, hits: 2, misses: 6, writebacks: 2 });
  });

  it('passes on misses and write-backs only; hits fold their gap and hit latency into the next miss', async () => {
    const src = listSource([
      [0, A, OP_READ, 10], [0, B, OP_WRITE, 10], [0, A, OP_READ, 10], [0, C, OP_READ, 10],
      [0, D, OP_READ, 10], [0, A, OP_WRITE, 10], [0, B, OP_READ, 10], [0, C, OP_READ, 10],
    ]);
    const f = new LlcFilterSource(src, SMALL);
    const out = await drain(f);
    expect(out.map((r) => [r.addr, r.op, r.gap])).toEqual([
      ['0x0', 'R', 10],
      ['0x80', 'W', 10],
      ['0x80', 'W', 0], // write-back of B
      ['0x100', 'R', 25], // 10 (own gap) + 10 + 5 (the hit on A before it)
      ['0x40', 'R', 10],
      ['0x80', 'R', 25], // after the hit on A (10 + 5)
      ['0x0', 'W', 0], // write-back of A, dirty since its hit by a store
      ['0x100', 'R', 10],
    ]);
    expect(f.stats().hits / f.stats().accesses).toBe(0.25);
  });

  it('keeps the full 64-bit address: lines 4 GiB apart do not alias, write-backs come back exact', () => {
    const c = new LlcCache({ sizeBytes: 64, ways: 1, lineBytes: 64, hitLatencyNs: 0 });
    expect(c.access(0, 0x1f, 0x00000040, true)).toBe(1);
    expect(c.access(0, 0x00, 0x00000040, false)).toBe(2); // same set and low bits, different high word
    expect([c.evictHi, c.evictLo]).toEqual([0x1f, 0x40]);
    expect(c.access(1, 0x00, 0x00000040, false)).toBe(1); // another VM's line is another line
  });

  it('rejects impossible geometries with the key to change', () => {
    expect(() => new LlcCache({ sizeBytes: 100, ways: 4, lineBytes: 64, hitLatencyNs: 0 })).toThrow(/llc.sizeMiB is too small/);
    expect(() => new LlcCache({ sizeBytes: 1 << 20, ways: 4, lineBytes: 48, hitLatencyNs: 0 })).toThrow(/llc.lineBytes must be a power of two/);
  });

  it('a non-power-of-two set count indexes by modulo', () => {
    const c = new LlcCache({ sizeBytes: 3 * 64, ways: 1, lineBytes: 64, hitLatencyNs: 0 });
    expect(c.sets).toBe(3);
    c.access(0, 0, 0, false); // line 0 → set 0
    expect(c.access(0, 0, 3 * 64, false)).toBe(1); // line 3 → set 0, evicts line 0
    expect(c.access(0, 0, 64, false)).toBe(1); // line 1 → set 1
    expect(c.access(0, 0, 3 * 64, false)).toBe(0);
  });
});
