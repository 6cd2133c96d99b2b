// CSV page-type column and read()/write() copy records (traces/FORMAT.md "CSV"; traces/csv-types.ts,
// traces/csv-trace.ts). Expected records and types are written by hand from the input lines.

import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { tmp } from './trace-helpers.ts';
import { createBatch } from '../traces/batch.ts';
import { csvFormat } from '../traces/csv-trace.ts';
import { csvTypeRanges } from '../traces/csv-types.ts';
import { PT_ANON, PT_CACHE, PT_FILE, PT_SHMEM } from '../sim/page-types.ts';

const dir = tmp();
/** 16 + 16 frames: room for every page of these tiny traces. */
const MACHINE = { 'machine.tiers.0.capacityGiB': (16 * 4096) / 2 ** 30, 'machine.tiers.1.capacityGiB': (16 * 4096) / 2 ** 30 };
let n = 0;
function put(text: string, gz = false): string {
  const path = join(dir, `t${n++}.csv${gz ? '.gz' : ''}`);
  writeFileSync(path, gz ? gzipSync(text) : text);
  return path;
}

/** Every record of a CSV as "R 0x…" / "W 0x…" with its gap, read with a batch big enough for a 4 KiB copy. */
async function records(path: string): Promise<string[]> {
  const r = await csvFormat.open({ path, cpu: -1, skipBad: false, nsPerInstruction: 1 });
  const b = createBatch(1024);
  const out: string[] = [];
  for (;;) {
    const k = await r.fill(b);
    if (k === 0) break;
    for (let i = 0; i < k; i++) out.push(`${b.op[i] ? 'W' : 'R'} 0x${(b.addrHi[i] * 2 ** 32 + b.addrLo[i]).toString(16)}${b.gapNs[i] ? ` +${b.gapNs[i]}` : ''}`);
  }
  r.close();
  return out;
}

async function readError(path: string): Promise<string> {
  try {
    await records(path);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

describe('CSV type column', () => {
  it('gives the pages an access covers their type; empty means not said', () => {
    const path = put('addr,op,type,size\n0x1000,R,cache,8\n0x2000,W,shmem,8\n0x3000,R,,8\n0x4ff8,R,file-ro,16\n0x6000,R,file,8\n');
    // 0x4ff8 + 16 bytes crosses into page 5: pages 4 and 5 are file-ro.
    expect(csvTypeRanges(path, false)).toEqual([
      { vm: 0, start: 1, end: 2, type: 4 }, // cache
      { vm: 0, start: 2, end: 3, type: 1 }, // shmem
      { vm: 0, start: 4, end: 6, type: 3 }, // file-ro
      { vm: 0, start: 6, end: 7, type: 2 }, // file
    ]);
  });

  it('reads a gzip CSV the same way, and returns null when there is no type or buf column', () => {
    expect(csvTypeRanges(put('addr,type\n0x1000,cache\n0x2000,cache\n', true), false)).toEqual([{ vm: 0, start: 1, end: 3, type: 4 }]);
    expect(csvTypeRanges(put('addr,op\n0x1000,R\n'), false)).toBeNull();
  });

  it('stops at a bad type with file:line, in the pre-pass and in the reader', async () => {
    const path = put('addr,type\n0x1000,cache\n0x2000,heap\n');
    expect(() => csvTypeRanges(path, false)).toThrow(`${path}:3: expected a page type (anon, shmem, file, file-ro, cache) or nothing in column type, found "heap"`);
    expect(await readError(path)).toContain(`${path}:3: expected a page type (anon, shmem, file, file-ro, cache) or nothing in column type`);
    expect(csvTypeRanges(path, true)).toEqual([{ vm: 0, start: 1, end: 2, type: 4 }]); // --skip-bad
  });

  it('stops when a page is given two types, naming both lines', () => {
    const path = put('addr,type\n0x1000,cache\n0x1008,anon\n');
    expect(() => csvTypeRanges(path, false)).toThrow(`${path}:3: expected one type per page, found page 0x1 given type anon here and cache at line 2`);
  });

  it('types the pages of a run: host.pageType at first touch', async () => {
    const { resolveConfig, runSimulation } = await import('../sim/run.ts');
    const path = put('addr,op,type\n0x1000,R,cache\n0x2000,W,shmem\n0x3000,R,\n0x4000,R,file\n');
    const { config } = resolveConfig({ sets: { 'trace.indexCache': false, ...MACHINE }, flags: { policy: 'first-touch', trace: path } });
    const out = await runSimulation(config);
    const h = out.engine.host;
    // Page ids in first-touch order: 0x1000, 0x2000, 0x3000, 0x4000.
    expect([0, 1, 2, 3].map((p) => h.pageType(p))).toEqual([PT_CACHE, PT_SHMEM, PT_ANON, PT_FILE]);
    expect(h.pageTypesOn()).toBe(true);
  });
});

describe('CSV read()/write() copies (op fread / fwrite, column buf)', () => {
  it('expands fread into a read of the page-cache line and a write of the buffer line, line by line', async () => {
    // 64 aligned bytes: one line each. 100 bytes from 0x10020 cover 0x10000, 0x10040, 0x10080 of the
    // file page; to 0x20000 they cover 0x20000, 0x20040; the longer side goes on alone at the end.
    const path = put('addr,op,size,buf,gap\n0x10000,fread,64,0x20000,5\n0x10020,fread,100,0x20000,7\n');
    expect(await records(path)).toEqual([
      'R 0x10000 +5', 'W 0x20000',
      'R 0x10000 +7', 'W 0x20000', 'R 0x10040', 'W 0x20040', 'R 0x10080',
    ]);
  });

  it('expands fwrite the other way: a read of the buffer, a write of the page-cache page', async () => {
    const path = put('addr,op,size,buf\n0x10000,fwrite,128,0x20000\n');
    expect(await records(path)).toEqual(['R 0x20000', 'W 0x10000', 'R 0x20040', 'W 0x10040']);
  });

  it('copies a whole 4 KiB page as 64 line pairs, and refuses more than a page per record', async () => {
    const whole = await records(put('addr,op,size,buf\n0x10000,fread,4096,0x20000\n'));
    expect(whole.length).toBe(128);
    expect(whole[126]).toBe('R 0x10fc0');
    expect(whole[127]).toBe('W 0x20fc0');
    const path = put('addr,op,size,buf\n0x10000,fread,4097,0x20000\n');
    expect(await readError(path)).toContain(`${path}:2: expected a size 1–4096 in column size (one page per fread/fwrite record)`);
  });

  it('needs a buf column and a buffer address', async () => {
    const a = put('addr,op\n0x10000,fread\n');
    expect(await readError(a)).toContain(`${a}:2: expected a buf column (the user buffer of op fread) in the header`);
    const b = put('addr,op,buf\n0x10000,fread,zz\n');
    expect(await readError(b)).toContain(`${b}:2: expected a buffer address (0x-hex or decimal, ≤ 64 bits) in column buf`);
  });

  it('makes the file side page cache and leaves the buffer anon, unless the type column says otherwise', async () => {
    const path = put('addr,op,size,buf,type\n0x10000,fread,64,0x20000,\n0x30000,fwrite,64,0x21000,file\n0x40000,R,8,,\n');
    expect(csvTypeRanges(path, false)).toEqual([
      { vm: 0, start: 0x10, end: 0x11, type: 4 }, // fread: cache
      { vm: 0, start: 0x30, end: 0x31, type: 2 }, // fwrite to a file said to be mmapped too
    ]);
    const { resolveConfig, runSimulation } = await import('../sim/run.ts');
    const { config } = resolveConfig({ sets: { 'trace.indexCache': false, ...MACHINE }, flags: { policy: 'first-touch', trace: path } });
    const out = await runSimulation(config);
    const h = out.engine.host;
    // First-touch order: 0x10000 (read), 0x20000 (write), 0x21000 (fwrite reads the buffer first), 0x30000, 0x40000.
    expect([0, 1, 2, 3, 4].map((p) => h.pageType(p))).toEqual([PT_CACHE, PT_ANON, PT_ANON, PT_FILE, PT_ANON]);
    expect(out.result.counters[0]).toBe(2 + 2 + 1); // accesses: two per copy line, one plain read
  });

  it('says when fread\'s default page-cache type clashes with a type given elsewhere', () => {
    const path = put('addr,op,buf,type\n0x10000,R,,anon\n0x10000,fread,0x20000,\n');
    expect(() => csvTypeRanges(path, false)).toThrow(`${path}:3: expected one type per page, found page 0x10 given type cache here and anon at line 2 (fread/fwrite make addr's pages cache unless the type column says otherwise)`);
  });
});
