// Reader for valgrind lackey memory traces (`valgrind --tool=lackey --trace-mem=yes`).
// Format: valgrind's lackey/lk_main.c (trace_instr / trace_load / trace_store / trace_modify) and
// the valgrind manual, "Lackey: an example tool"; summarised in ../shared/traces/README.md:
//
//   I  0401ab70,3        instruction fetch: 'I', two spaces, hex address, ',' decimal size
//    L 1fff000a1f,32     load  (one leading space)
//    S 1fff000708,8      store
//    M 04033e06,1        modify: a load and then a store of the same bytes
//   ==12345== …          valgrind's header/footer lines (also --12345-- debug lines): skipped
//
// Mapping to accesses: L → one read, S → one write, M → a read then a write. An access that
// crosses a 64 B line boundary touches every line it covers (so one crossing a 4 KiB page touches
// both pages): one record per line, the extra ones at the line's first byte with no compute gap.
// gapNs = number of `I` lines since the previous data access × trace.nsPerInstruction.
// Lackey has no thread id (one CPU), no VM, no timestamps and no data values (content = 0).
//
// Speed: one loop over bytes per chunk, no string, no per-line call; `I` lines (two thirds of a
// trace) are only counted, their address is not parsed.

import type { ReaderOptions, TraceFormat } from './reader.ts';
import { TextReader, HEX, lineEnd } from './reader.ts';
import { OP_READ, OP_WRITE } from './batch.ts';
import { GAP_EXPECTED, MAX_ACCESS_BYTES, MAX_GAP_NS, MAX_SPAN_NS, SPAN_EXPECTED, showNs } from './limits.ts';

/** Largest access size accepted (valgrind's widest, AVX, is 32 bytes). */
const MAX_SIZE = MAX_ACCESS_BYTES;
/** Records one line can produce: M (2 ops) × lines spanned by MAX_SIZE bytes at any offset. */
const MAX_PER_LINE = 2 * (MAX_SIZE / 64 + 1);

const CH_I = 73;
const CH_L = 76;
const CH_S = 83;
const CH_M = 77;
const CH_SP = 32;
const CH_EQ = 61;
const CH_DASH = 45;
const CH_COMMA = 44;
const CH_NL = 10;
const CH_CR = 13;

export class LackeyReader extends TextReader {
  /** Instructions since the last data access. */
  private instr = 0;
  /** Simulated time of the records so far (sum of gaps), checked against MAX_SPAN_NS. */
  private spanNs = 0;
  private readonly nsPerInstr: number;

  constructor(opts: ReaderOptions) {
    super(opts);
    this.nsPerInstr = opts.nsPerInstruction;
  }

  protected parse(b: Buffer, p: number, end: number): number {
    const out = this.out;
    const addrHi = out.addrHi;
    const addrLo = out.addrLo;
    const opCol = out.op;
    const gapCol = out.gapNs;
    const cpuCol = out.cpu;
    const vmCol = out.vm;
    const contentCol = out.content;
    // Lackey is one CPU: a reader opened for another CPU yields nothing (but still parses, so
    // that bad input is reported the same way).
    const keep = this.cpuWanted <= 0;
    const limit = out.capacity - MAX_PER_LINE;
    let n = this.n;
    let instr = this.instr;
    let span = this.spanNs;
    let line = this.lineNo;
    while (p < end) {
      if (n > limit) break;
      const start = p;
      const c0 = b[p];
      line++;
      if (c0 === CH_I) {
        // Instruction fetch: count it, do not parse the address.
        if (b[p + 1] !== CH_SP || b[p + 2] !== CH_SP) {
          this.lineNo = line;
          this.n = n;
          this.bad(b, start, lineEnd(b, p) + 1, '"I  <hex address>,<size>"');
          p = lineEnd(b, p) + 1;
          continue;
        }
        instr++;
        p += 3;
        while (b[p] !== CH_NL) p++;
        p++;
        continue;
      }
      if (c0 === CH_SP) {
        const kind = b[p + 1];
        let ok = (kind === CH_L || kind === CH_S || kind === CH_M) && b[p + 2] === CH_SP;
        // Hex address, split into high and low 32 bits as digits arrive.
        let hi = 0;
        let lo = 0;
        let digits = 0;
        p += 3;
        if (ok) {
          let d: number;
          while ((d = HEX[b[p]]) >= 0) {
            hi = ((hi << 4) | (lo >>> 28)) >>> 0;
            lo = ((lo << 4) | d) >>> 0;
            digits++;
            p++;
          }
          ok = digits > 0 && digits <= 16 && b[p] === CH_COMMA;
        }
        let size = 0;
        if (ok) {
          p++;
          let c: number;
          while ((c = b[p] - 48) >= 0 && c <= 9 && size <= MAX_SIZE) {
            size = size * 10 + c;
            p++;
          }
          if (b[p] === CH_CR) p++;
          ok = size >= 1 && size <= MAX_SIZE && b[p] === CH_NL;
        }
        if (!ok) {
          this.lineNo = line;
          this.n = n;
          this.bad(b, start, lineEnd(b, start) + 1, `" L|S|M <hex address (1-16 digits)>,<size 1-${MAX_SIZE}>"`);
          p = lineEnd(b, start) + 1;
          continue;
        }
        // Lines covered beyond the first: ((lo mod 64) + size − 1) / 64.
        const extra = ((lo & 63) + size - 1) >>> 6;
        const base = (lo & ~63) >>> 0; // unsigned: `&` gives a signed int32 (see reader.ts lineBase)
        const gap = instr * this.nsPerInstr;
        // Rare cases, tested once per data line: a gap or span out of range, an access past 2^64.
        if (gap > MAX_GAP_NS || span + gap > MAX_SPAN_NS || (hi === 0xffffffff && base + 64 * extra > 0xffffffff)) {
          this.lineNo = line;
          this.n = n;
          const found = gap > MAX_GAP_NS ? `${instr} instructions × trace.nsPerInstruction = ${showNs(gap)}` :
            span + gap > MAX_SPAN_NS ? `CPU 0 reaching ${showNs(span + gap)} at this record` : `${size} bytes at the top of it`;
          this.bad(b, start, p + 1, gap > MAX_GAP_NS ? GAP_EXPECTED : span + gap > MAX_SPAN_NS ? SPAN_EXPECTED : 'an access inside the 64-bit address space', found);
          p++;
          instr = 0;
          continue;
        }
        p++;
        if (!keep) {
          instr = 0;
          continue;
        }
        instr = 0;
        span += gap;
        const ops = kind === CH_M ? 2 : 1;
        for (let k = 0; k < ops; k++) {
          const op = kind === CH_L || (kind === CH_M && k === 0) ? OP_READ : OP_WRITE;
          addrHi[n] = hi;
          addrLo[n] = lo;
          opCol[n] = op;
          gapCol[n] = k === 0 ? gap : 0;
          cpuCol[n] = 0;
          vmCol[n] = 0;
          contentCol[n] = 0;
          n++;
          for (let e = 1; e <= extra; e++) {
            // Line e after the first, with the carry into the high word.
            const next = base + 64 * e;
            addrHi[n] = next > 0xffffffff ? (hi + 1) >>> 0 : hi;
            addrLo[n] = next >>> 0;
            opCol[n] = op;
            gapCol[n] = 0;
            cpuCol[n] = 0;
            vmCol[n] = 0;
            contentCol[n] = 0;
            n++;
          }
        }
        continue;
      }
      if (c0 === CH_EQ || c0 === CH_DASH || c0 === CH_NL || c0 === CH_CR) {
        // valgrind header/footer/debug line, or an empty line.
        while (b[p] !== CH_NL) p++;
        p++;
        continue;
      }
      this.lineNo = line;
      this.n = n;
      this.bad(b, start, lineEnd(b, start) + 1, 'a lackey line ("I  addr,size", " L|S|M addr,size" or "==pid== …")');
      p = lineEnd(b, start) + 1;
    }
    this.n = n;
    this.instr = instr;
    this.spanNs = span;
    this.lineNo = line;
    return p;
  }
}

export const lackeyFormat: TraceFormat = {
  name: 'lackey',
  summary: 'valgrind --tool=lackey --trace-mem=yes output (I / L / S / M lines)',
  instructionLevel: true,
  detect(head) {
    const text = head.toString('latin1', 0, Math.min(head.length, 4096));
    return /^(==\d+== |I  [0-9a-fA-F]+,\d+| [LSM] [0-9a-fA-F]+,\d+)/m.test(text) && !/[\x00-\x08]/.test(text);
  },
  open: (opts) => new LackeyReader(opts),
};
