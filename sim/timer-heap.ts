// Timer heap for policy daemons, keyed (time, sequence) so that timers due at the same time fire
// in the order they were pushed (as SimPy's event queue). Binary heap over typed arrays: timers are
// few, but they are pushed and popped throughout the run and must not allocate.

export class TimerHeap {
  private timeNs = new Float64Array(64);
  private seq = new Float64Array(64);
  private tag = new Int32Array(64);
  private nextSeq = 0;
  size = 0;

  /** Schedule `tag` at `timeNs`. */
  push(timeNs: number, tag: number): void {
    if (this.size === this.timeNs.length) this.grow();
    let i = this.size++;
    const s = this.nextSeq++;
    // Sift up.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(timeNs, s, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.timeNs[i] = timeNs;
    this.seq[i] = s;
    this.tag[i] = tag;
  }

  /** Time of the earliest timer, Infinity if none. */
  peekTimeNs(): number {
    return this.size > 0 ? this.timeNs[0] : Infinity;
  }

  /** Remove the earliest timer and return its tag (heap must not be empty). */
  pop(): number {
    const top = this.tag[0];
    const last = --this.size;
    if (last > 0) {
      const t = this.timeNs[last];
      const s = this.seq[last];
      const g = this.tag[last];
      let i = 0;
      // Sift down.
      for (;;) {
        let c = 2 * i + 1;
        if (c >= last) break;
        if (c + 1 < last && this.lessIdx(c + 1, c)) c++;
        if (!this.less(this.timeNs[c], this.seq[c], i, t, s)) break;
        this.move(c, i);
        i = c;
      }
      this.timeNs[i] = t;
      this.seq[i] = s;
      this.tag[i] = g;
    }
    return top;
  }

  /** Is (t, s) ordered before the entry at j (or before (tj, sj) when given)? */
  private less(t: number, s: number, j: number, tj = this.timeNs[j], sj = this.seq[j]): boolean {
    return t < tj || (t === tj && s < sj);
  }

  private lessIdx(a: number, b: number): boolean {
    return this.less(this.timeNs[a], this.seq[a], b);
  }

  private move(from: number, to: number): void {
    this.timeNs[to] = this.timeNs[from];
    this.seq[to] = this.seq[from];
    this.tag[to] = this.tag[from];
  }

  private grow(): void {
    const n = this.timeNs.length * 2;
    const t = new Float64Array(n);
    t.set(this.timeNs);
    this.timeNs = t;
    const s = new Float64Array(n);
    s.set(this.seq);
    this.seq = s;
    const g = new Int32Array(n);
    g.set(this.tag);
    this.tag = g;
  }
}
