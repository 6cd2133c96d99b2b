import { describe, expect, it } from 'vitest';
import { Progress, formatSecs } from '../sim/sweep-progress.ts';

describe('sweep progress', () => {
  it('on a terminal redraws one bar in place with points done, skipped, failed, throughput and ETA', () => {
    const out: string[] = [];
    const p = new Progress(4, 1, { isTTY: true, columns: 200, write: (s) => out.push(s) });
    p.tick(true, 'point 1', 10);
    p.tick(false, 'point 2', 0);
    p.tick(true, 'point 3', 10);
    p.end();
    const last = out.filter((s) => s.startsWith('\r')).pop()!;
    expect(last).toMatch(/^\r\x1b\[K\[#{24}\] 4\/4 points, 1 already done, 1 failed, [\d.]+ points\/s, ETA 0 s$/);
    expect(out.at(-1)).toBe('\n');
  });

  it('in a log writes one line per finished point', () => {
    const out: string[] = [];
    const p = new Progress(2, 0, { isTTY: false, write: (s) => out.push(s) });
    p.tick(true, 'point 0 (seed=1)', 1234);
    p.tick(false, 'point 1 (seed=2)', 0);
    expect(out[0]).toMatch(/^\[1\/2\] done point 0 \(seed=1\) in 1\.23 s; [\d.]+ points\/s, ETA \d+ s\n$/);
    expect(out[1]).toMatch(/^\[2\/2\] FAILED point 1 \(seed=2\);/);
  });

  it('formats ETAs in s, min and h', () => {
    expect(formatSecs(42)).toBe('42 s');
    expect(formatSecs(125)).toBe('2 min 5 s');
    expect(formatSecs(7260)).toBe('2 h 1 min');
  });
});
