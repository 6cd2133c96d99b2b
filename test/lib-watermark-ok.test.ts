import { describe, expect, it } from 'vitest';
import type { Host } from '../policies/policy.ts';
import { firstAboveMark, slowFirstAboveMark } from '../policies/lib/watermark-ok.ts';

/** The two Host members the mark tests read: the tier count and free frames per tier. */
const hostWithFree = (free: number[]) => ({ tiers: free.length, free: (t: number) => free[t] }) as unknown as Host;

describe('allocation watermark tests (zone_watermark_ok over the zonelist)', () => {
  it('takes the first tier in zonelist order whose free pages exceed its mark', () => {
    // 4 KiB pages (order 0): free must be strictly above the mark. Tier 0 has 10 free, mark 10: no;
    // tier 1 has 50, mark 20: yes.
    expect(firstAboveMark(hostWithFree([10, 50]), 1, Float64Array.from([10, 20]))).toBe(1);
    expect(firstAboveMark(hostWithFree([11, 50]), 1, Float64Array.from([10, 20]))).toBe(0);
    expect(firstAboveMark(hostWithFree([10, 20]), 1, Float64Array.from([10, 20]))).toBe(-1);
  });

  it('counts a 2 MiB page as 512 base pages and keeps its other 511 out (order 9)', () => {
    // Tier 0: 2 free 2 MiB frames = 1,024 base pages; 1,024 − 511 = 513, not above 600.
    // Tier 1: 3 frames = 1,536; 1,536 − 511 = 1,025 > 600.
    expect(firstAboveMark(hostWithFree([2, 3]), 512, Float64Array.from([600, 600]))).toBe(1);
    // 1,024 − 511 = 513 > 512: tier 0 passes a mark of 512, not one of 513.
    expect(firstAboveMark(hostWithFree([2, 0]), 512, Float64Array.from([512, 0]))).toBe(0);
    expect(firstAboveMark(hostWithFree([2, 0]), 512, Float64Array.from([513, 0]))).toBe(-1);
  });

  it('tries the slow tiers first, then tier 0, for TPP\'s page-cache allocation', () => {
    const marks = Float64Array.from([10, 10, 10]);
    expect(slowFirstAboveMark(hostWithFree([100, 100, 100]), 1, marks)).toBe(1);
    expect(slowFirstAboveMark(hostWithFree([100, 0, 100]), 1, marks)).toBe(2);
    expect(slowFirstAboveMark(hostWithFree([100, 0, 0]), 1, marks)).toBe(0);
    expect(slowFirstAboveMark(hostWithFree([10, 10, 10]), 1, marks)).toBe(-1);
  });
});
