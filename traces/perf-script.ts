// Reader for `perf script` text of sampled memory accesses: `perf mem record` (or
// `perf record -d -e …`) followed by `perf script` (default fields, or -F with at least tid,
// time, event and addr). Documented in perf-script(1) and perf-mem(1); fields appear in perf's
// fixed order: comm  pid/tid  [cpu]  time:  [period]  event:  addr [sym (dso)] … ip sym (dso) …
//
//     xz 10228/10228   994.090496:          1 page-faults:     55c334203240 stdout (/usr/bin/xz) ffffffff817554ea elf_load …
//
// Mapping: each sample is one access by thread `tid` (CPUs numbered densely by first appearance)
// to the first hex token after the event name. Write if the event name holds "store" or the data
// source field says "|OP STORE|", else read. The gap is the time since the same thread's previous
// sample, so the simulated run keeps the sampled run's pace (closed loop with the trace's gaps).
// These are already LLC-miss (or page-fault) samples: the LLC filter is off by default.

import type { TraceFormat } from './reader.ts';
import { LineReader, ADDR, CpuIds, TOK_END, TOK_START, parseAddress, parseDecimal, tokenize } from './reader.ts';
import { OP_READ, OP_WRITE } from './batch.ts';
import { threadIdInRange } from './limits.ts';

export class PerfScriptReader extends LineReader {
  protected readonly maxPerLine = 1;
  private readonly cpus = new CpuIds();
  private lastTime = new Float64Array(16).fill(NaN);

  protected parseLine(b: Buffer, s: number, e: number): void {
    const n = tokenize(b, s, e);
    if (n === 0) return;
    if (b[TOK_START[0]] === 35) return; // '# comment' header lines of perf script
    // The time token: digits '.' digits ':'.
    let t = -1;
    for (let i = 1; i < n; i++) {
      const a = TOK_START[i];
      const z = TOK_END[i];
      if (z - a >= 3 && b[z - 1] === 58 && b[a] >= 48 && b[a] <= 57) {
        let dot = false;
        let ok = true;
        for (let p = a; p < z - 1; p++) {
          if (b[p] === 46) dot = true;
          else if (b[p] < 48 || b[p] > 57) {
            ok = false;
            break;
          }
        }
        if (ok && dot) {
          t = i;
          break;
        }
      }
    }
    if (t < 0) {
      this.bad(b, s, e, 'a perf script sample line "comm pid/tid [cpu] secs.usecs: [period] event: addr …"');
      return;
    }
    // Thread id: the token before the time (skipping "[cpu]"), "pid/tid" or "tid".
    let ti = t - 1;
    if (ti >= 1 && b[TOK_START[ti]] === 91) ti--;
    let a = TOK_START[ti];
    const z = TOK_END[ti];
    for (let p = a; p < z; p++) if (b[p] === 47) a = p + 1;
    const tid = parseDecimal(b, a, z);
    if (!threadIdInRange(tid)) {
      this.bad(b, s, e, 'a thread id ("pid/tid" or "tid", an integer below 2^53) before the time');
      return;
    }
    const secs = parseDecimal(b, TOK_START[t], TOK_END[t] - 1);
    if (!(secs < Infinity)) {
      this.bad(b, s, e, 'a finite time in seconds before ":"');
      return;
    }
    // The event: the next token ending in ':' after the time (an optional period comes first).
    let ev = -1;
    for (let i = t + 1; i < n && i <= t + 3; i++) {
      if (b[TOK_END[i] - 1] === 58) {
        ev = i;
        break;
      }
    }
    if (ev < 0 || ev + 1 >= n || !parseAddress(b, TOK_START[ev + 1], TOK_END[ev + 1], true)) {
      this.bad(b, s, e, 'an event name ending in ":" followed by a hex data address (perf script -F …,addr)');
      return;
    }
    const hi = ADDR[0];
    const lo = ADDR[1];
    let op = hasWord(b, TOK_START[ev], TOK_END[ev], 'store') ? OP_WRITE : OP_READ;
    if (hasWord(b, TOK_END[ev + 1], e, '|OP STORE|')) op = OP_WRITE;
    const cpu = this.cpus.of(tid);
    if (cpu >= this.lastTime.length) {
      const grown = new Float64Array(Math.max(cpu + 1, this.lastTime.length * 2)).fill(NaN);
      grown.set(this.lastTime);
      this.lastTime = grown;
    }
    const prev = this.lastTime[cpu];
    // A sample stamped before the thread's previous one (perf orders by time, so rare) has no gap.
    const gap = prev === prev && secs >= prev ? (secs - prev) * 1e9 : 0;
    if (!this.gapOk(cpu, gap, 'a time since this thread\'s previous sample of')) return;
    this.lastTime[cpu] = secs;
    this.emit(cpu, 0, hi, lo, op, gap, 0);
  }
}

/** Case-insensitive: does b[s, e) contain `word`? */
function hasWord(b: Buffer, s: number, e: number, word: string): boolean {
  const n = word.length;
  const first = word.charCodeAt(0) | 32;
  outer: for (let p = s; p + n <= e; p++) {
    if ((b[p] | 32) !== first) continue;
    for (let k = 1; k < n; k++) {
      const w = word.charCodeAt(k);
      const c = b[p + k];
      if (c !== w && (c | 32) !== (w | 32)) continue outer;
    }
    return true;
  }
  return false;
}

export const perfScriptFormat: TraceFormat = {
  name: 'perf-script',
  summary: 'perf script text of perf mem record / perf record -d samples (tid, time, event, addr)',
  instructionLevel: false,
  detect(head) {
    const text = head.toString('latin1', 0, Math.min(head.length, 4096));
    return /^\s*\S+\s+\d+(\/\d+)?\s+(\[\d+\]\s+)?\d+\.\d+:\s+(\d+\s+)?\S+:\s+[0-9a-f]+/m.test(text) && !text.includes('damon:damon_aggregated');
  },
  open: (opts) => new PerfScriptReader(opts),
};
