import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { makeEngine } from './helpers.ts';
import { createBatch } from '../traces/batch.ts';

// Engine.translate looks page ids up in two batched passes (PageTable.findBatch: home slots
// first, then keys; a speed trick); it must give exactly what PageTable.find gives. Page ids are
// checked against find for pages present (including ones displaced from their home slot), pages
// absent, VMs ≥ 2048 (negative packed keys) and addresses above 4 GiB.
describe('engine: batched translation', () => {
  it('gives the same page ids as PageTable.find, most of them from the home slot', () => {
    const e = makeEngine({ perCpu: [[[1, 'R', 10]]], localPages: 4, cxlPages: 4 });
    const pt = e.pt;
    const rng = seedrandom.alea('translate');
    const keys: Array<[number, number, number]> = [];
    for (let k = 0; k < 20000; k++) {
      const vm = k % 7 === 0 ? 2048 + (k % 2000) : k % 5;
      const hi = k % 3 === 0 ? Math.floor(rng() * 0xfffff) : 0;
      const lo = Math.floor(rng() * 0x100000) + 0x10000;
      keys.push([vm, hi, lo]);
      pt.findOrInsert(vm, hi, lo);
    }
    const b = createBatch(4096);
    const ids = new Int32Array(b.capacity);
    for (let rep = 0; rep < 5; rep++) {
      for (let i = 0; i < b.capacity; i++) {
        // Half present, half (most likely) absent; 4 KiB pages: vpn = addr >>> 12.
        const [vm, hi, lo] = rng() < 0.5 ? keys[Math.floor(rng() * keys.length)] : [Math.floor(rng() * 4096), Math.floor(rng() * 0xfffff), Math.floor(rng() * 0xffffffff) >>> 12];
        b.vm[i] = vm;
        b.addrHi[i] = (hi << 12) | (lo >>> 20);
        b.addrLo[i] = (lo << 12) >>> 0;
      }
      b.count = b.capacity;
      for (let from = 0; from < b.count; ) from = (e as unknown as { translate(b: unknown, ids: Int32Array, from: number): number }).translate(b, ids, from);
      for (let i = 0; i < b.count; i++) {
        const hi = b.addrHi[i];
        expect(ids[i]).toBe(pt.find(b.vm[i], hi >>> 12, (b.addrLo[i] >>> 12) | (hi << 20)));
      }
    }
    // Present pages only: the home-slot pass resolves most of them; only displaced ones go through
    // pt.find (were the batch to look in the wrong slots, nearly all would).
    let finds = 0;
    const find = pt.find.bind(pt);
    pt.find = (vm: number, hi: number, lo: number) => {
      finds++;
      return find(vm, hi, lo);
    };
    for (let i = 0; i < b.capacity; i++) {
      const [vm, hi, lo] = keys[Math.floor(rng() * keys.length)];
      b.vm[i] = vm;
      b.addrHi[i] = (hi << 12) | (lo >>> 20);
      b.addrLo[i] = (lo << 12) >>> 0;
    }
    for (let from = 0; from < b.count; ) from = (e as unknown as { translate(b: unknown, ids: Int32Array, from: number): number }).translate(b, ids, from);
    expect(finds / b.count).toBeLessThan(0.5);
    expect(finds).toBeGreaterThan(0); // some pages are displaced at this load
  });
});
