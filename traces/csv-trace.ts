// Reader for CSV access traces with a header: what users export from their own tools, and the
// CSV that `perf mem report -D -x,` writes. Documented in traces/FORMAT.md "CSV".
//
// Columns (any order, names case-insensitive, a leading '#' on the header ignored):
//   addr     required: 0x-hex or decimal, full 64-bit
//   op       R/W, r/w, read/write, load/store, L/S, 0/1, or M (a read then a write); default read
//   time     timestamp in ns; the gap is the time since this CPU's previous record
//   gap      compute time before the access in ns (wins over time)
//   cpu      thread / CPU id (any integers; numbered densely in order of first appearance)
//   vm       virtual machine number (0–65535)
//   size     bytes; an access crossing a 64 B line becomes one record per line
//   content  content fingerprint (0x-hex or decimal, 32 bits)
//   type     page type of addr's pages: anon, shmem, file, file-ro, cache (empty = not said); the
//            types become the run's region map before it starts (traces/csv-types.ts), so the
//            records themselves carry nothing more
//   buf      user buffer address of a read()/write() copy: op `fread` (page-cache page → buffer:
//            each 64 B line a read of addr, then a write of buf) or `fwrite` (buffer → page cache:
//            a read of buf, then a write of addr); size ≤ 4096 (the kernel copies a folio at a
//            time, filemap_read / generic_perform_write). addr's pages are page cache (type cache
//            unless the type column says otherwise). Expanded here, so the engine sees plain reads
//            and writes.
// perf mem -D columns: PID (ignored), TID (→ cpu), IP, SYMBOL, LOCAL WEIGHT (ignored: the engine's
// cost model gives latency), DSRC (PERF_MEM_OP bits of perf_event.h: STORE 0x4 → write, else read),
// ADDR (→ addr).
// Fields are split at commas; quoted fields are not supported (a quote in a used column is an
// error), text in trailing unused columns (perf's SYMBOL) may contain anything.

import type { TraceFormat } from './reader.ts';
import { LineReader, ADDR, CpuIds, HEX, TOK_END, TOK_START, crossesTop, extraLines, lineBase, parseAddress, parseDecimal, tokenize, trimEol } from './reader.ts';
import { OP_READ, OP_WRITE } from './batch.ts';
import { TraceError, cut } from './open.ts';
import { MAX_ACCESS_BYTES, MAX_SPAN_NS, gapInRange, threadIdInRange } from './limits.ts';

const COL_ADDR = 0;
const COL_OP = 1;
const COL_TIME = 2;
const COL_GAP = 3;
const COL_CPU = 4;
const COL_VM = 5;
const COL_SIZE = 6;
const COL_CONTENT = 7;
const COL_DSRC = 8;
const COL_TYPE = 9;
const COL_BUF = 10;
const COL_IGNORED = -1;

/** The value of the decimal digits decimalRun read last (a slot, so that the hot parse returns no pair). */
const DEC = new Float64Array(1);
/** Decimal digits from b[p] on, accumulated as parseDecimal does: the value in DEC[0]; returns the index after them. */
function decimalRun(b: Uint8Array, p: number): number {
  let v = 0;
  let d: number;
  while ((d = b[p] - 48) >= 0 && d <= 9) {
    v = v * 10 + d;
    p++;
  }
  DEC[0] = v;
  return p;
}

export const CSV_COLUMNS: Record<string, number> = {
  addr: COL_ADDR, op: COL_OP, time: COL_TIME, gap: COL_GAP, cpu: COL_CPU, vm: COL_VM, size: COL_SIZE, content: COL_CONTENT, type: COL_TYPE, buf: COL_BUF,
};

/** Page type names of the type column: sim/page-types.ts pageTypeOf's names. */
export const CSV_PAGE_TYPES = ['anon', 'shmem', 'file', 'file-ro', 'cache'] as const;
/** Index of the page-cache type in CSV_PAGE_TYPES (what fread/fwrite make addr's pages by default). */
export const CSV_TYPE_CACHE = 4;

/** The type field b[s, e): an index into CSV_PAGE_TYPES, -1 when empty (not said), -2 when not a type name. */
export function csvPageType(b: Buffer, s: number, e: number): number {
  if (s === e) return -1;
  const word = b.toString('latin1', s, e).toLowerCase();
  return (CSV_PAGE_TYPES as readonly string[]).indexOf(word) >= 0 ? (CSV_PAGE_TYPES as readonly string[]).indexOf(word) : -2;
}

/** Op codes opCode returns beyond read (0), write (1) and modify (2): a read() or a write() copy. */
export const OPC_FREAD = 3;
export const OPC_FWRITE = 4;
/** Largest fread/fwrite copy of one record: one 4 KiB page. */
export const MAX_COPY_BYTES = 4096;
/** perf mem report -D -x, header names. */
const PERF_MEM_COLUMNS: Record<string, number> = {
  pid: COL_IGNORED, tid: COL_CPU, ip: COL_IGNORED, 'local weight': COL_IGNORED, weight: COL_IGNORED, dsrc: COL_DSRC, symbol: COL_IGNORED,
};

/** PERF_MEM_OP_STORE in the low bits of perf_mem_data_src (include/uapi/linux/perf_event.h). */
const PERF_MEM_OP_STORE = 4;

export class CsvReader extends LineReader {
  // M: 2 × (size ≤ 256 spans ≤ 5 lines); with a buf column (fread/fwrite) 2 × (a 4 KiB copy spans ≤ 65 lines).
  protected maxPerLine = 2 * 5;
  private colOf = new Int32Array(11).fill(-1);
  private usedCols = 0;
  private headerSeen = false;
  private readonly cpus = new CpuIds();
  /** Last timestamp per dense CPU (for gaps from `time`). */
  private lastTime = new Float64Array(16).fill(NaN);
  /**
   * The fast path (fastLine) is on once the header is read, unless it names a column the fast path
   * leaves to parseLine (type, buf, DSRC). kinds[i]: the column of field i (COL_IGNORED for perf's).
   */
  private fast = false;
  private kinds = new Int8Array(0);
  /** The raw cpu id of the last record the fast path took, and its dense number. */
  private lastCpuRaw = NaN;
  private lastCpuDense = 0;

  /**
   * Whole chunks of lines: each line through fastLine, and through parseLine (the reference,
   * with every check and message) when fastLine leaves it. Speed trick: parseLine splits a line
   * into fields first (tokenize) and then parses each field again, with a call per field and per
   * line; fastLine reads each byte once, fields straight into numbers.
   */
  protected override parse(b: Buffer, p: number, end: number): number {
    while (p < end) {
      if (!this.roomForLine()) break;
      if (this.fast) {
        const q = this.fastLine(b, p);
        if (q >= 0) {
          p = q;
          continue;
        }
      }
      p = this.parseOneLine(b, p);
    }
    return p;
  }

  /**
   * One line of the common shape, parsed in one pass: fields without spaces or quotes, addresses
   * in 0x-hex (≤ 16 digits) or decimal (≤ 15 digits), numbers in plain digits, one-letter or word
   * ops, and every value in range. Returns where the next line starts, or -1, having changed
   * nothing, for any line it does not take whole (a blank line, anything unusual, anything bad):
   * parseLine then parses it, so that what a line means and every error message stay one code's.
   */
  private fastLine(b: Buffer, p: number): number {
    const kinds = this.kinds;
    const used = this.usedCols;
    let hi = 0;
    let lo = 0;
    let op = OP_READ;
    let modify = false;
    let cpuRaw = 0;
    let vm = 0;
    let size = 1;
    let content = 0;
    let gapField = 0;
    let t = 0;
    for (let i = 0; ; ) {
      const k = kinds[i];
      const s = p;
      if (k === COL_ADDR) {
        if (b[p] === 48 && (b[p + 1] | 32) === 120) {
          p += 2;
          let d: number;
          while ((d = HEX[b[p]]) >= 0) {
            hi = ((hi << 4) | (lo >>> 28)) >>> 0;
            lo = ((lo << 4) | d) >>> 0;
            p++;
          }
          if (p === s + 2 || p - s > 18) return -1; // no digits, or more than 16 (leading zeros: parseLine)
        } else {
          p = decimalRun(b, p);
          const v = DEC[0];
          if (p === s || p - s > 15) return -1; // exact in a double up to 15 digits
          hi = Math.floor(v / 4294967296);
          lo = v >>> 0;
        }
      } else if (k === COL_OP) {
        let c = b[p];
        while (c !== 44 && c !== 10 && c !== 13) c = b[++p];
        const o = p - s === 1 ? opLetter(b[s]) : opCode(b, s, p);
        if (o < 0 || o >= OPC_FREAD) return -1;
        op = o === 2 ? OP_READ : o;
        modify = o === 2;
      } else if (k === COL_IGNORED) {
        let c = b[p];
        while (c !== 44 && c !== 10) c = b[++p];
      } else if (k === COL_CONTENT) {
        let c = b[p];
        while (c !== 44 && c !== 10 && c !== 13) c = b[++p];
        if (!parseAddress(b, s, p, false) || ADDR[0] !== 0) return -1;
        content = ADDR[1];
      } else {
        // time, gap, cpu, vm, size: plain digits, accumulated as parseDecimal does.
        p = decimalRun(b, p);
        const v = DEC[0];
        if (p === s) return -1;
        if (k === COL_TIME) t = v;
        else if (k === COL_GAP) gapField = v;
        else if (k === COL_CPU) cpuRaw = v;
        else if (k === COL_VM) vm = v;
        else size = v;
      }
      const c = b[p];
      if (++i === used) {
        if (c === 44) while (b[p] !== 10) p++; // trailing unused fields: anything
        else if (c === 13 && b[p + 1] === 10) p++;
        else if (c !== 10) return -1;
        p++;
        break;
      }
      if (c !== 44) return -1; // a space, a quote, an unexpected byte, or too few fields
      p++;
    }
    // Range checks, as parseLine makes them; any failure goes back to parseLine for its message.
    const col = this.colOf;
    let cpu = 0;
    if (col[COL_CPU] >= 0) {
      if (!threadIdInRange(cpuRaw)) return -1;
      if (cpuRaw === this.lastCpuRaw) cpu = this.lastCpuDense;
      else {
        cpu = this.cpus.peek(cpuRaw);
        if (cpu < 0) return -1; // a new thread: parseLine numbers it
      }
    }
    if (vm >= 65536 || size < 1 || size > MAX_ACCESS_BYTES) return -1;
    let gap = gapField;
    const hasTime = col[COL_TIME] >= 0;
    if (hasTime) {
      if (!(t < Infinity) || cpu >= this.lastTime.length) return -1;
      const prev = this.lastTime[cpu];
      if (t < prev) return -1;
      if (col[COL_GAP] < 0 && prev === prev) gap = t - prev;
    }
    if (!gapInRange(gap) || cpu >= this.spanNs.length || this.spanNs[cpu] + gap > MAX_SPAN_NS || crossesTop(hi, lo, size)) return -1;
    // Taken: the same state changes and records as parseLine.
    this.lineNo++;
    this.lastCpuRaw = cpuRaw;
    this.lastCpuDense = cpu;
    this.spanNs[cpu] += gap;
    if (hasTime) this.lastTime[cpu] = t;
    if (modify) {
      this.emitSized(cpu, vm, hi, lo, size, OP_READ, gap, content);
      this.emitSized(cpu, vm, hi, lo, size, OP_WRITE, 0, content);
    } else {
      this.emitSized(cpu, vm, hi, lo, size, op, gap, content);
    }
    return p;
  }

  protected parseLine(b: Buffer, s: number, e: number): void {
    if (s === e) return; // blank line
    if (!this.headerSeen) {
      this.header(b, s, e);
      return;
    }
    const nTok = tokenize(b, s, e, 44);
    if (nTok < this.usedCols) {
      this.bad(b, s, e, `${this.usedCols} comma-separated fields as in the header`);
      return;
    }
    const col = this.colOf;
    const ai = col[COL_ADDR];
    if (!parseAddress(b, TOK_START[ai], TOK_END[ai], false)) {
      this.bad(b, s, e, 'an address (0x-hex or decimal, ≤ 64 bits) in column addr');
      return;
    }
    const hi = ADDR[0];
    const lo = ADDR[1];
    let op = OP_READ;
    let modify = false;
    /** 0, or OPC_FREAD / OPC_FWRITE: a read()/write() copy between addr and buf. */
    let copy = 0;
    const oi = col[COL_OP];
    if (oi >= 0) {
      const k = opCode(b, TOK_START[oi], TOK_END[oi]);
      if (k < 0) {
        this.bad(b, s, e, 'op R, W, M, read, write, load, store, L, S, 0, 1, fread or fwrite');
        return;
      }
      if (k >= OPC_FREAD) {
        copy = k;
        if (col[COL_BUF] < 0) {
          this.bad(b, s, e, `a buf column (the user buffer of op ${k === OPC_FREAD ? 'fread' : 'fwrite'}) in the header`);
          return;
        }
      }
      op = k === 2 || k >= OPC_FREAD ? OP_READ : k;
      modify = k === 2;
    }
    const yi = col[COL_TYPE];
    if (yi >= 0 && csvPageType(b, TOK_START[yi], TOK_END[yi]) === -2) {
      this.bad(b, s, e, `a page type (${CSV_PAGE_TYPES.join(', ')}) or nothing in column type`);
      return;
    }
    let bufHi = 0;
    let bufLo = 0;
    if (copy !== 0) {
      const bi = col[COL_BUF];
      if (!parseAddress(b, TOK_START[bi], TOK_END[bi], false)) {
        this.bad(b, s, e, 'a buffer address (0x-hex or decimal, ≤ 64 bits) in column buf');
        return;
      }
      bufHi = ADDR[0];
      bufLo = ADDR[1];
    }
    const di = col[COL_DSRC];
    if (di >= 0) {
      if (!parseAddress(b, TOK_START[di], TOK_END[di], false)) {
        this.bad(b, s, e, 'a data source (hex perf_mem_data_src) in column DSRC');
        return;
      }
      if (ADDR[1] & PERF_MEM_OP_STORE) op = OP_WRITE;
    }
    let cpu = 0;
    let cpuRaw = NaN;
    const ci = col[COL_CPU];
    if (ci >= 0) {
      cpuRaw = parseDecimal(b, TOK_START[ci], TOK_END[ci]);
      if (!threadIdInRange(cpuRaw)) {
        this.bad(b, s, e, 'an integer thread/CPU id (below 2^53) in column cpu');
        return;
      }
      // A new thread gets the next number only once its record is kept (below): a skipped record numbers nothing.
      cpu = this.cpus.peek(cpuRaw);
      if (cpu < 0) cpu = this.cpus.size;
    }
    let vm = 0;
    const vi = col[COL_VM];
    if (vi >= 0) {
      vm = parseDecimal(b, TOK_START[vi], TOK_END[vi]);
      if (!(Number.isInteger(vm) && vm >= 0 && vm < 65536)) {
        this.bad(b, s, e, 'a vm number 0–65535 in column vm');
        return;
      }
    }
    let size = 1;
    const si = col[COL_SIZE];
    if (si >= 0) {
      size = parseDecimal(b, TOK_START[si], TOK_END[si]);
      const max = copy !== 0 ? MAX_COPY_BYTES : MAX_ACCESS_BYTES;
      if (!(Number.isInteger(size) && size >= 1 && size <= max)) {
        this.bad(b, s, e, copy !== 0 ? `a size 1–${MAX_COPY_BYTES} in column size (one page per fread/fwrite record)` : `a size 1–${MAX_ACCESS_BYTES} in column size`);
        return;
      }
    }
    let content = 0;
    const ki = col[COL_CONTENT];
    if (ki >= 0) {
      if (!parseAddress(b, TOK_START[ki], TOK_END[ki], false) || ADDR[0] !== 0) {
        this.bad(b, s, e, 'a 32-bit content fingerprint in column content');
        return;
      }
      content = ADDR[1];
    }
    let gap = 0;
    const gi = col[COL_GAP];
    const ti = col[COL_TIME];
    if (gi >= 0) {
      gap = parseDecimal(b, TOK_START[gi], TOK_END[gi]);
      if (gap !== gap) {
        this.bad(b, s, e, 'a gap in ns in column gap');
        return;
      }
    }
    let t = NaN;
    if (ti >= 0) {
      t = parseDecimal(b, TOK_START[ti], TOK_END[ti]);
      if (!(t >= 0 && t < Infinity)) {
        this.bad(b, s, e, 'a timestamp ≥ 0 (ns, finite) in column time');
        return;
      }
      if (cpu >= this.lastTime.length) {
        const grown = new Float64Array(Math.max(cpu + 1, this.lastTime.length * 2)).fill(NaN);
        grown.set(this.lastTime);
        this.lastTime = grown;
      }
      const prev = this.lastTime[cpu];
      if (t < prev) {
        this.bad(b, s, e, `a timestamp ≥ the previous one of this cpu (${prev})`);
        return;
      }
      if (gi < 0 && prev === prev) gap = t - prev;
    }
    // gapOk last: it adds the gap to the CPU's span, which a record skipped after it must not have done.
    if (!this.sizeFits(hi, lo, size) || (copy !== 0 && !this.sizeFits(bufHi, bufLo, size))) return;
    if (!this.gapOk(cpu, gap, gi >= 0 ? 'a gap of' : 'a time since this cpu\'s previous record of')) return;
    if (ci >= 0) this.cpus.of(cpuRaw);
    if (ti >= 0) this.lastTime[cpu] = t;
    if (copy !== 0) {
      // fread: the page-cache page is the source, the buffer the destination; fwrite the reverse.
      if (copy === OPC_FREAD) this.emitCopy(cpu, vm, hi, lo, bufHi, bufLo, size, gap);
      else this.emitCopy(cpu, vm, bufHi, bufLo, hi, lo, size, gap);
    } else if (modify) {
      this.emitSized(cpu, vm, hi, lo, size, OP_READ, gap, content);
      this.emitSized(cpu, vm, hi, lo, size, OP_WRITE, 0, content);
    } else {
      this.emitSized(cpu, vm, hi, lo, size, op, gap, content);
    }
  }

  /**
   * A copy of `size` bytes from (sHi, sLo) to (dHi, dLo), as copy_to_user / copy_from_user do it:
   * line by line, each source line read then the matching destination line written (when the two
   * are aligned differently, the one covering more lines goes on alone at the end). The gap goes
   * to the first record.
   */
  private emitCopy(cpu: number, vm: number, sHi: number, sLo: number, dHi: number, dLo: number, size: number, gap: number): void {
    const srcLines = extraLines(sLo, size) + 1;
    const dstLines = extraLines(dLo, size) + 1;
    const s0 = lineBase(sLo);
    const d0 = lineBase(dLo);
    for (let k = 0; k < srcLines || k < dstLines; k++) {
      if (k < srcLines) {
        const a = s0 + 64 * k;
        this.emit(cpu, vm, a > 0xffffffff ? (sHi + 1) >>> 0 : sHi, a >>> 0, OP_READ, k === 0 ? gap : 0, 0);
      }
      if (k < dstLines) {
        const a = d0 + 64 * k;
        this.emit(cpu, vm, a > 0xffffffff ? (dHi + 1) >>> 0 : dHi, a >>> 0, OP_WRITE, 0, 0);
      }
    }
  }

  private header(b: Buffer, s: number, e: number): void {
    let p = s;
    while (p < e && (b[p] === 35 || b[p] === 32)) p++; // '# PID, TID, …'
    const n = tokenize(b, p, e, 44);
    const seen = new Set<number>();
    let used = 0;
    for (let i = 0; i < n; i++) {
      const name = b.toString('latin1', TOK_START[i], TOK_END[i]).trim().toLowerCase();
      const c = name in CSV_COLUMNS ? CSV_COLUMNS[name] : name in PERF_MEM_COLUMNS ? PERF_MEM_COLUMNS[name] : undefined;
      if (c === undefined) {
        throw new TraceError(
          `${this.opts.path}:${this.lineNo}: expected a CSV header of known columns, found column "${cut(name, 40)}". ` +
            `Valid columns: ${Object.keys(CSV_COLUMNS).join(', ')} (perf mem -D: ${Object.keys(PERF_MEM_COLUMNS).join(', ')}, addr)`,
        );
      }
      if (c === COL_IGNORED) continue;
      if (seen.has(c)) throw new TraceError(`${this.opts.path}:${this.lineNo}: column "${name}" given twice in the header`);
      seen.add(c);
      this.colOf[c] = i;
      used = i + 1;
    }
    if (this.colOf[COL_ADDR] < 0) {
      throw new TraceError(`${this.opts.path}:${this.lineNo}: expected a header with an addr column, found "${cut(b.toString('latin1', s, e))}"`);
    }
    this.usedCols = used;
    this.headerSeen = true;
    this.kinds = new Int8Array(used).fill(COL_IGNORED);
    for (let c = 0; c < this.colOf.length; c++) if (this.colOf[c] >= 0) this.kinds[this.colOf[c]] = c;
    this.fast = this.colOf[COL_TYPE] < 0 && this.colOf[COL_BUF] < 0 && this.colOf[COL_DSRC] < 0;
    if (this.colOf[COL_BUF] >= 0) this.maxPerLine = 2 * (MAX_COPY_BYTES / 64 + 1);
  }
}

/** opCode of a one-letter op c (r, l, 0 / w, s, 1 / m, any case). */
function opLetter(c: number): number {
  const l = c | 32; // lower case
  if (l === 114 || l === 108 || c === 48) return 0;
  if (l === 119 || l === 115 || c === 49) return 1;
  if (l === 109) return 2;
  return -1;
}

/** 0 read, 1 write, 2 modify (read then write), OPC_FREAD, OPC_FWRITE, -1 unknown. */
export { opCode as csvOpCode };
function opCode(b: Buffer, s: number, e: number): number {
  const len = e - s;
  if (len === 0) return -1;
  const c = b[s] | 32; // lower case
  if (len === 1) {
    if (c === 114 || c === 108 || b[s] === 48) return 0; // r, l, 0
    if (c === 119 || c === 115 || b[s] === 49) return 1; // w, s, 1
    if (c === 109) return 2; // m
    return -1;
  }
  const word = b.toString('latin1', s, e).toLowerCase();
  if (word === 'read' || word === 'load') return 0;
  if (word === 'write' || word === 'store') return 1;
  if (word === 'modify') return 2;
  if (word === 'fread') return OPC_FREAD;
  if (word === 'fwrite') return OPC_FWRITE;
  return -1;
}

export const csvFormat: TraceFormat = {
  name: 'csv',
  summary: 'CSV with a header (columns addr, op, time, gap, cpu, vm, size, content, type, buf), or perf mem report -D -x, output',
  instructionLevel: false,
  detect(head) {
    const nl = head.indexOf(10);
    const first = head.toString('latin1', 0, nl < 0 ? Math.min(head.length, 512) : trimEol(head, 0, nl + 1)).replace(/^[#\s]+/, '').toLowerCase();
    if (!first.includes(',')) return false;
    const names = first.split(',').map((x) => x.trim());
    // Any comma-separated header naming an addr column: the reader then checks every column name.
    return names.includes('addr');
  },
  open: (opts) => new CsvReader(opts),
};
