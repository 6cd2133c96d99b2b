import { describe, expect, it } from 'vitest';
import { computeWatermarks, defaultMinFreeKbytes, demoteWatermark } from '../policies/lib/watermarks.ts';

describe('watermarks (mm/page_alloc.c __setup_per_zone_wmarks)', () => {
  it('computes min/low/high/promo for a 16 GiB DRAM + 64 GiB CXL machine by hand', () => {
    // Pages of 4 KiB: DRAM 16 GiB = 4,194,304 pages, CXL 64 GiB = 16,777,216 pages, 20,971,520 in all.
    // lowmem = 80 GiB = 83,886,080 kB; √(16 · 83,886,080) = √1,342,177,280: 36,635² = 1,342,123,225
    // ≤ it < 36,636² = 1,342,196,496, so int_sqrt = 36,635 kB (inside [128, 262144]).
    // pages_min = ⌊36,635 / 4⌋ = 9,158 pages.
    // DRAM min = ⌊9,158 · 4,194,304 / 20,971,520⌋ = ⌊9,158 / 5⌋ = ⌊1,831.6⌋ = 1,831.
    // tmp = max(⌊1,831 / 4⌋ = 457, ⌊4,194,304 · 10 / 10000⌋ = 4,194) = 4,194.
    // low = 1,831 + 4,194 = 6,025; high = 10,219; promo = 14,413.
    // CXL min = ⌊9,158 · 16,777,216 / 20,971,520⌋ = ⌊9,158 · 0.8⌋ = ⌊7,326.4⌋ = 7,326;
    // tmp = max(⌊7,326 / 4⌋ = 1,831, ⌊16,777.216⌋ = 16,777) = 16,777 → low 24,103, high 40,880, promo 57,657.
    const w = computeWatermarks([4194304, 16777216], 4096, 0, 10);
    expect(w.minFreeKbytes).toBe(36635);
    expect(Array.from(w.min)).toEqual([1831, 7326]);
    expect(Array.from(w.low)).toEqual([6025, 24103]);
    expect(Array.from(w.high)).toEqual([10219, 40880]);
    expect(Array.from(w.promo)).toEqual([14413, 57657]);
  });

  it('clamps min_free_kbytes to [128, 262144] kB', () => {
    // 1 MiB of memory: √(16 · 1024) = 128 exactly; 512 KiB: √8192 = 90.5 → clamped up to 128.
    expect(defaultMinFreeKbytes(1024)).toBe(128);
    expect(defaultMinFreeKbytes(512)).toBe(128);
    // 8 TiB = 2^33 kB: √2^37 = 370,727 → clamped down to 262,144.
    expect(defaultMinFreeKbytes(2 ** 33)).toBe(262144);
  });

  it('uses min/4 as the gap when watermark_scale_factor gives less (small nodes)', () => {
    // One node of 1,000 pages, min_free_kbytes = 400 kB → pages_min 100 = its min.
    // tmp = max(25, ⌊1,000 · 10 / 10000⌋ = 1) = 25 → low 125, high 150, promo 175.
    const w = computeWatermarks([1000], 4096, 400, 10);
    expect([w.min[0], w.low[0], w.high[0], w.promo[0]]).toEqual([100, 125, 150, 175]);
  });

  it('puts TPP\'s demotion watermark demote_scale_factor/10000 of the node above min', () => {
    // 4,194,304 pages · 200 / 10000 = 83,886.08 → 83,886 above min 1,831 = 85,717 (2 % of the node).
    expect(demoteWatermark(1831, 4194304, 200)).toBe(85717);
  });
});
