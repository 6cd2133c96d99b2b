import { describe, expect, it } from 'vitest';
import { SyntheticSource, parseWorkload, workloadRegions } from '../traces/synthetic.ts';
import { createBatch, OP_WRITE } from '../traces/batch.ts';
import { dbLayout, parseDbWorkload, BM_MAX_USAGE_COUNT } from '../traces/synthetic-db.ts';

function records(spec: string) {
  const src = new SyntheticSource(spec, 1);
  const b = createBatch(1024);
  const out: Array<[number, string]> = [];
  for (let n = src.read(0, b); n > 0; n = src.read(0, b)) {
    for (let i = 0; i < n; i++) out.push([b.addrHi[i] * 0x100000 + b.addrLo[i] / 4096, b.op[i] === OP_WRITE ? 'W' : 'R']);
  }
  return { src, out, db: src.dbWorkload! };
}

describe('db workload: shared buffers over the page cache', () => {
  it('reads a missing block through the page cache into a buffer, then hits the buffer', () => {
    // One block, two buffers, reads only: request 1 misses → read() of the file page (R), copy into
    // buffer 0 (W), then the request reads buffer 0 (R); requests 2 and 3 hit buffer 0.
    const { out, db } = records('db:blocks=1,buffers=2,accesses=3,write=0');
    const { bufferBase, fileBase } = dbLayout(parseDbWorkload('db:blocks=1,buffers=2'));
    expect(out).toEqual([[fileBase, 'R'], [bufferBase, 'W'], [bufferBase, 'R'], [bufferBase, 'R'], [bufferBase, 'R']]);
    expect([db.hits, db.misses]).toEqual([2, 1]);
  });

  it('with O_DIRECT never touches the page cache', () => {
    const { out } = records('db:blocks=64,buffers=8,accesses=500,write=0.3,direct=1');
    const { fileBase } = dbLayout(parseDbWorkload('db:blocks=64,buffers=8'));
    expect(out.some(([p]) => p >= fileBase)).toBe(false);
  });

  it('keeps buffers and blocks consistent; a dirty victim is written back before the new block is read', () => {
    const spec = 'db:blocks=64,buffers=8,accesses=2000,write=0.3,theta=0.5';
    const { out, db } = records(spec);
    const { bufferBase, fileBase } = dbLayout(parseDbWorkload(spec));
    for (let b = 0; b < 8; b++) {
      const blk = db.blockOfBuf[b];
      expect(blk).toBeGreaterThanOrEqual(0);
      expect(db.bufOfBlock[blk]).toBe(b);
    }
    expect(Array.from(db.bufOfBlock).filter((x) => x >= 0).length).toBe(8);
    // Each miss reads its block's page-cache page once; each write-back writes one.
    expect(out.filter(([p, o]) => p >= fileBase && o === 'R').length).toBe(db.misses);
    expect(out.filter(([p, o]) => p >= fileBase && o === 'W').length).toBe(db.writeBacks);
    expect(db.hits + db.misses).toBe(2000);
    expect(out.every(([p]) => (p >= bufferBase && p < bufferBase + 8) || (p >= fileBase && p < fileBase + 64))).toBe(true);
    expect(BM_MAX_USAGE_COUNT).toBe(5);
  });

  it('declares its typed regions and a workload of its own', () => {
    const { bufferBase, fileBase } = dbLayout(parseDbWorkload('db:blocks=64,buffers=8'));
    expect(workloadRegions('db:blocks=64,buffers=8')).toEqual([
      { vm: 0, start: bufferBase, end: bufferBase + 8, type: 1 },
      { vm: 0, start: fileBase, end: fileBase + 64, type: 3 },
    ]);
    expect(parseWorkload('db:blocks=64').threads).toBe(1);
    expect(() => parseWorkload('db:blocks=64+uniform:pages=4')).toThrow(/cannot be combined/);
    expect(() => parseWorkload('db:tables=3')).toThrow(/no parameter/);
  });
});
