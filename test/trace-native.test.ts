import { describe, expect, it, vi } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIX, drain, readTrace, tmp } from './trace-helpers.ts';
import { convert, gen } from '../traces/cli.ts';
import { NativeReader, HEADER_BYTES, FLAG_INSTRUCTION_LEVEL, FLAG_GAP } from '../traces/native.ts';
import { findFormat } from '../traces/formats.ts';

const opts = (path: string, cpu = -1) => ({ path, cpu, skipBad: false, nsPerInstruction: 1 });
const quiet = () => vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

describe('native binary format', () => {
  it('convert → read gives back exactly the records of the source, and the header knows the trace', async () => {
    const dir = tmp();
    const out = join(dir, 'sort.tsim');
    quiet();
    await convert(join(FIX, 'sort-cut.lackey'), out, 'auto', opts(join(FIX, 'sort-cut.lackey')));
    const lackey = await readTrace(join(FIX, 'sort-cut.lackey'));
    const native = await readTrace(out);
    expect(native.format).toBe('native');
    expect(native.recs).toEqual(lackey.recs);
    const r = new NativeReader(opts(out));
    const h = await r.readHeader();
    r.close();
    // 20 records over 6 pages of 4 KiB (stack 0x1fff000, 0x4033, 0x4032, 0x4029, 0x1ffeffe, 0x1ffefff)
    // and 3 of 2 MiB (addr >> 21 = 65528, 32, 65527); lackey is instruction-level.
    expect([h.records, h.footprint4k, h.footprint2m, h.cpus, h.vms]).toEqual([20, 6, 3, 1, 1]);
    expect(h.flags).toBe(FLAG_GAP | FLAG_INSTRUCTION_LEVEL);
    // 64-byte header + one block: 16-byte block header + 20 × (4 + 4 + 4) + 20 op bytes.
    expect(readFileSync(out).length).toBe(HEADER_BYTES + 16 + 20 * 12 + 20);
  });

  it('keeps CPUs in per-CPU blocks, so a reader for one CPU sees only its records', async () => {
    const dir = tmp();
    const out = join(dir, 'two.tsim');
    quiet();
    await convert(join(FIX, 'sort-cut.csv'), out, 'auto', opts(join(FIX, 'sort-cut.csv')));
    const cpu1 = await drain(await findFormat('native').open(opts(out, 1)));
    expect(cpu1.map((r) => [r.cpu, r.addr])).toEqual([[1, '0x402917c'], [1, '0x4029180']]);
    const cpu0 = await drain(await findFormat('native').open(opts(out, 0)));
    expect(cpu0.map((r) => [r.addr, r.op, r.gap])).toEqual([['0x1fff000728', 'W', 0], ['0x4033e06', 'R', 30], ['0x4033e06', 'W', 0], ['0x4032e40', 'R', 30]]);
  });

  it('a compressed native trace reads the same', async () => {
    const dir = tmp();
    quiet();
    await convert(join(FIX, 'sort-cut.lackey'), join(dir, 'a.tsim.zst'), 'auto', opts(join(FIX, 'sort-cut.lackey')));
    expect((await readTrace(join(dir, 'a.tsim.zst'))).recs).toEqual((await readTrace(join(FIX, 'sort-cut.lackey'))).recs);
  });

  it('gen writes a synthetic workload through the same path', async () => {
    const dir = tmp();
    quiet();
    await gen('scan:pages=2,accesses=6,lines=2,gapNs=7', join(dir, 'g.tsim'), 1);
    const { recs } = await readTrace(join(dir, 'g.tsim'));
    // scan: lines 0,1 of page 0, then of page 1, then page 0 again; dense layout from page 0x10000.
    expect(recs.map((r) => [r.addr, r.gap])).toEqual([
      ['0x10000000', 7], ['0x10000040', 7], ['0x10001000', 7], ['0x10001040', 7], ['0x10000000', 7], ['0x10000040', 7],
    ]);
  });

  describe('bad files name the byte offset and what was found', () => {
    async function native(): Promise<Buffer> {
      const dir = tmp();
      quiet();
      await convert(join(FIX, 'sort-cut.lackey'), join(dir, 'n.tsim'), 'auto', opts(join(FIX, 'sort-cut.lackey')));
      return readFileSync(join(dir, 'n.tsim'));
    }
    const read = (path: string) => drain(new NativeReader(opts(path)));

    it('wrong magic: says what the file looks like', async () => {
      await expect(read(join(FIX, 'sort-cut.lackey'))).rejects.toThrow(/sort-cut\.lackey: byte 0: expected the native trace magic "TSIMTRC\\0".*found text \("==9956== Lackey, an exam…"\)/);
    });

    it('wrong version', async () => {
      const b = await native();
      b.writeUInt16LE(9, 8);
      const p = join(tmp(), 'v9.tsim');
      writeFileSync(p, b);
      await expect(read(p)).rejects.toThrow(/v9\.tsim: byte 8: native trace version 9, this tiersim reads version 1/);
    });

    it('truncated: the offset where the data stops', async () => {
      const b = await native();
      const p = join(tmp(), 'cut.tsim');
      writeFileSync(p, b.subarray(0, b.length - 10));
      // Block header at byte 64, payload 260 bytes from byte 80; 250 of them are there.
      await expect(read(p)).rejects.toThrow(/cut\.tsim: byte 330: truncated block \(250 of 260 payload bytes\)/);
    });

    it('a corrupt block header', async () => {
      const b = await native();
      b[64 + 12] ^= 0xff; // the check word
      const p = join(tmp(), 'bad.tsim');
      writeFileSync(p, b);
      await expect(read(p)).rejects.toThrow(/bad\.tsim: byte 64: expected a block header .* found count 20, 260 payload bytes/);
    });

    it('an op that is neither read nor write', async () => {
      const b = await native();
      b[64 + 16 + 240 + 3] = 7; // op of record 3
      const p = join(tmp(), 'op.tsim');
      writeFileSync(p, b);
      await expect(read(p)).rejects.toThrow(/op\.tsim: byte 323: expected op 0 \(read\) or 1 \(write\), found 7/);
    });
  });
});

describe('native writer: no half-written output', () => {
  it('writes under a temporary name and renames only when complete', async () => {
    const { NativeWriter } = await import('../traces/native.ts');
    const { createBatch, OP_READ } = await import('../traces/batch.ts');
    const { existsSync, readdirSync } = await import('node:fs');
    const dir = tmp();
    const out = join(dir, 'w.tsim');
    const w = new NativeWriter(out, FLAG_GAP, 1, 1);
    const b = createBatch(4);
    for (let i = 0; i < 3; i++) {
      b.addrHi[i] = 0;
      b.addrLo[i] = 0x1000 * (i + 1);
      b.op[i] = OP_READ;
      b.gapNs[i] = 1;
    }
    b.count = 3;
    await w.write(b);
    expect(existsSync(out)).toBe(false); // not under its final name before close()
    const header = await w.close();
    expect(header.records).toBe(3);
    expect(readdirSync(dir)).toEqual(['w.tsim']); // renamed; no temporary file left
  });
});
