// The contract between a trace format and the rest of traces/: a format opens one sequential
// reader over the file, which fills AccessBatch columns in place. A reader opened for one CPU
// (`cpu` ≥ 0) keeps only that CPU's records; `cpu` = -1 keeps all (pre-pass, stats, convert).
// Text formats share TextReader below: it turns a stream of decompressed chunks into whole lines
// without copying chunks, and hands each format a byte range to parse in one tight loop.

import type { AccessBatch } from './batch.ts';
import { ByteStream, TraceError, cut } from './open.ts';
import { GAP_EXPECTED, MAX_SPAN_NS, SPAN_EXPECTED, gapInRange, showNs } from './limits.ts';

export interface ReaderOptions {
  path: string;
  /** Keep only this CPU's records; -1 = all. */
  cpu: number;
  /** Skip and count malformed records instead of stopping. */
  skipBad: boolean;
  /** Compute time per instruction, for instruction-level traces (lackey, drmemtrace, ChampSim). */
  nsPerInstruction: number;
}

export interface TraceReader {
  /** Fill `batch` (from 0); resolve to the count; 0 = end of the stream. */
  fill(batch: AccessBatch): number | Promise<number>;
  close(): void;
  /** Malformed records skipped so far (only with skipBad). */
  readonly badRecords: number;
}

export interface TraceFormat {
  name: string;
  summary: string;
  /** Every load and store of the program (→ LLC filter on by default), not LLC-miss samples. */
  instructionLevel: boolean;
  /** Does this decompressed head look like this format? */
  detect(head: Buffer, path: string): boolean;
  open(opts: ReaderOptions): TraceReader | Promise<TraceReader>;
}

/** Longest line accepted before a file is called "not a text trace". */
const MAX_LINE = 1 << 20;

/**
 * Line-oriented reader over a ByteStream. Subclasses implement `parse(buf, start, end)`: parse
 * whole lines in buf[start, end) (end is just after a '\n'), write records through `emit…` into
 * `this.out` at `this.n`, count lines in `this.lineNo`, and return where they stopped — before a
 * line whose records might not fit (`this.room(k)`), else `end`.
 * A line split across two chunks is assembled in a small carry buffer and parsed on its own, so
 * chunks are never concatenated.
 */
export abstract class TextReader implements TraceReader {
  badRecords = 0;
  protected out!: AccessBatch;
  protected n = 0;
  /** Lines consumed so far (1-based number of the line being parsed = lineNo after increment). */
  protected lineNo = 0;
  protected readonly stream: ByteStream;
  protected readonly cpuWanted: number;
  protected readonly skipBad: boolean;
  private cur: Buffer | null = null;
  private pos = 0;
  private lim = 0;
  private carry = Buffer.alloc(4096);
  private carryLen = 0;
  private carryReady = false;
  private eof = false;
  private done = false;

  constructor(protected readonly opts: ReaderOptions) {
    // Chunks are parsed whole (a line cut at a chunk's end is copied out) before the next is asked for.
    this.stream = new ByteStream(opts.path, true);
    this.cpuWanted = opts.cpu;
    this.skipBad = opts.skipBad;
  }

  protected abstract parse(buf: Buffer, start: number, end: number): number;

  async fill(batch: AccessBatch): Promise<number> {
    this.out = batch;
    this.n = 0;
    while (!this.done) {
      if (this.carryReady) {
        if (this.parse(this.carry, 0, this.carryLen) === 0) break; // batch full before this line
        this.carryReady = false;
        this.carryLen = 0;
        continue;
      }
      if (this.cur !== null) {
        if (this.pos < this.lim) {
          this.pos = this.parse(this.cur, this.pos, this.lim);
          if (this.pos < this.lim) break; // batch full
          continue;
        }
        // Keep the partial last line for the next chunk.
        this.append(this.cur, this.lim, this.cur.length);
        this.cur = null;
      }
      if (this.eof) {
        if (this.carryLen > 0) {
          this.append(NEWLINE, 0, 1); // a last line without '\n'
          this.carryReady = true;
          continue;
        }
        this.done = true;
        break;
      }
      const chunk = await this.stream.next();
      if (chunk === null) {
        this.eof = true;
        continue;
      }
      const first = chunk.indexOf(10);
      if (first < 0) {
        this.append(chunk, 0, chunk.length);
        continue;
      }
      if (this.carryLen > 0) {
        this.append(chunk, 0, first + 1);
        this.carryReady = true;
        this.pos = first + 1;
      } else {
        this.pos = 0;
      }
      this.cur = chunk;
      this.lim = chunk.lastIndexOf(10) + 1;
    }
    batch.count = this.n;
    return this.n;
  }

  private append(src: Buffer, from: number, to: number): void {
    const len = to - from;
    if (len <= 0) return;
    if (this.carryLen + len > this.carry.length) {
      if (this.carryLen + len > MAX_LINE) {
        throw new TraceError(`${this.opts.path}:${this.lineNo + 1}: expected a text line, found more than ${MAX_LINE} bytes without a newline; is this a text trace of the right format?`);
      }
      const bigger = Buffer.alloc(Math.max(this.carry.length * 2, this.carryLen + len));
      this.carry.copy(bigger, 0, 0, this.carryLen);
      this.carry = bigger;
    }
    src.copy(this.carry, this.carryLen, from, to);
    this.carryLen += len;
  }

  /** Room for k more records in the batch. */
  protected room(k: number): boolean {
    return this.n + k <= this.out.capacity;
  }

  /**
   * A malformed line [start, end): with skipBad count it and go on; otherwise stop with
   * `file:line: expected …, found "…"`.
   */
  protected bad(buf: Buffer, start: number, end: number, expected: string, found?: string): void {
    if (this.skipBad) {
      this.badRecords++;
      return;
    }
    let e = end;
    if (e > start && buf[e - 1] === 10) e--;
    if (e > start && buf[e - 1] === 13) e--;
    const text = `"${cut(buf.toString('latin1', start, Math.min(e, start + 200)))}"`;
    throw new TraceError(`${this.opts.path}:${this.lineNo}: expected ${expected}, found ${found ? `${found} in ${text}` : text}`);
  }

  close(): void {
    this.stream.close();
  }
}

const NEWLINE = Buffer.from('\n');

/**
 * Splitting an access at 64 B lines. `lo & ~63` is a *signed* 32-bit result in JS (0xffffffc0 & ~63
 * = -64), so the line base is made unsigned first; the carry out of the low word (an access
 * crossing a 4 GiB boundary) then shows as a value > 0xffffffff and goes into the high word.
 */
export function lineBase(lo: number): number {
  return (lo & ~63) >>> 0;
}

/** Lines an access of `size` bytes starting at low word `lo` covers beyond its first. */
export function extraLines(lo: number, size: number): number {
  return size > 1 ? ((lo & 63) + size - 1) >>> 6 : 0;
}

/** Would the access's last line lie past 2^64 (high word 0xffffffff and the low word carrying out)? */
export function crossesTop(hi: number, lo: number, size: number): boolean {
  return hi === 0xffffffff && lineBase(lo) + 64 * extraLines(lo, size) > 0xffffffff;
}

/** Hex digit values; -1 for anything else. */
export const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

/** End of the line starting at p (index of its '\n'). */
export function lineEnd(buf: Buffer, p: number): number {
  while (buf[p] !== 10) p++;
  return p;
}

/**
 * Parse an address field b[s, e): hex with 0x prefix (or bare hex when `bareHex`), else decimal.
 * Result in ADDR[0] (high 32 bits) and ADDR[1] (low 32 bits); returns false if malformed or > 64 bits.
 * A module-level result array instead of an object, so a parse allocates nothing.
 */
export const ADDR = new Uint32Array(2);
export function parseAddress(b: Buffer, s: number, e: number, bareHex: boolean): boolean {
  if (s >= e) return false;
  let hex = bareHex;
  if (e - s > 2 && b[s] === 48 && (b[s + 1] === 120 || b[s + 1] === 88)) {
    hex = true;
    s += 2;
  }
  let hi = 0;
  let lo = 0;
  if (hex) {
    if (e - s > 16) {
      // Allow leading zeros beyond 16 digits (drmemtrace pads to 16, some tools to more).
      while (e - s > 16 && b[s] === 48) s++;
      if (e - s > 16) return false;
    }
    for (let p = s; p < e; p++) {
      const d = HEX[b[p]];
      if (d < 0) return false;
      hi = ((hi << 4) | (lo >>> 28)) >>> 0;
      lo = ((lo << 4) | d) >>> 0;
    }
  } else {
    // Decimal: accumulate in two 32-bit halves (x·10 + d with carry), exact for any 64-bit value.
    for (let p = s; p < e; p++) {
      const d = b[p] - 48;
      if (d < 0 || d > 9) return false;
      const loTimes = lo * 10 + d;
      const carry = Math.floor(loTimes / 0x100000000);
      lo = loTimes >>> 0;
      hi = hi * 10 + carry;
      if (hi > 0xffffffff) return false;
    }
  }
  ADDR[0] = hi;
  ADDR[1] = lo;
  return true;
}

/** A decimal number b[s, e) (sign, fraction, exponent, digit-group commas allowed); NaN if malformed. No string made. */
export function parseDecimal(b: Buffer, s: number, e: number): number {
  let p = s;
  let neg = false;
  if (p < e && (b[p] === 45 || b[p] === 43)) neg = b[p++] === 45;
  let v = 0;
  let digits = 0;
  for (; p < e; p++) {
    const c = b[p];
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      digits++;
    } else if (c !== 44) break; // ',' groups digits ("4,096" as damo writes)
  }
  if (p < e && b[p] === 46) {
    p++;
    let scale = 0.1;
    for (; p < e && b[p] >= 48 && b[p] <= 57; p++) {
      v += (b[p] - 48) * scale;
      scale *= 0.1;
      digits++;
    }
  }
  if (digits === 0) return NaN;
  if (p < e && (b[p] === 101 || b[p] === 69)) {
    p++;
    let eneg = false;
    if (p < e && (b[p] === 45 || b[p] === 43)) eneg = b[p++] === 45;
    let x = 0;
    let ed = 0;
    for (; p < e && b[p] >= 48 && b[p] <= 57; p++, ed++) x = x * 10 + (b[p] - 48);
    if (ed === 0) return NaN;
    v *= 10 ** (eneg ? -x : x);
  }
  if (p !== e) return NaN;
  return neg ? -v : v;
}

/**
 * Split b[s, e) at spaces/tabs (or at `sep` when given) into TOK_START/TOK_END (at most
 * MAX_TOKENS); returns the token count. Fields are trimmed of spaces.
 */
export const MAX_TOKENS = 64;
export const TOK_START = new Int32Array(MAX_TOKENS);
export const TOK_END = new Int32Array(MAX_TOKENS);
export function tokenize(b: Buffer, s: number, e: number, sep = -1): number {
  let n = 0;
  if (sep < 0) {
    let p = s;
    while (p < e && n < MAX_TOKENS) {
      while (p < e && (b[p] === 32 || b[p] === 9)) p++;
      if (p >= e) break;
      TOK_START[n] = p;
      while (p < e && b[p] !== 32 && b[p] !== 9) p++;
      TOK_END[n++] = p;
    }
    return n;
  }
  let p = s;
  for (;;) {
    let a = p;
    while (p < e && b[p] !== sep) p++;
    let z = p;
    while (a < z && (b[a] === 32 || b[a] === 9)) a++;
    while (z > a && (b[z - 1] === 32 || b[z - 1] === 9)) z--;
    if (n < MAX_TOKENS) {
      TOK_START[n] = a;
      TOK_END[n] = z;
    }
    n++;
    if (p >= e) break;
    p++;
  }
  return Math.min(n, MAX_TOKENS);
}

/** Does b[s, e) equal the ASCII string `word`? */
export function bytesEqual(b: Buffer, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (b[s + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** Dense CPU numbers from a trace's own thread ids, in order of first appearance. */
export class CpuIds {
  private readonly ids = new Map<number, number>();
  /** Dense index of raw id, or -1 if not seen yet (assigns nothing). */
  peek(raw: number): number {
    return this.ids.get(raw) ?? -1;
  }
  /** Dense index of raw id, assigning the next one on first sight. */
  of(raw: number): number {
    let c = this.ids.get(raw);
    if (c === undefined) {
      c = this.ids.size;
      if (c >= 65536) throw new TraceError(`more than 65536 distinct threads; tiersim supports at most 65536 CPUs`);
      this.ids.set(raw, c);
    }
    return c;
  }
  get size(): number {
    return this.ids.size;
  }
}

/** Line end without '\r\n' / '\n' (for a line [s, e) where b[e-1] is '\n'). */
export function trimEol(b: Buffer, s: number, e: number): number {
  if (e > s && b[e - 1] === 10) e--;
  if (e > s && b[e - 1] === 13) e--;
  return e;
}

/**
 * A TextReader that parses one line at a time (`parseLine(b, s, e)`, e at the line's end without
 * the newline). For formats where a method call per line is cheap next to the parsing itself.
 */
export abstract class LineReader extends TextReader {
  /** Most records one line can produce. */
  protected abstract maxPerLine: number;
  protected abstract parseLine(b: Buffer, s: number, e: number): void;

  /** The line being parsed, for messages about a record found bad after its fields parsed (gapOk). */
  private lineBuf: Buffer = NEWLINE;
  private lineStart = 0;
  private lineStop = 0;
  /** Simulated time each CPU's records add up to so far (sum of gaps), checked against MAX_SPAN_NS. */
  protected spanNs = new Float64Array(16);

  protected parse(b: Buffer, p: number, end: number): number {
    while (p < end) {
      if (!this.roomForLine()) break;
      p = this.parseOneLine(b, p);
    }
    return p;
  }

  /** Room in the batch for the most records a line can make (read per line: a header can raise it, CSV with a buf column). */
  protected roomForLine(): boolean {
    if (this.room(this.maxPerLine)) return true;
    if (this.n === 0) throw new Error(`${this.opts.path}: a batch of ${this.out.capacity} records cannot hold one line's ${this.maxPerLine}`);
    return false;
  }

  /** Parse the whole line starting at p through parseLine; returns where the next line starts. */
  protected parseOneLine(b: Buffer, p: number): number {
    let q = p;
    while (b[q] !== 10) q++;
    this.lineNo++;
    const e = trimEol(b, p, q + 1);
    this.lineBuf = b;
    this.lineStart = p;
    this.lineStop = e;
    this.parseLine(b, p, e);
    return q + 1;
  }

  /**
   * Is the record's compute gap in range (traces/FORMAT.md "Ranges"), and does its CPU stay within
   * MAX_SPAN_NS? If not, reports the current line (or counts it with skipBad) and returns false.
   * `what` says where the gap came from, for the message. It adds the gap to the CPU's span, so it
   * is a record's last check: a record skipped after it would still have counted.
   */
  protected gapOk(cpu: number, gapNs: number, what: string): boolean {
    if (!gapInRange(gapNs)) {
      this.bad(this.lineBuf, this.lineStart, this.lineStop, `${GAP_EXPECTED} (traces/FORMAT.md "Ranges")`, `${what} ${showNs(gapNs)}`);
      return false;
    }
    if (cpu >= this.spanNs.length) {
      const grown = new Float64Array(Math.max(cpu + 1, this.spanNs.length * 2));
      grown.set(this.spanNs);
      this.spanNs = grown;
    }
    const span = this.spanNs[cpu] + gapNs;
    if (span > MAX_SPAN_NS) {
      this.bad(this.lineBuf, this.lineStart, this.lineStop, SPAN_EXPECTED, `CPU ${cpu} reaching ${showNs(span)} at this record`);
      return false;
    }
    this.spanNs[cpu] = span;
    return true;
  }

  /** Append one record, if it belongs to the CPU this reader keeps. */
  protected emit(cpu: number, vm: number, hi: number, lo: number, op: number, gapNs: number, content: number): void {
    if (this.cpuWanted >= 0 && cpu !== this.cpuWanted) return;
    const o = this.out;
    const i = this.n++;
    o.addrHi[i] = hi;
    o.addrLo[i] = lo;
    o.op[i] = op;
    o.cpu[i] = cpu;
    o.vm[i] = vm;
    o.gapNs[i] = gapNs;
    o.content[i] = content;
  }

  /**
   * Append an access of `size` bytes as one record per 64 B line it covers (see lackey.ts); the
   * gap goes to the first. Returns records appended (≤ size/64 + 1).
   */
  protected emitSized(cpu: number, vm: number, hi: number, lo: number, size: number, op: number, gapNs: number, content: number): void {
    this.emit(cpu, vm, hi, lo, op, gapNs, content);
    const extra = extraLines(lo, size);
    const first = lineBase(lo);
    for (let e = 1; e <= extra; e++) {
      const next = first + 64 * e;
      this.emit(cpu, vm, next > 0xffffffff ? (hi + 1) >>> 0 : hi, next >>> 0, op, 0, content);
    }
  }

  /** An access that would run past the last byte of the 64-bit space is bad (its line is reported). */
  protected sizeFits(hi: number, lo: number, size: number): boolean {
    if (!crossesTop(hi, lo, size)) return true;
    this.bad(this.lineBuf, this.lineStart, this.lineStop, 'an access inside the 64-bit address space', `${size} bytes at the top of it`);
    return false;
  }

  /** The line's text for error messages. */
  protected badLine(b: Buffer, s: number, e: number, expected: string): void {
    this.bad(b, s, e, expected);
  }
}
