// Reader for DynamoRIO drmemtrace traces as text: the output of the drcachesim `view` tool
// (`drrun -t drcachesim -indir DIR -simulator_type view`). Format: DynamoRIO docs,
// "sec_drcachesim_format" and clients/drcachesim/tools/view.cpp. Three layouts are accepted:
//
//   <record#> <instr#>: <tid> ifetch  6 byte(s) @ 0x0000000000404a78 0f 84 …     (view, v5+)
//   <record#>: T<tid> read   8 byte(s) @ 0x00007f8881e37c70 by PC 0x…               (view, v4)
//   T<tid>     read  8 byte(s) @ 0x7fff9f5fd9b0                                       (older view)
//   T<tid>   0x0000000000467c45  4c 8b 54 24 08   mov …                              (older: an instruction)
//
// Mapping: `read` → a read, `write` → a write (one record per 64 B line covered); `ifetch` /
// instruction lines count instructions for the gap (instructions since the thread's previous
// data access × trace.nsPerInstruction); markers, prefetches, flushes, headers and separators are
// skipped. Threads are CPUs numbered densely by first appearance. Instruction-level: LLC filter on.

import type { TraceFormat } from './reader.ts';
import { LineReader, ADDR, CpuIds, TOK_END, TOK_START, bytesEqual, parseAddress, parseDecimal, tokenize } from './reader.ts';
import { OP_READ, OP_WRITE } from './batch.ts';
import { MAX_ACCESS_BYTES, threadIdInRange } from './limits.ts';

export class DrmemtraceReader extends LineReader {
  protected readonly maxPerLine = 5;
  private readonly cpus = new CpuIds();
  private instr = new Float64Array(16);

  protected parseLine(b: Buffer, s: number, e: number): void {
    const n = tokenize(b, s, e);
    if (n === 0) return;
    const c0 = b[TOK_START[0]];
    // Separators, "Output format:", column legend and view's summary lines.
    if (c0 === 45 || c0 === 60 || bytesEqual(b, TOK_START[0], TOK_END[0], 'Output')) return;
    // Find the thread id token: "T<tid>" or the token after "<record#> [<instr#>]:".
    let i = 0;
    let tid = NaN;
    if (c0 === 84) {
      tid = parseDecimal(b, TOK_START[0] + 1, TOK_END[0]);
      i = 1;
    } else {
      for (let k = 0; k < Math.min(n, 3); k++) {
        if (b[TOK_END[k] - 1] === 58) {
          const a = TOK_START[k + 1];
          tid = b[a] === 84 ? parseDecimal(b, a + 1, TOK_END[k + 1]) : parseDecimal(b, a, TOK_END[k + 1]);
          i = k + 2;
          break;
        }
      }
    }
    if (!threadIdInRange(tid) || i >= n) {
      if (threadIdInRange(tid)) return; // a record with no details
      this.bad(b, s, e, 'a view line "<record#> [<instr#>]: [T]<tid> <record>" or "T<tid> <record>" (tid an integer below 2^53)');
      return;
    }
    const cpu = this.cpus.of(tid);
    if (cpu >= this.instr.length) {
      const g = new Float64Array(Math.max(cpu + 1, this.instr.length * 2));
      g.set(this.instr);
      this.instr = g;
    }
    const a = TOK_START[i];
    const z = TOK_END[i];
    if (b[a] === 60) return; // <marker: …>
    if (bytesEqual(b, a, z, 'ifetch') || bytesEqual(b, a, z, 'instr') || (b[a] === 48 && b[a + 1] === 120)) {
      this.instr[cpu]++;
      return;
    }
    const isRead = bytesEqual(b, a, z, 'read');
    if (!isRead && !bytesEqual(b, a, z, 'write')) {
      // prefetch, flush, non-fetched instructions, thread exits…: no demand access to memory.
      return;
    }
    // "<size> byte(s) @ <addr>"
    if (i + 4 >= n || !bytesEqual(b, TOK_START[i + 2], TOK_END[i + 2], 'byte(s)') || !bytesEqual(b, TOK_START[i + 3], TOK_END[i + 3], '@')) {
      this.bad(b, s, e, '"read|write <size> byte(s) @ 0x<address>"');
      return;
    }
    const size = parseDecimal(b, TOK_START[i + 1], TOK_END[i + 1]);
    if (!(Number.isInteger(size) && size >= 1 && size <= MAX_ACCESS_BYTES)) {
      this.bad(b, s, e, `a size 1–${MAX_ACCESS_BYTES} before "byte(s)"`);
      return;
    }
    // The address: "0x" and hex digits; the layouts with record numbers (v4+) pad it to 16 digits,
    // so a shorter one there is a cut line (a line cut after "@ 0" would otherwise read as address 0).
    const a0 = TOK_START[i + 4];
    const a1 = TOK_END[i + 4];
    const padded = c0 !== 84;
    if (!(b[a0] === 48 && b[a0 + 1] === 120 && (padded ? a1 - a0 === 18 : a1 - a0 > 2)) || !parseAddress(b, a0, a1, true)) {
      this.bad(b, s, e, padded ? 'a 16-digit hex address "0x…" after "@" (the line is cut?)' : 'a hex address "0x…" after "@"');
      return;
    }
    const instr = this.instr[cpu];
    const gap = instr * this.opts.nsPerInstruction;
    this.instr[cpu] = 0;
    if (!this.sizeFits(ADDR[0], ADDR[1], size) || !this.gapOk(cpu, gap, `${instr} instructions × trace.nsPerInstruction =`)) return; // gapOk last: it counts the gap
    this.emitSized(cpu, 0, ADDR[0], ADDR[1], size, isRead ? OP_READ : OP_WRITE, gap, 0);
  }
}

export const drmemtraceFormat: TraceFormat = {
  name: 'drmemtrace',
  summary: 'DynamoRIO drmemtrace as text (drcachesim -simulator_type view output)',
  instructionLevel: true,
  detect(head) {
    const text = head.toString('latin1', 0, Math.min(head.length, 8192));
    return /(^|\n)\s*(\d+\s+)?\d*:?\s*T?\d+\s+(ifetch|read|write)\s+\d+ byte\(s\) @ 0x[0-9a-f]+/.test(text) || /<marker: (version|filetype|timestamp)/.test(text);
  },
  open: (opts) => new DrmemtraceReader(opts),
};
