import { describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIX, drain, tmp } from './trace-helpers.ts';
import type { Rec } from './trace-helpers.ts';
import { createBatch } from '../traces/batch.ts';
import { NativeWriter, FLAG_GAP } from '../traces/native.ts';
import { gen } from '../traces/cli.ts';
import { TraceSource, detectFormat, traceIndex } from '../traces/source.ts';
import type { DemuxOptions } from '../traces/demux.ts';
import { resolveConfig } from '../sim/run.ts';

const quiet = () => vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

/** Each CPU's records as one reader per CPU gives them (the way tiersim read traces before the demultiplexer). */
async function perCpuReaders(path: string): Promise<Rec[][]> {
  const f = await detectFormat(path);
  const { config } = resolveConfig({ flags: { trace: path }, sets: { 'trace.indexCache': 'false' } });
  const index = await traceIndex(config, path, f);
  const out: Rec[][] = [];
  for (let c = 0; c < index.cpus; c++) {
    const r = await f.open({ path, cpu: index.cpus === 1 ? -1 : c, skipBad: false, nsPerInstruction: 1 });
    out.push(await drain(r));
    r.close();
  }
  return out;
}

/** Each CPU's records through the run's TraceSource, pulled the way the engine pulls them (one batch per CPU in turn). */
async function throughSource(path: string, demux: DemuxOptions = {}): Promise<{ recs: Rec[][]; source: TraceSource }> {
  const f = await detectFormat(path);
  const { config } = resolveConfig({ flags: { trace: path }, sets: { 'trace.indexCache': 'false', 'trace.nsPerInstruction': '1' } });
  const source = new TraceSource(path, f, await traceIndex(config, path, f), config, demux);
  const recs: Rec[][] = Array.from({ length: source.cpus }, () => []);
  const b = createBatch(100);
  const active = new Uint8Array(source.cpus).fill(1);
  for (let left = source.cpus; left > 0; ) {
    for (let c = 0; c < source.cpus; c++) {
      if (!active[c]) continue;
      const n = await source.read(c, b);
      if (n === 0) {
        active[c] = 0;
        left--;
      }
      for (let i = 0; i < n; i++) {
        recs[c].push({ addr: '0x' + (BigInt(b.addrHi[i]) * 2n ** 32n + BigInt(b.addrLo[i])).toString(16), op: b.op[i] ? 'W' : 'R', gap: b.gapNs[i], cpu: b.cpu[i], vm: b.vm[i] });
      }
    }
  }
  source.close();
  return { recs, source };
}

/** A CSV of `threads` threads whose lines interleave in a seeded irregular order, with M ops and line-crossing sizes. */
function interleavedCsv(path: string, threads: number, lines: number): void {
  let x = 12345;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const out = ['addr,op,size,gap,cpu'];
  for (let i = 0; i < lines; i++) {
    const tid = 1000 + Math.floor(rnd() * rnd() * threads); // skewed: thread 1000 is the busiest
    const addr = 0x7f0000000000 + Math.floor(rnd() * 2 ** 24) * 8;
    out.push(`0x${addr.toString(16)},${'RWM'[Math.floor(rnd() * 3)]},${1 + Math.floor(rnd() * 100)},${Math.floor(rnd() * 50)},${tid}`);
  }
  writeFileSync(path, out.join('\n') + '\n');
}

describe('reading a multi-threaded trace once', () => {
  it('gives each CPU of an interleaved text trace exactly the records a reader of that CPU alone gives', async () => {
    const path = join(tmp(), 'mt.csv');
    interleavedCsv(path, 6, 20000);
    const expected = await perCpuReaders(path);
    expect(expected.length).toBe(6);
    const { recs, source } = await throughSource(path);
    expect(recs).toEqual(expected);
    // Default memory: every CPU's queue stays small, nothing spills.
    expect(source.demultiplexer!.spilled).toBe(0);
  });

  it('spills to a temporary file when a CPU\'s records lie far ahead, keeping memory bounded and the streams exact', async () => {
    const dir = tmp();
    const path = join(dir, 'seq.tsim.zst');
    // One thread after the other (the layout that forces buffering): CPU 3's first record is at the very end.
    const w = new NativeWriter(path, FLAG_GAP, 4, 1);
    const b = createBatch(5000);
    for (let cpu = 0; cpu < 4; cpu++) {
      for (let i = 0; i < 5000; i++) {
        b.addrHi[i] = cpu;
        b.addrLo[i] = i * 4096;
        b.op[i] = i & 1;
        b.cpu[i] = cpu;
        b.gapNs[i] = i % 13;
      }
      b.count = 5000;
      await w.write(b);
    }
    await w.close();
    const spillDir = join(dir, 'spill');
    execFileSync('mkdir', [spillDir]);
    const expected = await perCpuReaders(path);
    const { recs, source } = await throughSource(path, { memoryRecords: 1024, spillDir });
    expect(recs).toEqual(expected);
    const d = source.demultiplexer!;
    // 1024 records of memory: chunks of 64 records (4 per CPU fit), 16 slots; CPU 3 alone needs 5000.
    expect([d.chunkRecords, d.slots]).toEqual([64, 16]);
    expect(d.spilled).toBeGreaterThan(0);
    expect(d.loaded).toBeGreaterThanOrEqual(d.spilled); // every spilled chunk was read back (a chunk can go out and back more than once)
    expect(readdirSync(spillDir)).toEqual([]); // the spill file was unlinked at once
  });

  it('reads a plain multi-CPU native file per CPU by its blocks, the same records as per-CPU readers', async () => {
    const path = join(tmp(), 'g.tsim');
    quiet();
    await gen('uniform:pages=4Ki,accesses=30000,threads=3,gapNs=5+scan:pages=64,accesses=3000,threads=3', path, 7);
    const expected = await perCpuReaders(path);
    const { recs, source } = await throughSource(path);
    expect(recs).toEqual(expected);
    expect(recs.map((r) => r.length)).toEqual([11000, 11000, 11000]);
    expect(source.demultiplexer).toBe(undefined); // positioned reads: nothing to demultiplex
  });

  it('cuts each CPU\'s stream into the same batches whatever order the CPUs are read in', async () => {
    const path = join(tmp(), 'order.csv');
    interleavedCsv(path, 6, 5000);
    const f = await detectFormat(path);
    const { config } = resolveConfig({ flags: { trace: path }, sets: { 'trace.indexCache': 'false' } });
    const index = await traceIndex(config, path, f);
    // Batch sizes per CPU, reading CPUs in turn or one after another (as a sweep's capture does).
    const sizes = async (inTurn: boolean) => {
      const source = new TraceSource(path, f, index, config, { memoryRecords: 1024 });
      const out: number[][] = Array.from({ length: source.cpus }, () => []);
      const b = createBatch();
      const done = new Uint8Array(source.cpus);
      for (let c = 0; done.includes(0); c = inTurn ? (c + 1) % source.cpus : c + (done[c] ? 1 : 0)) {
        if (done[c]) continue;
        const n = await source.read(c, b);
        if (n === 0) done[c] = 1;
        else out[c].push(n);
      }
      source.close();
      return out;
    };
    const inTurn = await sizes(true);
    expect(await sizes(false)).toEqual(inTurn);
    // 1024 records of memory over 6 CPUs: ⌊1024 / 12⌋ = 85 records a batch, the last one the rest.
    for (const cpu of inTurn) expect(cpu.slice(0, -1).every((n) => n === 85) && cpu[cpu.length - 1] <= 85).toBe(true);
  });

  it('hands the two threads of the drmemtrace fragment their own records', async () => {
    const path = join(FIX, 'sort-cut.drmemtrace.txt');
    const { recs } = await throughSource(path, { memoryRecords: 1024 });
    expect(recs).toEqual(await perCpuReaders(path));
    expect(recs.map((r) => r.map((x) => x.addr))).toEqual([['0x1fff000728', '0x402917c', '0x4029180'], ['0x4033e06', '0x4033e06']]);
  });
});
