// Line splitting at address boundaries and the ranges of every number read from a trace
// (traces/FORMAT.md "Ranges"). Expected pages and messages are worked out by hand.

import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { readTrace, drain, tmp } from './trace-helpers.ts';
import { LlcFilterSource } from '../traces/llc-filter.ts';
import { MemorySource } from '../traces/memory-source.ts';
import { allocRecords } from '../traces/batch.ts';
import { NativeWriter, FLAG_GAP, HEADER_BYTES } from '../traces/native.ts';
import { createBatch } from '../traces/batch.ts';

function file(name: string, text: string | Buffer): string {
  const path = join(tmp(), name);
  writeFileSync(path, text);
  return path;
}

const pages = (recs: Array<{ addr: string }>) => recs.map((r) => (BigInt(r.addr) >> 12n).toString(16));

describe('an access crossing a line at a 2^31, 2^32 or 2^47 boundary touches the next line, carry included', () => {
  // 16 bytes at 0x…fff8 cover the last 8 bytes of one line and the first 8 of the next, which is
  // the first line of the next page: page P and page P + 1.
  const cases: Array<[string, string[]]> = [
    ['7ffffff8', ['7ffff', '80000']], // 2^31: 0x7ffffff8 → pages 0x7ffff and 0x80000
    ['fffffff8', ['fffff', '100000']], // 2^32: the low word wraps, the high word gets the carry
    ['7ffffffffff8', ['7ffffffff', '800000000']], // 2^47: top of the user address space
  ];
  for (const [addr, expected] of cases) {
    it(`0x${addr}, 16 bytes: lackey, drmemtrace and CSV with size`, async () => {
      const lackey = await readTrace(file('t.lackey', `I  04000000,3\n L ${addr},16\n`));
      expect(pages(lackey.recs)).toEqual(expected);
      const drmem = await readTrace(file('t.txt', `T1 ifetch 3 byte(s) @ 0x4000000\nT1 read 16 byte(s) @ 0x${addr}\n`));
      expect(pages(drmem.recs)).toEqual(expected);
      const csv = await readTrace(file('t.csv', `addr,op,size\n0x${addr},R,16\n`));
      expect(pages(csv.recs)).toEqual(expected);
    });
  }

  it('an M access of 130 bytes from 0xffffffc0 is read then written on 3 lines: 0xffffffc0, 0x100000000, 0x100000040', async () => {
    const { recs } = await readTrace(file('m.lackey', ' M ffffffc0,130\n'));
    expect(recs.map((r) => [r.addr, r.op])).toEqual([
      ['0xffffffc0', 'R'], ['0x100000000', 'R'], ['0x100000040', 'R'],
      ['0xffffffc0', 'W'], ['0x100000000', 'W'], ['0x100000040', 'W'],
    ]);
  });

  it('an access running past 2^64 is an error naming the line', async () => {
    await expect(readTrace(file('top.lackey', ' L fffffffffffffff8,16\n'))).rejects.toThrow(/top\.lackey:1: expected an access inside the 64-bit address space, found 16 bytes at the top of it in " L fffffffffffffff8,16"/);
    await expect(readTrace(file('top.csv', 'addr,size\n0xfffffffffffffffc,8\n'))).rejects.toThrow(/top\.csv:2: expected an access inside the 64-bit address space/);
    // …but an access ending on the last byte is fine: 0xffffffffffffffc0, 64 bytes is one line.
    expect(pages((await readTrace(file('last.lackey', ' L ffffffffffffffc0,64\n'))).recs)).toEqual(['fffffffffffff']);
  });

  it('the LLC filter keeps lines on both sides of 4 GiB apart, and writes a victim back at its full address', async () => {
    // A direct-mapped cache of one 64 B line: every new line evicts the previous one.
    const recs = allocRecords(3);
    [[0, 0xffffffc0, 1], [1, 0x00000000, 1], [0, 0x00000040, 0]].forEach(([hi, lo, op], i) => {
      recs.addrHi[i] = hi;
      recs.addrLo[i] = lo;
      recs.op[i] = op;
    });
    const llc = new LlcFilterSource(new MemorySource('m', [{ count: 3, ...recs }]), { sizeBytes: 64, ways: 1, lineBytes: 64, hitLatencyNs: 0 });
    const out = await drain(llc);
    // Store 0xffffffc0 (miss); store 0x100000000 (miss, dirty victim 0xffffffc0 written back first);
    // load 0x40 (miss, dirty victim 0x100000000 written back first).
    expect(out.map((r) => [r.addr, r.op])).toEqual([
      ['0xffffffc0', 'W'], ['0xffffffc0', 'W'], ['0x100000000', 'W'], ['0x100000000', 'W'], ['0x40', 'R'],
    ]);
  });
});

describe('a cut drmemtrace line is an error, not address 0', () => {
  it('"@ 0" (cut after the first digit) and a 16-digit address cut short name the line', async () => {
    const head = '           4           1:        9956 ifetch       3 byte(s) @ 0x000000000401ab70\n';
    await expect(readTrace(file('cut.txt', `${head}           6           2:        9956 write        8 byte(s) @ 0`))).rejects.toThrow(
      /cut\.txt:2: expected a 16-digit hex address "0x…" after "@" \(the line is cut\?\), found ".*@ 0"/,
    );
    await expect(readTrace(file('cut2.txt', `${head}           6           2:        9956 write        8 byte(s) @ 0x0000001fff00`))).rejects.toThrow(/cut2\.txt:2: expected a 16-digit hex address/);
    // With --skip-bad the cut record is counted, not replayed at address 0.
    const { recs, bad } = await readTrace(file('cut3.txt', `${head}           6           2:        9956 write        8 byte(s) @ 0`), { skipBad: true });
    expect([recs.length, bad]).toEqual([0, 1]);
  });
});

describe('gaps and timestamps stay in range', () => {
  it('CSV: a gap over an hour, an infinite or negative gap, and a time jump are errors at their line', async () => {
    await expect(readTrace(file('g.csv', 'addr,gap\n0x1000,5\n0x2000,1e14\n'))).rejects.toThrow(/g\.csv:3: expected a compute gap of 0 to 3600 s \(traces\/FORMAT\.md "Ranges"\), found a gap of 100000 s in "0x2000,1e14"/);
    await expect(readTrace(file('i.csv', 'addr,gap\n0x1000,1e999\n'))).rejects.toThrow(/i\.csv:2: expected a compute gap of 0 to 3600 s .*found a gap of Infinity/);
    await expect(readTrace(file('n.csv', 'addr,gap\n0x1000,-5\n'))).rejects.toThrow(/n\.csv:2: expected a compute gap .*found a gap of -5 ns/);
    await expect(readTrace(file('x.csv', 'addr,gap\n0x1000,nan\n'))).rejects.toThrow(/x\.csv:2: expected a gap in ns in column gap, found "0x1000,nan"/);
    // Timestamps 0 and 4·10^12 ns: 4000 s between two records of cpu 0.
    await expect(readTrace(file('t.csv', 'addr,time,cpu\n0x1000,0,0\n0x2000,5,1\n0x3000,4e12,0\n'))).rejects.toThrow(/t\.csv:4: expected a compute gap .*found a time since this cpu's previous record of 4000 s/);
  });

  it('CSV: a CPU whose gaps add up past 7 days stops at the record that crosses it', async () => {
    // 3500 s per record: 172 records make 602 000 s, the 173rd 605 500 s > 604 800 s; it is on line 174.
    const rows = ['addr,gap'];
    for (let i = 0; i < 200; i++) rows.push(`0x${(4096 * i).toString(16)},3.5e12`);
    await expect(readTrace(file('s.csv', rows.join('\n')))).rejects.toThrow(/s\.csv:174: expected at most 604800 s \(7 days\) of simulated time per CPU, found CPU 0 reaching 605500 s at this record/);
    // With --skip-bad the records beyond are skipped and counted: 200 − 172.
    const { recs, bad } = await readTrace(file('s2.csv', rows.join('\n')), { skipBad: true });
    expect([recs.length, bad]).toEqual([172, 28]);
  });

  it('CSV: a thread id beyond 2^53 is an error', async () => {
    await expect(readTrace(file('c.csv', 'addr,cpu\n0x1000,1e300\n'))).rejects.toThrow(/c\.csv:2: expected an integer thread\/CPU id \(below 2\^53\) in column cpu/);
  });

  it('perf script: two samples of a thread two hours apart, and a time of 400 digits', async () => {
    const line = (t: string, addr: string) => `  app 1/2 [000] ${t}: 1 cpu/mem-loads/P: ${addr}\n`;
    await expect(readTrace(file('p.txt', line('10.000000', '7ffd0010') + line('7210.000000', '7ffd0020')))).rejects.toThrow(/p\.txt:2: expected a compute gap of 0 to 3600 s .*found a time since this thread's previous sample of 7200 s/);
    await expect(readTrace(file('p2.txt', line(`${'9'.repeat(400)}.5`, '7ffd0010')))).rejects.toThrow(/p2\.txt:1: expected a finite time in seconds/);
  });

  it('DAMON JSON: a snapshot time jump, a bad interval and a region past 2^64 are errors naming the snapshot', async () => {
    const json = (snapshots: unknown[], intervals: unknown = { sample_us: 5000, aggr_us: 100000 }) =>
      deflateSync(JSON.stringify([{ target_id: 0, intervals, snapshots }]));
    const region = { start: 4096, end: 8192, nr_accesses: { samples: 20 } };
    // Snapshot 1 starts 10 000 s after snapshot 0: its first sample comes 10 000 s − 95 ms after the last of snapshot 0.
    const jump = json([{ start_time: 0, end_time: 1e8, regions: [region] }, { start_time: 1e13, end_time: 1e13 + 1e8, regions: [region] }]);
    await expect(readTrace(file('j.json_zlib', jump))).rejects.toThrow(/j\.json_zlib: record 0 snapshot 1: expected a compute gap of 0 to 3600 s between replayed samples, found 9999\.9\d* s/);
    const { recs, bad } = await readTrace(file('j2.json_zlib', jump), { skipBad: true });
    expect([recs.length, bad]).toEqual([39, 1]); // 20 + 20 samples, the one after the jump skipped
    await expect(readTrace(file('iv.json_zlib', json([{ start_time: 0, end_time: 1e8, regions: [region] }], { sample_us: 0, aggr_us: 100000 })))).rejects.toThrow(
      /iv\.json_zlib: record 0 intervals: expected sample_us > 0, aggr_us ≥ sample_us/,
    );
    await expect(readTrace(file('r.json_zlib', json([{ start_time: 0, end_time: 1e8, regions: [{ start: 0, end: 2 ** 65, nr_accesses: 1 }] }])))).rejects.toThrow(
      /r\.json_zlib: record 0 snapshot 0 region 0: expected addresses 0 ≤ start < end ≤ 2\^64/,
    );
  });

  it('DAMON tracepoint text: a jump between snapshots names the line of the snapshot before it', async () => {
    const l = (t: string) => `kdamond.0 11524 [001] ${t}: damon:damon_aggregated: target_id=0 nr_regions=1 4096-8192: 20 3\n`;
    // Snapshots at 1 s, 1.1 s and 7201.1 s: the second one's aggregation interval, inferred from the
    // time to the next, would be 7200 s (samples 360 s apart): a jump, not an interval.
    const text = l('1.000000') + l('1.100000') + l('7201.100000') + l('7201.200000');
    await expect(readTrace(file('d.txt', text))).rejects.toThrow(/d\.txt:2: expected the next snapshot of target 0 within 3600 s \(its aggregation interval\), found 7200 s later/);
  });
});

describe('native header and blocks', () => {
  async function nativeFile(name: string, gaps: number[]): Promise<string> {
    const path = join(tmp(), name);
    const w = new NativeWriter(path, FLAG_GAP, 1, 1);
    const b = createBatch(gaps.length);
    gaps.forEach((g, i) => {
      b.addrLo[i] = 4096 * i;
      b.gapNs[i] = g;
    });
    b.count = gaps.length;
    await w.write(b);
    await w.close();
    return path;
  }

  it('a NaN gap is an error at its byte offset', async () => {
    const path = await nativeFile('nan.tsim', [1, 2, NaN, 4]);
    // 64-byte header, 16-byte block header, addrLo and addrHi 4 × 4 bytes each, then gaps: record 2 at 64 + 16 + 32 + 8.
    await expect(readTrace(path)).rejects.toThrow(/nan\.tsim: byte 120: expected a compute gap of 0 to 3600 s, found NaN; the file is corrupt/);
  });

  it('a header with 0 CPUs, a footprint above the record count, or fewer records than it declares', async () => {
    const { readFileSync } = await import('node:fs');
    const good = readFileSync(await nativeFile('ok.tsim', [1, 2, 3, 4]));
    const edit = (name: string, write: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      write(b);
      return file(name, b);
    };
    await expect(readTrace(edit('c0.tsim', (b) => b.writeUInt16LE(0, 20)))).rejects.toThrow(/c0\.tsim: byte 20: expected a CPU count of 1–65535, found 0; the header is corrupt/);
    await expect(readTrace(edit('fp.tsim', (b) => b.writeDoubleLE(5, 32)))).rejects.toThrow(/fp\.tsim: byte 32: expected a 4 KiB page count of 0–4 \(the record count\), found 5/);
    await expect(readTrace(edit('rc.tsim', (b) => b.writeDoubleLE(Infinity, 24)))).rejects.toThrow(/rc\.tsim: byte 24: expected a record count of 0–2\^53, or -1 \(unknown\), found Infinity/);
    // The header claims 8 records; the file holds one whole block of 4 (as if cut at a block
    // boundary): every block reads cleanly, only the count tells.
    await expect(readTrace(edit('short.tsim', (b) => b.writeDoubleLE(8, 24)))).rejects.toThrow(/short\.tsim: byte \d+: expected 8 records \(the header's count\), found 4; the file is cut short or corrupt/);
    expect(good.length).toBe(HEADER_BYTES + 16 + 4 * 12 + 4);
  });
});
