// Reader for ChampSim binary traces (plain, .gz or .xz as distributed): a sequence of 64-byte
// little-endian `input_instr` records, one per instruction. Format: ChampSim inc/trace_instruction.h
// (struct input_instr) and the ChampSim README "Traces":
//
//   offset  0  u64 ip
//           8  u8  is_branch,  9 u8 branch_taken
//          10  u8  destination_registers[2], 12 u8 source_registers[4]
//          16  u64 destination_memory[2]     (stores; 0 = unused)
//          32  u64 source_memory[4]          (loads;  0 = unused)
//
// Mapping: each non-zero source_memory is a read, then each non-zero destination_memory a write,
// in that order (operands first read, result written). Sizes are not recorded: one record per
// operand. The gap of an instruction's first access = instructions since the previous access ×
// trace.nsPerInstruction. One CPU, instruction-level (LLC filter on by default).
// A file whose length is not a multiple of 64 is truncated: the error names the byte offset.

import type { AccessBatch } from './batch.ts';
import { OP_READ, OP_WRITE } from './batch.ts';
import { ByteStream, TraceError } from './open.ts';
import type { ReaderOptions, TraceFormat, TraceReader } from './reader.ts';
import { GAP_EXPECTED, MAX_GAP_NS, MAX_SPAN_NS, SPAN_EXPECTED, showNs } from './limits.ts';

const RECORD = 64;
const MAX_PER_RECORD = 6;

export class ChampsimReader implements TraceReader {
  badRecords = 0;
  private readonly stream: ByteStream;
  private chunk: Buffer | null = null;
  private pos = 0;
  private readonly scratch = Buffer.alloc(RECORD);
  private scratchLen = 0;
  private instr = 0;
  /** Simulated time of the records so far (sum of gaps), checked against MAX_SPAN_NS. */
  private spanNs = 0;
  private offset = 0;
  private eof = false;

  constructor(private readonly opts: ReaderOptions) {
    this.stream = new ByteStream(opts.path);
  }

  async fill(batch: AccessBatch): Promise<number> {
    let n = 0;
    const limit = batch.capacity - MAX_PER_RECORD;
    while (n <= limit && !this.eof) {
      if (this.chunk === null || this.pos >= this.chunk.length) {
        this.chunk = await this.stream.next();
        this.pos = 0;
        if (this.chunk === null) {
          this.eof = true;
          if (this.scratchLen > 0) {
            throw new TraceError(`${this.opts.path}: byte ${this.offset}: truncated ChampSim record (${this.scratchLen} of ${RECORD} bytes); the file is cut short or is not a ChampSim trace`);
          }
          break;
        }
      }
      const c = this.chunk;
      if (this.scratchLen > 0) {
        // Complete a record that straddles two chunks.
        const k = Math.min(RECORD - this.scratchLen, c.length - this.pos);
        c.copy(this.scratch, this.scratchLen, this.pos, this.pos + k);
        this.scratchLen += k;
        this.pos += k;
        if (this.scratchLen < RECORD) continue;
        n = this.record(this.scratch, 0, batch, n);
        this.scratchLen = 0;
        continue;
      }
      while (this.pos + RECORD <= c.length && n <= limit) {
        n = this.record(c, this.pos, batch, n);
        this.pos += RECORD;
      }
      if (n <= limit && this.pos < c.length && this.pos + RECORD > c.length) {
        c.copy(this.scratch, 0, this.pos, c.length);
        this.scratchLen = c.length - this.pos;
        this.pos = c.length;
      }
    }
    batch.count = n;
    return n;
  }

  private record(b: Buffer, at: number, out: AccessBatch, n: number): number {
    const rec = this.offset;
    this.offset += RECORD;
    if (b[at + 8] > 1 || b[at + 9] > 1) {
      if (this.opts.skipBad) {
        this.badRecords++;
        return n;
      }
      throw new TraceError(`${this.opts.path}: byte ${rec}: expected a ChampSim input_instr record (is_branch and branch_taken 0 or 1), found ${b[at + 8]} and ${b[at + 9]}; not a ChampSim trace, or corrupt`);
    }
    this.instr++;
    const keep = this.opts.cpu <= 0;
    for (let k = 0; k < 6; k++) {
      // source_memory[0..3] at 32.., then destination_memory[0..1] at 16..
      const off = at + (k < 4 ? 32 + 8 * k : 16 + 8 * (k - 4));
      const lo = b.readUInt32LE(off);
      const hi = b.readUInt32LE(off + 4);
      if (lo === 0 && hi === 0) continue;
      if (!keep) continue;
      const gap = this.instr * this.opts.nsPerInstruction;
      this.instr = 0;
      if (gap > MAX_GAP_NS || this.spanNs + gap > MAX_SPAN_NS) {
        if (this.opts.skipBad) {
          this.badRecords++;
          continue;
        }
        throw new TraceError(
          `${this.opts.path}: byte ${rec}: expected ${gap > MAX_GAP_NS ? GAP_EXPECTED : SPAN_EXPECTED}, ` +
            `found ${gap > MAX_GAP_NS ? `a gap of ${showNs(gap)} (instructions × trace.nsPerInstruction)` : `CPU 0 reaching ${showNs(this.spanNs + gap)}`}`,
        );
      }
      this.spanNs += gap;
      out.addrHi[n] = hi;
      out.addrLo[n] = lo;
      out.op[n] = k < 4 ? OP_READ : OP_WRITE;
      out.cpu[n] = 0;
      out.vm[n] = 0;
      out.gapNs[n] = gap;
      out.content[n] = 0;
      n++;
    }
    return n;
  }

  close(): void {
    this.stream.close();
  }
}

export const champsimFormat: TraceFormat = {
  name: 'champsim',
  summary: 'ChampSim binary trace (64-byte input_instr records), plain, .gz or .xz',
  instructionLevel: true,
  detect(head) {
    // Binary, at least one record, and every whole record in the head plausible: branch flags
    // 0/1, taken only if a branch, a non-zero user-space ip (< 2^48).
    if (head.length < RECORD) return false;
    const records = Math.min(64, Math.floor(head.length / RECORD));
    for (let r = 0; r < records; r++) {
      const at = r * RECORD;
      const isBranch = head[at + 8];
      const taken = head[at + 9];
      if (isBranch > 1 || taken > 1 || (taken === 1 && isBranch === 0)) return false;
      if (head.readUInt16LE(at + 6) !== 0 || (head.readUInt32LE(at) === 0 && head.readUInt16LE(at + 4) === 0)) return false;
    }
    return true;
  },
  open: (opts) => new ChampsimReader(opts),
};
