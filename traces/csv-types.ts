// Page types from a CSV trace (traces/FORMAT.md "CSV": columns `type` and `buf`): before a run
// starts, the CSV is read once more to collect the type each record gives its pages, which become
// the run's region map (sim/page-types.ts regionsFromConfig). The engine looks a page's type up at
// its first touch, so records carry nothing extra and the per-access path is unchanged.
//
// - Which pages: the type column names the type of the pages addr's access covers (addr through
//   addr + size − 1). A read()/write() copy (op fread / fwrite) makes addr's pages page cache
//   (`cache`) unless the type column says otherwise (e.g. `file`: the file is mmapped too); its
//   buf pages take no type from it (a user buffer is anon unless another record says more).
// - One type per page: a page given two types is an error naming both lines (--skip-bad skips the
//   later record instead). Lines the reader will reject (bad address, op …) are passed over here:
//   the reader reports them with file:line when the run reads them.
// - Only when the header has a type or buf column; any other trace costs one look at its first
//   line (decompressed: gzip / zlib in process, zstd / xz through the system's programs).
// - The file is read whole into memory for this pass [limit: a typed CSV must fit in memory];
//   results are kept per (path, size, mtime) for the process, so a sweep's points share them.

import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { constants as zc, gunzipSync, inflateSync } from 'node:zlib';
import { ADDR, TOK_END, TOK_START, parseAddress, parseDecimal, tokenize, trimEol } from './reader.ts';
import { CSV_TYPE_CACHE, CSV_PAGE_TYPES, OPC_FREAD, OPC_FWRITE, csvOpCode, csvPageType, MAX_COPY_BYTES } from './csv-trace.ts';
import { MAX_ACCESS_BYTES } from './limits.ts';
import { detectCompression, readRawHead, TraceError, cut } from './open.ts';
import { PageSet } from './page-set.ts';
import { grow } from '../sim/columns.ts';

export interface TypedRange {
  vm: number;
  /** 4 KiB page numbers, end exclusive. */
  start: number;
  end: number;
  /** Index into CSV_PAGE_TYPES. */
  type: number;
}

/** The first `n` decompressed bytes of a file, synchronously. */
function headSync(path: string, n: number): Buffer {
  const c = detectCompression(readRawHead(path, 8));
  if (c === 'none') return readRawHead(path, n);
  if (c === 'gzip' || c === 'zlib') {
    const raw = readRawHead(path, 1 << 20);
    const out = (c === 'gzip' ? gunzipSync : inflateSync)(raw, { finishFlush: zc.Z_SYNC_FLUSH });
    return out.subarray(0, n);
  }
  try {
    return execFileSync('sh', ['-c', `${c} -dc -- "$0" 2>/dev/null | head -c ${n}`, path], { maxBuffer: n + 1024 });
  } catch {
    return Buffer.alloc(0); // the reader reports a missing decompressor or a corrupt file
  }
}

/** The whole decompressed file, synchronously. */
function readAllSync(path: string): Buffer {
  const c = detectCompression(readRawHead(path, 8));
  if (c === 'none') return readFileSync(path);
  if (c === 'gzip') return gunzipSync(readFileSync(path));
  if (c === 'zlib') return inflateSync(readFileSync(path));
  return execFileSync(c, ['-dc', '--', path], { maxBuffer: 2 ** 31 - 1 });
}

/** Column indexes of a CSV header line, or null when it is not a CSV header with a type or buf column. */
function typeColumns(header: string): { addr: number; vm: number; op: number; size: number; type: number; buf: number; width: number } | null {
  const names = header.replace(/^[#\s]+/, '').split(',').map((x) => x.trim().toLowerCase());
  const at = (n: string) => names.indexOf(n);
  if (!names.includes('addr') || (at('type') < 0 && at('buf') < 0)) return null;
  const cols = { addr: at('addr'), vm: at('vm'), op: at('op'), size: at('size'), type: at('type'), buf: at('buf'), width: 0 };
  cols.width = Math.max(cols.addr, cols.vm, cols.op, cols.size, cols.type, cols.buf) + 1;
  return cols;
}

const memo = new Map<string, TypedRange[] | null>();

/**
 * The typed ranges a CSV trace declares, or null when `path` is not a CSV trace with a type or buf
 * column. Throws a TraceError naming file:line for a bad type or a page given two types (unless
 * `skipBad`).
 */
export function csvTypeRanges(path: string, skipBad: boolean): TypedRange[] | null {
  const st = statSync(path);
  const key = JSON.stringify([path, st.size, st.mtimeMs, skipBad]);
  if (memo.has(key)) return memo.get(key)!;
  const head = headSync(path, 8192);
  const nl = head.indexOf(10);
  const cols = typeColumns(head.toString('latin1', 0, nl < 0 ? head.length : trimEol(head, 0, nl + 1)));
  const result = cols === null ? null : scan(path, readAllSync(path), cols, skipBad);
  memo.set(key, result);
  return result;
}

function scan(path: string, b: Buffer, cols: NonNullable<ReturnType<typeof typeColumns>>, skipBad: boolean): TypedRange[] {
  const pages = new PageSet(1 << 12);
  /** Per dense page: type index + 1 (0 = none yet), and the line that gave it. */
  let typeOf = new Uint8Array(1 << 12);
  let lineOf = new Float64Array(1 << 12);
  let p = b.indexOf(10) + 1; // past the header
  let lineNo = 1;
  if (p === 0) return [];
  while (p < b.length) {
    let q = b.indexOf(10, p);
    if (q < 0) q = b.length;
    lineNo++;
    const e = trimEol(b, p, Math.min(q + 1, b.length));
    const s = p;
    p = q + 1;
    if (s === e) continue;
    const n = tokenize(b, s, e, 44);
    if (n < cols.width) continue; // the reader reports it
    let type = cols.type >= 0 ? csvPageType(b, TOK_START[cols.type], TOK_END[cols.type]) : -1;
    if (type === -2) {
      if (skipBad) continue;
      throw new TraceError(`${path}:${lineNo}: expected a page type (${CSV_PAGE_TYPES.join(', ')}) or nothing in column type, found "${cut(b.toString('latin1', TOK_START[cols.type], TOK_END[cols.type]), 40)}"`);
    }
    const op = cols.op >= 0 ? csvOpCode(b, TOK_START[cols.op], TOK_END[cols.op]) : 0;
    if (op < 0) continue; // the reader rejects it
    const copy = op === OPC_FREAD || op === OPC_FWRITE;
    if (copy && (cols.buf < 0 || !parseAddress(b, TOK_START[cols.buf], TOK_END[cols.buf], false))) continue; // rejected too
    if (type < 0 && copy) type = CSV_TYPE_CACHE;
    if (type < 0) continue;
    if (!parseAddress(b, TOK_START[cols.addr], TOK_END[cols.addr], false)) continue;
    const hi = ADDR[0];
    const lo = ADDR[1];
    const vm = cols.vm >= 0 ? parseDecimal(b, TOK_START[cols.vm], TOK_END[cols.vm]) : 0;
    if (!(Number.isInteger(vm) && vm >= 0 && vm < 65536)) continue;
    const size = cols.size >= 0 ? parseDecimal(b, TOK_START[cols.size], TOK_END[cols.size]) : 1;
    if (!(Number.isInteger(size) && size >= 1 && size <= (copy ? MAX_COPY_BYTES : MAX_ACCESS_BYTES))) continue;
    // The 4 KiB pages [addr, addr + size): one, or two when the access crosses a page boundary.
    // Checked whole first, so that a record skipped for a clash on its second page types not its first.
    const first = hi * 2 ** 20 + (lo >>> 12);
    const last = hi * 2 ** 20 + ((lo >>> 12) + (((lo & 4095) + size - 1) >>> 12));
    let clash = false;
    for (let page = first; page <= last && !clash; page++) {
      const pHi = Math.floor(page / 2 ** 20);
      const d = pages.touch(vm, pHi, ((page % 2 ** 20) * 4096) >>> 0, 12);
      if (d >= typeOf.length) {
        typeOf = grow(typeOf, d + 1);
        lineOf = grow(lineOf, d + 1);
      }
      const had = typeOf[d] - 1;
      if (had >= 0 && had !== type) {
        if (skipBad) {
          clash = true;
          break;
        }
        throw new TraceError(
          `${path}:${lineNo}: expected one type per page, found page 0x${page.toString(16)}${vm ? ` of vm ${vm}` : ''} given type ${CSV_PAGE_TYPES[type]} here and ${CSV_PAGE_TYPES[had]} at line ${lineOf[d]}` +
            (cols.type >= 0 && copy ? ' (fread/fwrite make addr\'s pages cache unless the type column says otherwise)' : ''),
        );
      }
    }
    if (clash) continue;
    for (let page = first; page <= last; page++) {
      const d = pages.touch(vm, Math.floor(page / 2 ** 20), ((page % 2 ** 20) * 4096) >>> 0, 12);
      if (typeOf[d] === 0) {
        typeOf[d] = type + 1;
        lineOf[d] = lineNo;
      }
    }
  }
  // Sorted (vm, page) → type, consecutive pages of one type merged into a range.
  const order = Array.from({ length: pages.size }, (_, i) => i);
  order.sort((x, y) => pages.vmOf[x] - pages.vmOf[y] || pages.pageOf[x] - pages.pageOf[y]);
  const ranges: TypedRange[] = [];
  for (const d of order) {
    const vm = pages.vmOf[d];
    const page = pages.pageOf[d];
    const type = typeOf[d] - 1;
    if (type < 0) continue;
    const last = ranges[ranges.length - 1];
    if (last && last.vm === vm && last.end === page && last.type === type) last.end = page + 1;
    else ranges.push({ vm, start: page, end: page + 1, type });
  }
  return ranges;
}
