import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import { vmEngine, pagesMiB } from './vm-helpers.ts';
import { ST_READS, ST_WRITES } from '../sim/storage.ts';
import * as S from '../sim/stats.ts';

// Which evictions write to the storage device (sim/page-ops.ts evict). mm/vmscan.c
// shrink_folio_list calls pageout() only for a dirty folio; an anon folio not in the swap cache
// gets a slot (add_to_swap) and is marked dirty, so it is written; one still in the swap cache and
// clean (swapped in by a read, not written since: folio_test_swapcache) is freed with no I/O; a
// clean file folio is dropped. The guest dropping a clean page of its own cache writes nothing.

describe('evict writes only what has no valid copy on the device', () => {
  it('anon: first eviction writes (dirty or not), a clean page swapped back in by a read does not, a redirtied one does', async () => {
    // A (page 0) written, B (page 1) only read, at t ≈ 0. The policy evicts every resident page of
    // A and B every 1 ms. Accesses: A W, B R, then 1.5 ms later A R, 1.5 ms later A W, 1.5 ms
    // later C R (page 2, keeps the run going past the 4 ms timer).
    //   1 ms: evict A (dirty → write 1, its slot holds it), evict B (anon, no slot → write 2).
    //   ≈1.5 ms: A R: swap-in from the device (read 1), clean, still in the swap cache.
    //   2 ms: evict A: clean with a valid slot → no write.
    //   ≈3 ms: A W: swap-in (read 2), dirty.   4 ms: evict A → write 3.
    // The old rule (any anon eviction writes) gave 4 writes.
    const policy = probePolicy((h) => {
      h.every(1e6, 1);
      return {
        onTimer: () => {
          for (const p of [0, 1]) if (h.tierOf(p) >= 0) h.evict(p);
        },
      };
    });
    const acc: Access[] = [[0, 'W', 10], [1, 'R', 10], [0, 'R', 1.5e6], [0, 'W', 1.5e6], [2, 'R', 1.5e6]];
    const e = makeEngine({ perCpu: [acc], localPages: 8, cxlPages: 8, policy, sets: { 'storage.device': 'nvme' } });
    const res = await e.run();
    expect(res.counters[S.C_EVICTED]).toBe(4);
    expect(res.counters[S.C_SWAP_INS]).toBe(2);
    expect(e.storageStats[ST_READS]).toBe(2);
    expect(e.storageStats[ST_WRITES]).toBe(3);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('a guest dropping clean blocks of its page cache writes nothing to the device', async () => {
    // As vm-guest-cache.test.ts: a guest of 1 page reads blocks 100, 101, 100: the guest drops
    // 100 then 101, both clean (GC_DROPS 2). Three device reads, no write (the old rule wrote 2).
    const e = vmEngine({
      vms: 1,
      localPages: 10,
      cxlPages: 10,
      sets: { 'vm.guestCachePages': '100-1000', 'vm.guestOsBytesPer4KiB': 0, 'vm.memMiB': pagesMiB(1), 'storage.device': 'nvme' },
      perCpu: [[[0, 100, 'R'], [0, 101, 'R'], [0, 100, 'R']]],
    });
    const res = await e.run();
    expect(Array.from(res.vm!.final.cache!)).toEqual([1, 3, 2, 0]); // pages, misses, drops, write-backs
    expect(e.storageStats[ST_READS]).toBe(3);
    expect(e.storageStats[ST_WRITES]).toBe(0);
  });

  it('a guest writing back a dirty cache block writes it once', async () => {
    // Guest of 1 page: W 100 (dirty block), then R 101: the guest writes 100 back (GC_WRITEBACKS 1)
    // and drops nothing. Reads: 100's and 101's misses. Writes: 1.
    const e = vmEngine({
      vms: 1,
      localPages: 10,
      cxlPages: 10,
      sets: { 'vm.guestCachePages': '100-1000', 'vm.guestOsBytesPer4KiB': 0, 'vm.memMiB': pagesMiB(1), 'storage.device': 'nvme' },
      perCpu: [[[0, 100, 'W'], [0, 101, 'R']]],
    });
    const res = await e.run();
    expect(Array.from(res.vm!.final.cache!)).toEqual([1, 2, 0, 1]);
    expect(e.storageStats[ST_WRITES]).toBe(1);
  });
});
