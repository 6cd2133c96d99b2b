import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { PageTable } from '../sim/page-table.ts';
import { createBatch } from '../traces/batch.ts';

describe('page table (translation)', () => {
  it('gives dense ids in order of first appearance and finds them again, across growth and rehash', () => {
    const pt = new PageTable(4);
    const keys: Array<[number, number, number]> = [];
    for (let i = 0; i < 5000; i++) keys.push([i % 3, (i * 7919) & 0xfffff, (i * 2654435761) >>> 0]);
    keys.forEach(([vm, hi, lo], i) => expect(pt.findOrInsert(vm, hi, lo)).toBe(i));
    keys.forEach(([vm, hi, lo], i) => expect(pt.find(vm, hi, lo)).toBe(i));
    expect(pt.pages).toBe(5000);
    expect(pt.find(0, 1, 1)).toBe(-1);
  });

  it('keeps full 64-bit page numbers and VMs apart', () => {
    const pt = new PageTable();
    const a = pt.findOrInsert(0, 0xfffff, 0xffffffff); // highest 4 KiB page of the 64-bit space
    const b = pt.findOrInsert(0, 0, 0xffffffff);
    const c = pt.findOrInsert(1, 0xfffff, 0xffffffff);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(pt.vpnHi(a)).toBe(0xfffff);
    expect(pt.vpnLo(a)).toBe(0xffffffff);
    expect(pt.vm(c)).toBe(1);
  });

  it('sized from a known footprint, it never grows up to it', () => {
    const pt = new PageTable(1000);
    const lo = pt.lo;
    for (let i = 0; i < 1000; i++) pt.findOrInsert(0, 0, i * 3);
    expect(pt.lo).toBe(lo); // same array: no reallocation
    expect(pt.lo.length).toBe(1000);
    // Slots: the smallest power of two with 1000 ≤ 70 % of it: 2048 → 8 KiB; keys 8 KB.
    expect(pt.bytes()).toBe(8 * 1000 + 4 * 2048);
  });

  it('translates a batch to the ids one-by-one lookups give, new pages numbered in stream order', () => {
    // Addresses → 4 KiB vpns 5, 9, 5, 7, 9, 11 (vm 0) and 5 (vm 1): ids 0, 1, 0, 2, 1, 3, 4.
    const pt = new PageTable(2);
    const b = createBatch(8);
    const vpns = [5, 9, 5, 7, 9, 11, 5];
    vpns.forEach((v, i) => {
      b.addrLo[i] = v * 4096 + 123;
      b.vm[i] = i === 6 ? 1 : 0;
    });
    const ids = new Int32Array(8);
    pt.translate(b, 7, 12, ids);
    expect(Array.from(ids.subarray(0, 7))).toEqual([0, 1, 0, 2, 1, 3, 4]);
    // Random batches, half old pages, half new, some above 4 GiB and in VMs ≥ 2048.
    const rng = seedrandom.alea('translate');
    const ref = new PageTable(2);
    ref.translate(b, 7, 12, ids);
    const big = createBatch(4096);
    const out = new Int32Array(4096);
    for (let rep = 0; rep < 5; rep++) {
      for (let i = 0; i < big.capacity; i++) {
        big.vm[i] = rng() < 0.1 ? 2048 + Math.floor(rng() * 2000) : Math.floor(rng() * 3);
        big.addrHi[i] = rng() < 0.3 ? Math.floor(rng() * 0xffffffff) : 0;
        big.addrLo[i] = Math.floor(rng() * (rep + 1) * 2000) * 4096;
      }
      pt.translate(big, big.capacity, 12, out);
      for (let i = 0; i < big.capacity; i++) {
        const hi = big.addrHi[i];
        expect(out[i]).toBe(ref.findOrInsert(big.vm[i], hi >>> 12, (big.addrLo[i] >>> 12) | (hi << 20)));
      }
    }
    expect(pt.pages).toBe(ref.pages);
  });
});
