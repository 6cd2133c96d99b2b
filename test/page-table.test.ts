import { describe, expect, it } from 'vitest';
import { PageTable, REC, R_FLAGS, TIER_SHIFT } from '../sim/page-table.ts';

describe('page table', () => {
  it('gives dense ids in first-touch order and finds them again, across growth and rehash', () => {
    const pt = new PageTable(4);
    const keys: Array<[number, number, number]> = [];
    for (let i = 0; i < 5000; i++) keys.push([i % 3, (i * 7919) & 0xfffff, (i * 2654435761) >>> 0]);
    keys.forEach(([vm, hi, lo], i) => expect(pt.findOrInsert(vm, hi, lo)).toBe(i));
    keys.forEach(([vm, hi, lo], i) => expect(pt.find(vm, hi, lo)).toBe(i));
    expect(pt.pages).toBe(5000);
    expect(pt.find(0, 1, 1)).toBe(-1);
  });

  it('keeps appended sub-page records out of the hash table, also across a rehash', () => {
    // Sub-pages carry 4 KiB vpns, a different unit from the table's keys: sub-page (0, 0, 5) must
    // never be found in place of page (0, 0, 5), before or after the table grows and rehashes.
    const pt = new PageTable(4);
    const a = pt.findOrInsert(0, 0, 5);
    const subs = [0, 1, 2].map((k) => pt.appendPage(0, 0, 5 + k));
    expect(subs).toEqual([1, 2, 3]);
    expect(pt.find(0, 0, 6)).toBe(-1);
    for (let i = 0; i < 100; i++) pt.findOrInsert(0, 1, i); // forces several rehashes
    expect(pt.find(0, 0, 5)).toBe(a);
    expect(pt.find(0, 0, 6)).toBe(-1);
    expect(pt.find(0, 0, 7)).toBe(-1);
    expect(pt.find(0, 1, 99)).toBe(103);
    expect(pt.vpnLo(subs[2])).toBe(7);
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

  it('counts frames with refcounts, reuses freed frames and keeps the tier copy in page records', () => {
    const pt = new PageTable();
    const p = pt.findOrInsert(0, 0, 1);
    const q = pt.findOrInsert(0, 0, 2);
    const f = pt.allocFrame(1);
    pt.map(p, f);
    pt.map(q, f); // shared frame: two pages, one frame
    expect(pt.frameRefs[f]).toBe(2);
    expect((pt.rec[q * REC + R_FLAGS] >>> TIER_SHIFT) & 0xff).toBe(1);
    pt.setFrameTier(f, 0);
    expect((pt.rec[p * REC + R_FLAGS] >>> TIER_SHIFT) & 0xff).toBe(0);
    expect((pt.rec[q * REC + R_FLAGS] >>> TIER_SHIFT) & 0xff).toBe(0);
    expect(pt.unmap(p)).toBe(-1); // still mapped by q
    expect(pt.unmap(q)).toBe(0); // freed, from tier 0
    expect(pt.liveFrames).toBe(0);
    expect(pt.allocFrame(1)).toBe(f); // the freed frame is reused
  });
});
