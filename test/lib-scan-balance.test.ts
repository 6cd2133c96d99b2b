import { describe, expect, it } from 'vitest';
import {
  ScanCost,
  getScanCount,
  cacheTrimMode,
  fileIsTiny,
  SCAN_ANON,
  SCAN_EQUAL,
  SCAN_FILE,
  SCAN_FRACT,
  type ScanInput,
} from '../policies/lib/scan-balance.ts';

// Sizes of [inactive anon, active anon, inactive file, active file] in pages.
const SIZES = [4096, 4096, 8192, 8192];

function input(over: Partial<ScanInput>): ScanInput {
  return {
    sizes: SIZES,
    priority: 2,
    swappiness: 60,
    canReclaimAnon: true,
    fileIsTiny: false,
    cacheTrimMode: false,
    anonCost: 0,
    fileCost: 0,
    ...over,
  };
}

function scan(over: Partial<ScanInput>) {
  const out = new Float64Array(4);
  const frac = new Float64Array(2);
  const mode = getScanCount(input(over), out, frac);
  return { mode, out: Array.from(out), frac: Array.from(frac) };
}

describe('get_scan_count (mm/vmscan.c)', () => {
  it('with no recorded cost splits pressure by swappiness alone (60 : 140)', () => {
    // total = 0 → anon' = file' = total' = 0; ap = 60·1/1 = 60, fp = 140·1/1 = 140, denominator 200.
    // Priority 2: 4096 >> 2 = 1024 anon per list, 8192 >> 2 = 2048 file per list.
    // anon: ⌊1024·60/200⌋ = ⌊307.2⌋ = 307; file: ⌊2048·140/200⌋ = ⌊1433.6⌋ = 1433.
    const r = scan({});
    expect(r.mode).toBe(SCAN_FRACT);
    expect(r.frac).toEqual([60, 140]);
    expect(r.out).toEqual([307, 307, 1433, 1433]);
  });

  it('weighs each type inversely to its recorded cost, keeping a third of the pressure on each', () => {
    // anon_cost 100, file_cost 300: total 400, anon' = 500, file' = 700, total' = 1200.
    // ap = ⌊60·1201/501⌋ = ⌊143.8⌋ = 143; fp = ⌊140·1201/701⌋ = ⌊239.9⌋ = 239; denominator 382.
    // anon: ⌊1024·143/382⌋ = ⌊383.3⌋ = 383; file: ⌊2048·239/382⌋ = ⌊1281.3⌋ = 1281.
    const r = scan({ anonCost: 100, fileCost: 300 });
    expect(r.frac).toEqual([143, 239]);
    expect(r.out).toEqual([383, 383, 1281, 1281]);
  });

  it('at swappiness 100 with equal costs scans anon and file in proportion to their sizes', () => {
    // ap = fp = 100 → each list scans half of size >> priority.
    const r = scan({ swappiness: 100, anonCost: 50, fileCost: 50 });
    expect(r.out).toEqual([512, 512, 1024, 1024]);
  });

  it('at swappiness 0 scans no anon at all in the fractional mode', () => {
    // ap = 0·… = 0; fp = 200·1/1 = 200 → anon lists get 0, file lists all of size >> priority.
    const r = scan({ swappiness: 0 });
    expect(r.out).toEqual([0, 0, 2048, 2048]);
  });

  it('scans only file when anon cannot be reclaimed (no swap, no demotion)', () => {
    const r = scan({ canReclaimAnon: false });
    expect(r.mode).toBe(SCAN_FILE);
    expect(r.out).toEqual([0, 0, 2048, 2048]);
  });

  it('scans both types by size at priority 0 unless swappiness is 0', () => {
    const r = scan({ priority: 0, anonCost: 1000 });
    expect(r.mode).toBe(SCAN_EQUAL);
    expect(r.out).toEqual(SIZES);
    expect(scan({ priority: 0, swappiness: 0 }).mode).toBe(SCAN_FRACT);
  });

  it('scans only anon when the file LRU is tiny, only file in cache-trim mode (tiny wins)', () => {
    expect(scan({ fileIsTiny: true }).out).toEqual([1024, 1024, 0, 0]);
    expect(scan({ fileIsTiny: true }).mode).toBe(SCAN_ANON);
    expect(scan({ cacheTrimMode: true }).out).toEqual([0, 0, 2048, 2048]);
    expect(scan({ fileIsTiny: true, cacheTrimMode: true }).mode).toBe(SCAN_ANON);
  });
});

describe('lru_note_cost (mm/swap.c)', () => {
  it('adds io · 32 + rotated to the type and halves both once above a quarter of the LRUs', () => {
    const c = new ScanCost();
    // LRUs hold 1000 pages → decay point ⌊1000/4⌋ = 250.
    c.note(true, 5, 0, 1000); // file += 5·32 = 160 (160 ≤ 250, no decay)
    expect([c.anonCost, c.fileCost]).toEqual([0, 160]);
    c.note(false, 3, 10, 1000); // anon += 3·32 + 10 = 106; 266 > 250 → halve: 53, 80
    expect([c.anonCost, c.fileCost]).toEqual([53, 80]);
    c.note(false, 0, 0, 1000); // cost 0: nothing recorded
    expect([c.anonCost, c.fileCost]).toEqual([53, 80]);
    c.noteRefault(true, 1, 1000); // a workingset refault of one page: file += 32 → 112
    expect([c.anonCost, c.fileCost]).toEqual([53, 112]);
  });
});

describe('prepare_scan_control', () => {
  it('enters cache-trim mode only with inactive file at this priority and no file deactivation', () => {
    expect(cacheTrimMode(4095, 12, false)).toBe(false); // 4095 >> 12 = 0
    expect(cacheTrimMode(4096, 12, false)).toBe(true); // 4096 >> 12 = 1
    expect(cacheTrimMode(4096, 12, true)).toBe(false);
  });

  it('calls the file LRU tiny when file + free fit under the high watermark and anon is available', () => {
    // file 300 + free 200 = 500 ≤ high 500, inactive anon 4096 >> 12 = 1.
    expect(fileIsTiny(300, 200, 500, 4096, 12, false)).toBe(true);
    expect(fileIsTiny(301, 200, 500, 4096, 12, false)).toBe(false);
    expect(fileIsTiny(300, 200, 500, 4095, 12, false)).toBe(false); // no anon at this priority
    expect(fileIsTiny(300, 200, 500, 4096, 12, true)).toBe(false); // anon being deactivated
  });
});
