import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { FIX, readTrace, tmp } from './trace-helpers.ts';
import { detectFormat } from '../traces/source.ts';
import { parseDamonTracepoint } from '../traces/damon.ts';

const rows = (recs: Array<{ addr: string; op: string; gap: number; cpu: number }>) => recs.map((r) => [r.cpu, r.addr, r.op, r.gap]);

describe('format detection', () => {
  it('recognises every fixture by content', async () => {
    const want: Record<string, string> = {
      'sort-cut.lackey': 'lackey', 'sort-cut.csv': 'csv', 'xz-pagefaults-cut.perf-mem-D.csv': 'csv',
      'xz-pagefaults-cut.perf-script.txt': 'perf-script', 'damon-cut.json_zlib': 'damon',
      'damon-aggregated-cut.perf-script.txt': 'damon', 'sort-cut.drmemtrace.txt': 'drmemtrace', 'sort-cut.champsim.xz': 'champsim',
    };
    for (const [file, name] of Object.entries(want)) expect([file, (await detectFormat(join(FIX, file))).name]).toEqual([file, name]);
  });

  it('an unknown format says what the file looks like and lists the formats', async () => {
    await expect(detectFormat(join(FIX, 'README.md'))).rejects.toThrow(/README\.md: unknown trace format: found text starting "# Trace fixtures.*Known formats: native .*lackey .*--set trace\.format=NAME/);
  });

  it('an empty file is an error, not an empty run', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'empty.lackey'), '');
    await expect(detectFormat(join(dir, 'empty.lackey'))).rejects.toThrow(/empty\.lackey: the trace is empty/);
  });
});

describe('CSV reader', () => {
  it('maps columns, numbers threads densely by first appearance, takes gaps from time, splits M and crossings', async () => {
    const { recs } = await readTrace(join(FIX, 'sort-cut.csv'));
    expect(rows(recs)).toEqual([
      [0, '0x1fff000728', 'W', 0], // cpu 7 is the first thread seen → CPU 0; its first record has no gap
      [0, '0x4033e06', 'R', 30], // 130 − 100 ns; M = read then write
      [0, '0x4033e06', 'W', 0],
      [1, '0x402917c', 'R', 0], // cpu 3 → CPU 1; 16 bytes at line offset 60 cross into the next line
      [1, '0x4029180', 'R', 0],
      [0, '0x4032e40', 'R', 30], // decimal address 67317312 = 0x4032e40; 160 − 130 ns
    ]);
  });

  it('a reader for one CPU keeps only that CPU', async () => {
    const { recs } = await readTrace(join(FIX, 'sort-cut.csv'), { cpu: 1 });
    expect(rows(recs)).toEqual([[1, '0x402917c', 'R', 0], [1, '0x4029180', 'R', 0]]);
  });

  it('reads perf mem report -D output: TID → cpu, ADDR, DSRC op bits', async () => {
    const { recs } = await readTrace(join(FIX, 'xz-pagefaults-cut.perf-mem-D.csv'));
    // DSRC 0x1e05080021: PERF_MEM_OP bits 0x21 & 0x1f = NA (no STORE bit 0x4) → read.
    expect(rows(recs)).toEqual([
      [0, '0x55c334203240', 'R', 0], [0, '0x7fdfaecb3110', 'R', 0], [0, '0x7ffdceef0f90', 'R', 0],
      [0, '0x7fdfaec99b70', 'R', 0], [0, '0x7fdfaecb2e06', 'R', 0], [0, '0x7fdfaecb1a80', 'R', 0],
    ]);
  });

  it('an unknown column is an error listing the valid ones', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'x.csv'), 'addr,op,latency\n0x10,R,5\n');
    await expect(readTrace(join(dir, 'x.csv'))).rejects.toThrow(/x\.csv:1: expected a CSV header of known columns, found column "latency". Valid columns: addr, op, time, gap, cpu, vm, size, content/);
  });

  it('a bad value names file:line, the column and the text', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'b.csv'), readFileSync(join(FIX, 'sort-cut.csv'), 'utf8').replace('130,7,M', '130,7,Q'));
    await expect(readTrace(join(dir, 'b.csv'))).rejects.toThrow(/b\.csv:3: expected op R, W, M.*found "130,7,Q,0x04033e06,1"/);
  });
});

describe('perf script reader', () => {
  it('one read per sample, thread from pid/tid, gap = time since the thread\'s previous sample', async () => {
    const { recs } = await readTrace(join(FIX, 'xz-pagefaults-cut.perf-script.txt'));
    // Times 994.090496, .090524, .090551, .090588, .090591, .090595 s.
    const gaps = [0, 28000, 27000, 37000, 3000, 4000];
    expect(recs.map((r) => [r.cpu, r.addr, r.op])).toEqual([
      [0, '0x55c334203240', 'R'], [0, '0x7fdfaecb3110', 'R'], [0, '0x7ffdceef0f90', 'R'],
      [0, '0x7fdfaec99b70', 'R'], [0, '0x7fdfaecb2e06', 'R'], [0, '0x7fdfaecb1a80', 'R'],
    ]);
    recs.forEach((r, i) => expect(r.gap).toBeCloseTo(gaps[i], 0));
  });

  it('a store event is a write; a line without time or address is reported', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'st.txt'), '  app 1/2 [000] 10.000001: 1 cpu/mem-stores/P: 7ffd0010 |OP STORE|LVL L1 hit\n  app 1/2 10.000002: oops\n');
    const err = readTrace(join(dir, 'st.txt'));
    await expect(err).rejects.toThrow(/st\.txt:2: expected an event name ending in ":" followed by a hex data address/);
    writeFileSync(join(dir, 'st2.txt'), '  app 1/2 [000] 10.000001: 1 cpu/mem-stores/P: 7ffd0010 |OP STORE|LVL L1 hit\n');
    const { recs } = await readTrace(join(dir, 'st2.txt'));
    expect(rows(recs)).toEqual([[0, '0x7ffd0010', 'W', 0]]);
  });
});

describe('DAMON reader', () => {
  it('replays damo record JSON: one read per positive sample, spread over the aggregation interval', async () => {
    const { recs } = await readTrace(join(FIX, 'damon-cut.json_zlib'));
    // Snapshot 2: no accesses. Snapshot 3 (1126168687000–1126269158000 ns, K = 100000/5000 = 20
    // samples of 5023550 ns): region [10,055,831,552, 10,516,721,664) has 2 → slots 9 and 19.
    // Snapshot 4 (from 1126269158000, samples of 5023300 ns): [10,055,831,552, 10,424,541,184) has 1 → slot 19.
    expect(recs.length).toBe(3);
    expect(recs.every((r) => r.op === 'R' && r.cpu === 0)).toBe(true);
    expect(recs[0].gap).toBe(0);
    expect(recs[1].gap).toBe(10 * 5023550);
    expect(Math.abs(recs[2].gap - (1126269158000 + 19 * 5023300 - (1126168687000 + 19 * 5023550)))).toBeLessThan(8); // float32
    const addr = recs.map((r) => Number(BigInt(r.addr)));
    expect(addr[0]).toBeGreaterThanOrEqual(10055831552);
    expect(addr[0]).toBeLessThan(10516721664);
    expect(addr[2]).toBeGreaterThanOrEqual(10055831552);
    expect(addr[2]).toBeLessThan(10424541184);
    expect(addr.every((a) => a % 4096 === 0)).toBe(true);
  });

  it('groups damon_aggregated tracepoint lines into snapshots of nr_regions lines', () => {
    const text = readFileSync(join(FIX, 'damon-aggregated-cut.perf-script.txt'), 'utf8');
    const { snaps } = parseDamonTracepoint(text, 'x', false);
    expect(snaps.count).toBe(2);
    expect([snaps.regionTo[0] - snaps.regionFrom[0], snaps.regionTo[1] - snaps.regionFrom[1]]).toEqual([4, 2]);
    // Interval to the next snapshot: 1148.267274 − 1148.166666 s, in 20 samples.
    expect(snaps.sampleNs[0]).toBeCloseTo(100608000 / 20, 0);
  });

  it('a record where DAMON saw no access at all is an error, not an empty run', async () => {
    await expect(readTrace(join(FIX, 'damon-aggregated-cut.perf-script.txt'))).rejects.toThrow(/every region of its 2 DAMON snapshot\(s\) has nr_accesses 0/);
  });
});

describe('drmemtrace view reader', () => {
  it('reads and writes with sizes, instruction gaps per thread, markers skipped', async () => {
    const { recs } = await readTrace(join(FIX, 'sort-cut.drmemtrace.txt'));
    expect(rows(recs)).toEqual([
      [0, '0x1fff000728', 'W', 2], // two ifetch of thread 9956 before it
      [1, '0x4033e06', 'R', 1], // thread 9957 (CPU 1: seen second, at its marker)
      [1, '0x4033e06', 'W', 0],
      [0, '0x402917c', 'R', 3], // three more ifetch of 9956; 16 bytes crossing a line
      [0, '0x4029180', 'R', 0],
    ]);
  });

  it('accepts the older "T<tid>" layouts', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'old.txt'), [
      '        3: T9956 ifetch       3 byte(s) @ 0x000000000401ab70 48 89 e7             mov    %rsp, %rdi',
      '        4: T9956 write        8 byte(s) @ 0x0000001fff000728 by PC 0x000000000401ab73',
      'T9956   0x000000000401b7ad  80 3d       cmp',
      'T9956     read  1 byte(s) @ 0x4033e06',
    ].join('\n'));
    const { recs } = await readTrace(join(dir, 'old.txt'));
    expect(rows(recs)).toEqual([[0, '0x1fff000728', 'W', 1], [0, '0x4033e06', 'R', 1]]);
  });
});

describe('ChampSim reader', () => {
  const expected = [
    [0, '0x1fff000728', 'W', 2], // after 2 instructions (the call stores its return address)
    [0, '0x4033e06', 'R', 2], // source operand first …
    [0, '0x4033e06', 'W', 0], // … then the destination
    [0, '0x402917c', 'R', 3],
  ];
  it('reads 64-byte input_instr records, .xz as distributed', async () => {
    const { recs } = await readTrace(join(FIX, 'sort-cut.champsim.xz'));
    expect(rows(recs)).toEqual(expected);
  });

  it('reads plain and .gz the same; a truncated record names the byte offset', async () => {
    const dir = tmp();
    const raw = execFileSync('xz', ['-dc', join(FIX, 'sort-cut.champsim.xz')]);
    writeFileSync(join(dir, 'plain.champsim'), raw);
    writeFileSync(join(dir, 'g.champsim.gz'), gzipSync(raw));
    expect(rows((await readTrace(join(dir, 'plain.champsim'))).recs)).toEqual(expected);
    expect(rows((await readTrace(join(dir, 'g.champsim.gz'))).recs)).toEqual(expected);
    writeFileSync(join(dir, 'cut.champsim'), raw.subarray(0, 64 * 3 + 10));
    await expect(readTrace(join(dir, 'cut.champsim'))).rejects.toThrow(/cut\.champsim: byte 192: truncated ChampSim record \(10 of 64 bytes\)/);
  });
});
