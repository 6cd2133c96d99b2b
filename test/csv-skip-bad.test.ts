// CSV traces with --skip-bad (trace.skipBad): a skipped line must change nothing — not a CPU's
// simulated-time total (the 7-day span check), not the dense CPU numbering, not the page types of
// the pre-pass. Expected records and ranges are worked out by hand from each file below.

import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace, tmp } from './trace-helpers.ts';
import { csvTypeRanges } from '../traces/csv-types.ts';

function file(name: string, text: string): string {
  const path = join(tmp(), name);
  writeFileSync(path, text);
  return path;
}

describe('CSV --skip-bad: a skipped line influences nothing', () => {
  it('a skipped record\'s gap does not count toward its CPU\'s 7-day span', async () => {
    // 172 records of 3500 s: 602 000 s. Then a record whose 128 bytes run past 2^64 (bad: skipped)
    // with a gap of 2000 s, then a good record of 2000 s: 604 000 s ≤ 604 800 s, so it is kept.
    // Counting the skipped gap would put the good one at 606 000 s and skip it too.
    const rows = ['addr,gap,size'];
    for (let i = 0; i < 172; i++) rows.push(`0x${(4096 * (i + 1)).toString(16)},3.5e12,8`);
    rows.push('0xffffffffffffffc0,2e12,128');
    rows.push('0x1000,2e12,8');
    const { recs, bad } = await readTrace(file('span.csv', rows.join('\n') + '\n'), { skipBad: true });
    expect([recs.length, bad]).toEqual([173, 1]);
    expect(recs[172]).toMatchObject({ addr: '0x1000', gap: Math.fround(2e12) }); // gaps are float32 in a batch
  });

  it('the same with gaps from a time column', async () => {
    // Times 0, 3500 s, … 172 × 3500 s (span 602 000 s), a bad record 2000 s after the last (past
    // 2^64: skipped), a good one 2500 s after the last good one: span 604 500 s ≤ 604 800 s, kept.
    // Counting the skipped record's 2000 s would make it 606 500 s and skip the good one too.
    const rows = ['addr,time,size'];
    for (let i = 0; i <= 172; i++) rows.push(`0x${(4096 * (i + 1)).toString(16)},${i * 3.5e12},8`);
    const last = 172 * 3.5e12;
    rows.push(`0xffffffffffffffc0,${last + 2e12},128`); // skipped: past 2^64
    rows.push(`0x1000,${last + 2.5e12},8`);
    const { recs, bad } = await readTrace(file('time.csv', rows.join('\n') + '\n'), { skipBad: true });
    expect([recs.length, bad]).toEqual([174, 1]);
    expect(recs[173]).toMatchObject({ addr: '0x1000', gap: Math.fround(2.5e12) }); // float32; since the last good record of cpu 0
  });

  it('a skipped record does not number a CPU', async () => {
    // Threads 7, 9 (its record has vm 70000: bad), 8. Kept records: thread 7 → CPU 0, thread 8 → CPU 1.
    const path = file('cpu.csv', 'addr,cpu,vm\n0x1000,7,0\n0x2000,9,70000\n0x3000,8,0\n');
    const { recs, bad } = await readTrace(path, { skipBad: true });
    expect(bad).toBe(1);
    expect(recs.map((r) => [r.addr, r.cpu])).toEqual([['0x1000', 0], ['0x3000', 1]]);
    // Read for CPU 1 alone: the record of thread 8.
    const one = await readTrace(path, { skipBad: true, cpu: 1 });
    expect(one.recs.map((r) => r.addr)).toEqual(['0x3000']);
  });

  it('the type pre-pass: a record skipped for a type clash types none of its pages', () => {
    // Line 2 makes page 2 anon; line 3 (16 bytes at 0x1ff8: pages 1 and 2) says cache, which
    // clashes on page 2, so with --skip-bad the whole record is skipped: page 1 stays untyped.
    const path = file('clash.csv', 'addr,size,type\n0x2000,8,anon\n0x1ff8,16,cache\n');
    expect(csvTypeRanges(path, true)).toEqual([{ vm: 0, start: 2, end: 3, type: 0 }]);
  });

  it('the type pre-pass: a record the reader rejects (size 300 > 256) types nothing', async () => {
    const path = file('big.csv', 'addr,size,type\n0x1000,300,cache\n0x5000,8,file\n');
    expect(csvTypeRanges(path, true)).toEqual([{ vm: 0, start: 5, end: 6, type: 2 }]);
    const { recs, bad } = await readTrace(path, { skipBad: true });
    expect([recs.map((r) => r.addr), bad]).toEqual([['0x5000'], 1]);
  });
});
