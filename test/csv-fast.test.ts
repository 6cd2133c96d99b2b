// The CSV reader's one-pass fast path (CsvReader.fastLine) must read every file exactly as the
// per-line reference path (parseLine, whose meaning and messages the other trace tests pin down by
// hand) reads it: the same records in the same batches, the same skipped-record count, the same
// first error. Checked here on seeded random files mixing the common shape with every kind of line
// the fast path hands back (blank lines, CRLF, spaces, signs, fractions, words, new threads, time
// going back, out-of-range values, accesses at the top of the address space, extra fields), plus
// hand-checked values of the common shape itself.

import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from './trace-helpers.ts';
import { CsvReader } from '../traces/csv-trace.ts';
import { createBatch } from '../traces/batch.ts';

/** The reference: every line through parseLine (LineReader's own loop, no fast path). */
class ReferenceCsvReader extends CsvReader {
  protected override parse(b: Buffer, p: number, end: number): number {
    while (p < end) {
      if (!this.roomForLine()) break;
      p = this.parseOneLine(b, p);
    }
    return p;
  }
}

/** Every batch of a reader as text, then its skipped count or its error. */
async function run(reader: CsvReader, capacity: number): Promise<string[]> {
  const b = createBatch(capacity);
  const out: string[] = [];
  try {
    for (;;) {
      const n = await reader.fill(b);
      if (n === 0) break;
      const rows: string[] = [];
      for (let i = 0; i < n; i++) rows.push(`${b.addrHi[i]}:${b.addrLo[i]} ${b.op[i]} c${b.cpu[i]} v${b.vm[i]} g${b.gapNs[i]} k${b.content[i]}`);
      out.push(rows.join('|'));
    }
    out.push(`bad ${reader.badRecords}`);
  } catch (err) {
    out.push(`error ${(err as Error).message}`);
  } finally {
    reader.close();
  }
  return out;
}

/** Deterministic PRNG (mulberry32), so that a failure is reproducible from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEADERS = [
  'time,cpu,op,addr,size',
  'addr,op',
  'addr',
  '# op,addr,gap,vm,content',
  'cpu,time,addr,op,size,gap',
  'addr,op,time,cpu,vm,size,content',
  'PID,TID,IP,ADDR,LOCAL WEIGHT', // perf mem -D without DSRC: ignored columns in the middle
];

/** A field value for column `name`: mostly what the fast path takes, sometimes what it must hand back. */
function field(name: string, r: () => number, state: { t: number }, oddRate: number): string {
  const odd = r() < oddRate;
  const pick = <T,>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  switch (name) {
    case 'addr':
      if (odd) return pick(['', '0x', '0x00000000000000001000', '0x00000000000001000', '0x10000000000000000', '0xffffffffffffffff', '0xfffffffffffffff0', '18446744073709551615', '1234567890123456', ' 0x1000', '0x10g0', '-4096', '0X2000 ', '4096.5']);
      return r() < 0.8 ? `0x${Math.floor(r() * 2 ** 40).toString(16)}` : String(Math.floor(r() * 2 ** 44));
    case 'op':
      if (odd) return pick(['', 'x', 'read', 'WRITE', 'load', 'Store', 'modify', 'fread', 'M', 'rw', ' R', '2']);
      return pick(['R', 'W', 'r', 'w', 'L', 'S', '0', '1', 'M', 'm']);
    case 'time':
      if (odd) return pick(['', '-5', '1e3', '12.5', String(state.t - 100), '9'.repeat(400), String(state.t + 4e12), '+7']);
      state.t += Math.floor(r() * 1000);
      return String(state.t);
    case 'gap':
      if (odd) return pick(['', '-1', '2.5', '1e2', '4000000000000', 'x']);
      return String(Math.floor(r() * 500));
    case 'cpu':
    case 'tid':
      if (odd) return pick(['-1', '', '9007199254740993', '1.0', String(100 + Math.floor(r() * 5))]);
      return String(Math.floor(r() * 3));
    case 'vm':
      if (odd) return pick(['65536', '-1', '', '3.5']);
      return String(Math.floor(r() * 4));
    case 'size':
      if (odd) return pick(['0', '257', '256', '', '1.0', '64']);
      return pick(['1', '4', '8', '8', '16', '32', '63', '100']);
    case 'content':
      if (odd) return pick(['0x100000000', '', 'zz', '4294967296']);
      return r() < 0.5 ? `0x${Math.floor(r() * 2 ** 32).toString(16)}` : String(Math.floor(r() * 2 ** 32));
    default:
      return odd ? pick(['', 'a,b', 'x y', '"q"']) : String(Math.floor(r() * 1e6));
  }
}

function randomCsv(seed: number, lines: number, oddRate: number): string {
  const r = prng(seed);
  const header = HEADERS[seed % HEADERS.length];
  const names = header.replace(/^#\s*/, '').split(',').map((x) => x.trim().toLowerCase());
  const state = { t: 1000 };
  const out = [header];
  for (let i = 0; i < lines; i++) {
    const u = r();
    if (u < 0.01) out.push('');
    else if (u < 0.01 + oddRate / 12) out.push(names.slice(0, -1).map((n) => field(n, r, state, oddRate)).join(',')); // too few fields
    else {
      let line = names.map((n) => field(n, r, state, oddRate)).join(',');
      if (r() < 0.03) line += ',extra,"fields",,';
      if (r() < 0.05) line += '\r';
      out.push(line);
    }
  }
  return out.join('\n') + (seed % 3 === 0 ? '' : '\n');
}

describe('CSV fast path', () => {
  it('reads the common shape as the header says (values worked out by hand)', async () => {
    const path = join(tmp(), 'a.csv');
    // 0x1038 + 16 bytes crosses into the next 64 B line (0x1040); M is a read then a write.
    writeFileSync(path, 'time,cpu,op,addr,size\n100,7,W,0x1038,16\r\n250,7,M,4096,8\n300,0,r,0x7fffffff000,1\n');
    const rows = await run(new CsvReader({ path, cpu: -1, skipBad: false, nsPerInstruction: 1 }), 64);
    expect(rows).toEqual([
      ['0:4152 1 c0 v0 g0 k0', '0:4160 1 c0 v0 g0 k0', '0:4096 0 c0 v0 g150 k0', '0:4096 1 c0 v0 g0 k0', '2047:4294963200 0 c1 v0 g0 k0'].join('|'),
      'bad 0',
    ]);
  });

  for (const skipBad of [true, false]) {
    it(`matches the reference path on random files (skipBad ${skipBad})`, async () => {
      const dir = tmp();
      for (let seed = 1; seed <= 42; seed++) {
        const path = join(dir, `r${seed}.csv`);
        // Without skipBad a file stops at its first bad line: fewer odd values, so that it stops late.
        writeFileSync(path, randomCsv(seed, skipBad ? 3000 : 1500, skipBad ? 0.06 : 0.002));
        const opts = { path, cpu: seed % 5 === 0 ? 1 : -1, skipBad, nsPerInstruction: 1 };
        const capacity = seed % 2 ? 37 : 4096;
        const fast = await run(new CsvReader(opts), capacity);
        const ref = await run(new ReferenceCsvReader(opts), capacity);
        expect(fast, `seed ${seed}`).toEqual(ref);
      }
    }, 60_000);
  }

  it('matches the reference path across 1 MiB read chunks (lines cut at a chunk end)', async () => {
    const path = join(tmp(), 'big.csv');
    const lines = ['time,cpu,op,addr,size'];
    for (let i = 0; i < 120_000; i++) lines.push(`${i * 7},${i % 3},${i % 5 ? 'R' : 'W'},0x${(0x10000000 + ((i * 2654435761) % 100_000) * 64).toString(16)},${1 + (i % 70)}`);
    writeFileSync(path, lines.join('\n') + '\n');
    const opts = { path, cpu: -1, skipBad: false, nsPerInstruction: 1 };
    const fast = await run(new CsvReader(opts), 8192);
    expect(fast.at(-1)).toBe('bad 0');
    expect(fast).toEqual(await run(new ReferenceCsvReader(opts), 8192));
  }, 60_000);
});
