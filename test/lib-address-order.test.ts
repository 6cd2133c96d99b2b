import { describe, expect, it } from 'vitest';
import type { Host } from '../policies/policy.ts';
import { AddressOrder } from '../policies/lib/address-order.ts';

/** A host whose pages [0, count) have the given (vm, vpnHi, vpnLo) keys; `count` grows as a test touches pages. */
function keyHost(keys: Array<[number, number, number]>) {
  const h = {
    count: 0,
    pageCount: () => h.count,
    expectedPages: () => keys.length,
    copyPageKeys(from: number, to: number, vm: Uint16Array, hi: Uint32Array, lo: Uint32Array) {
      for (let p = from; p < to; p++) [vm[p], hi[p], lo[p]] = keys[p];
    },
  };
  return h;
}

/** Reference: page ids by (vm, hi, lo), equal keys by id (what the incremental merge must give). */
function byAddress(keys: Array<[number, number, number]>, n: number): number[] {
  const ids = Array.from({ length: n }, (_, i) => i);
  return ids.sort((a, b) => keys[a][0] - keys[b][0] || keys[a][1] - keys[b][1] || keys[a][2] - keys[b][2] || a - b);
}

function check(order: AddressOrder, keys: Array<[number, number, number]>, n: number): void {
  const want = byAddress(keys, n);
  expect(Array.from(order.order.subarray(0, n))).toEqual(want);
  for (let q = 0; q < n; q++) expect(order.rank[want[q]]).toBe(q);
}

describe('AddressOrder (pages in virtual-address order, kept incrementally)', () => {
  it('appends pages touched in address order, over several syncs', () => {
    const keys: Array<[number, number, number]> = Array.from({ length: 40 }, (_, i) => [0, 0, 100 + i]);
    const h = keyHost(keys);
    const a = new AddressOrder(h as unknown as Host);
    for (const n of [10, 10, 25, 40]) {
      h.count = n;
      a.sync();
      expect(a.n).toBe(n);
      check(a, keys, n);
    }
  });

  it('merges pages touched out of order into the pages already sorted, by vm, then high word, then low word', () => {
    // By hand: ids 0..5 with keys below; sorted: vm 0 first (lo 5 → id 2, then hi 1 → id 0), vm 1 (lo 3 → id 1, lo 7 → id 4), vm 2 (lo 1 → id 5, lo 9 → id 3).
    const keys: Array<[number, number, number]> = [[0, 1, 0], [1, 0, 3], [0, 0, 5], [2, 0, 9], [1, 0, 7], [2, 0, 1]];
    const h = keyHost(keys);
    const a = new AddressOrder(h as unknown as Host);
    h.count = 3;
    a.sync();
    expect(Array.from(a.order.subarray(0, 3))).toEqual([2, 0, 1]);
    h.count = 6;
    a.sync();
    expect(Array.from(a.order.subarray(0, 6))).toEqual([2, 0, 1, 4, 5, 3]);
    expect(Array.from(a.rank.subarray(0, 6))).toEqual([1, 2, 0, 5, 3, 4]);
  });

  it('sorts large unsorted batches stably (equal keys keep first-touch order), across syncs', () => {
    // A seeded LCG: keys drawn from a small range so that many are equal; batches of 1,000 and 3,000 pages.
    let x = 12345;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
    const keys: Array<[number, number, number]> = Array.from({ length: 4000 }, () => [next() % 3, next() % 2, next() % 50]);
    const h = keyHost(keys);
    const a = new AddressOrder(h as unknown as Host);
    h.count = 1000;
    a.sync();
    check(a, keys, 1000);
    h.count = 4000;
    a.sync();
    check(a, keys, 4000);
  });
});
