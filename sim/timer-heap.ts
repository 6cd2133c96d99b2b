// The event queue: warm-up, epoch ends, the sampler's drain and policy daemons, keyed (time,
// priority, sequence), so that events due at the same time fire by priority (warm-up snapshot,
// then epoch end, then timers) and timers of equal time in the order they were pushed (as SimPy's
// event queue). Binary heap over typed arrays: events are pushed and popped throughout the run and
// must not allocate. Trace records are not events (DESIGN.md "Time").

import { grow } from './columns.ts';

/** Priorities at equal time: the warm-up snapshot first, then the epoch end, then timers. */
export const PRIORITY_WARMUP = 0;
export const PRIORITY_EPOCH = 1;
export const PRIORITY_TIMER = 2;

/**
 * Tags of the engine's own events (negative). A policy timer's tag is ((id << OWNER_BITS) | owner)
 * · 2, + 1 if periodic, where owner is the policy's index (compose.ts).
 */
export const TAG_SAMPLE_DRAIN = -1;
export const TAG_EPOCH_END = -2;
export const TAG_WARMUP_END = -3;
/** khugepaged's wake-up (sim/thp.ts, thp.enabled only). */
export const TAG_KHUGEPAGED = -4;

export class TimerHeap {
  private timeNs = new Float64Array(64);
  private seq = new Float64Array(64);
  private prio = new Uint8Array(64);
  private tag = new Int32Array(64);
  private nextSeq = 0;
  size = 0;

  /** Schedule `tag` at `timeNs`. */
  push(timeNs: number, tag: number, priority = PRIORITY_TIMER): void {
    if (this.size === this.timeNs.length) this.grow();
    let i = this.size++;
    const s = this.nextSeq++;
    // Sift up.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(timeNs, priority, s, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, timeNs, priority, s, tag);
  }

  /** Time of the earliest event, Infinity if none. */
  peekTimeNs(): number {
    return this.size > 0 ? this.timeNs[0] : Infinity;
  }

  /** Remove the earliest event and return its tag (heap must not be empty). */
  pop(): number {
    const top = this.tag[0];
    const last = --this.size;
    if (last > 0) {
      const t = this.timeNs[last];
      const p = this.prio[last];
      const s = this.seq[last];
      const g = this.tag[last];
      let i = 0;
      // Sift down.
      for (;;) {
        let c = 2 * i + 1;
        if (c >= last) break;
        if (c + 1 < last && this.before(this.timeNs[c + 1], this.prio[c + 1], this.seq[c + 1], c)) c++;
        if (!this.before(this.timeNs[c], this.prio[c], this.seq[c], -1, t, p, s)) break;
        this.move(c, i);
        i = c;
      }
      this.set(i, t, p, s, g);
    }
    return top;
  }

  /** Is (t, p, s) ordered before the entry at j (or before (tj, pj, sj) when j is -1)? */
  private before(t: number, p: number, s: number, j: number, tj = this.timeNs[j], pj = this.prio[j], sj = this.seq[j]): boolean {
    return t < tj || (t === tj && (p < pj || (p === pj && s < sj)));
  }

  private set(i: number, t: number, p: number, s: number, tag: number): void {
    this.timeNs[i] = t;
    this.prio[i] = p;
    this.seq[i] = s;
    this.tag[i] = tag;
  }

  private move(from: number, to: number): void {
    this.set(to, this.timeNs[from], this.prio[from], this.seq[from], this.tag[from]);
  }

  private grow(): void {
    const n = this.timeNs.length * 2;
    this.timeNs = grow(this.timeNs, n);
    this.seq = grow(this.seq, n);
    this.prio = grow(this.prio, n);
    this.tag = grow(this.tag, n);
  }
}
