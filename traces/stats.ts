// `npm run trace -- stats FILE`: what a trace is like before simulating it. One streaming pass:
// per-page access counts (PageSet), 2 MiB footprint, and LRU reuse (stack) distances over 4 KiB
// pages. Reuse distance = distinct other pages touched since the page's previous access, computed
// with a Fenwick tree over access times holding a 1 at each page's latest access (Bennett & Kruskal
// 1975; Almási et al., MSP 2002). Times are renumbered when the tree fills, so memory stays
// O(pages + window), not O(accesses).

import type { AccessBatch } from './batch.ts';
import { PageSet } from './page-set.ts';

/** Distance histogram bins: 0, 1, 2–3, 4–7, … (log2), up to 2^40. */
const DIST_BINS = 42;
const WINDOW = 1 << 22;

export class TraceStats {
  accesses = 0;
  writes = 0;
  cold = 0;
  readonly pages = new PageSet(1 << 12);
  readonly pages2m = new PageSet(1 << 8);
  readonly distHist = new Float64Array(DIST_BINS);
  /** Per page (dense id): time of its latest access, in the current numbering. */
  private lastTime = new Int32Array(1 << 12);
  private tree = new Int32Array(WINDOW + 1);
  private now = 0;

  add(b: AccessBatch): void {
    const { addrHi, addrLo, vm, op } = b;
    for (let i = 0; i < b.count; i++) {
      this.accesses++;
      this.writes += op[i];
      if (this.now >= WINDOW) this.renumber(); // before the touch: every known page has a valid time
      const before = this.pages.size;
      const d = this.pages.touch(vm[i], addrHi[i], addrLo[i], 12);
      this.pages2m.touch(vm[i], addrHi[i], addrLo[i], 21);
      if (d >= this.lastTime.length) {
        const g = new Int32Array(this.lastTime.length * 2);
        g.set(this.lastTime);
        this.lastTime = g;
      }
      if (d === before) {
        this.cold++;
      } else {
        const t0 = this.lastTime[d];
        // Distinct pages whose latest access lies after t0.
        const dist = this.prefix(this.now) - this.prefix(t0 + 1);
        this.distHist[dist === 0 ? 0 : Math.min(DIST_BINS - 1, 1 + Math.floor(Math.log2(dist)))]++;
        this.update(t0 + 1, -1);
      }
      this.lastTime[d] = this.now;
      this.update(this.now + 1, 1);
      this.now++;
    }
  }

  private prefix(i: number): number {
    let s = 0;
    const t = this.tree;
    for (; i > 0; i -= i & -i) s += t[i];
    return s;
  }

  private update(i: number, v: number): void {
    const t = this.tree;
    for (; i <= WINDOW; i += i & -i) t[i] += v;
  }

  /** Compact times: pages ordered by latest access get times 0 … pages−1. */
  private renumber(): void {
    const n = this.pages.size;
    if (n >= WINDOW) throw new Error(`trace stats: more than ${WINDOW} distinct pages; reuse distances need a larger window`);
    const order = new Int32Array(n);
    for (let d = 0; d < n; d++) order[d] = d;
    const last = this.lastTime;
    order.sort((a, b) => last[a] - last[b]);
    this.tree.fill(0);
    for (let k = 0; k < n; k++) {
      last[order[k]] = k;
      this.update(k + 1, 1);
    }
    this.now = n;
  }

  /** Share of accesses that go to the hottest `frac` of pages. */
  hotShare(frac: number): number {
    const n = this.pages.size;
    const counts = Float64Array.from(this.pages.counts.subarray(0, n)).sort().reverse();
    const k = Math.max(1, Math.ceil(n * frac));
    let s = 0;
    for (let i = 0; i < k; i++) s += counts[i];
    return s / this.accesses;
  }

  /** Reuse-distance quantile (upper bound of the log2 bin holding it), over re-accesses. */
  distQuantile(q: number): number {
    let total = 0;
    for (const x of this.distHist) total += x;
    let acc = 0;
    for (let k = 0; k < DIST_BINS; k++) {
      acc += this.distHist[k];
      if (acc >= q * total) return k === 0 ? 0 : 2 ** k - 1;
    }
    return Infinity;
  }

  distBins(): Array<{ from: number; to: number; count: number }> {
    const out = [];
    for (let k = 0; k < DIST_BINS; k++) {
      if (this.distHist[k] === 0) continue;
      out.push({ from: k === 0 ? 0 : 2 ** (k - 1), to: k === 0 ? 0 : 2 ** k - 1, count: this.distHist[k] });
    }
    return out;
  }

  /** LRU hit ratio with capacity c pages = share of accesses with reuse distance < c (exact at powers of two). */
  lruHitRatio(capacityPages: number): number {
    let hits = 0;
    for (let k = 0; k < DIST_BINS; k++) {
      const to = k === 0 ? 0 : 2 ** k - 1;
      if (to < capacityPages) hits += this.distHist[k];
    }
    return hits / this.accesses;
  }
}

/** Pages by access count, hottest first: [vm, page address, accesses]. */
export function pageHistogram(s: TraceStats): Array<[number, number, number]> {
  const n = s.pages.size;
  const idx = Array.from({ length: n }, (_, i) => i);
  const { counts, pageOf, vmOf } = s.pages;
  idx.sort((a, b) => counts[b] - counts[a] || vmOf[a] - vmOf[b] || pageOf[a] - pageOf[b]);
  return idx.map((d) => [vmOf[d], pageOf[d] * 4096, counts[d]]);
}

/** A log-log plot of accesses per page by rank, as a small standalone SVG. */
export function histogramSvg(hist: Array<[number, number, number]>, title: string): string {
  const W = 640;
  const H = 400;
  const m = { l: 64, r: 16, t: 32, b: 48 };
  const n = hist.length;
  const maxY = hist.length ? hist[0][2] : 1;
  const x = (rank: number) => m.l + ((W - m.l - m.r) * Math.log10(rank)) / Math.max(1e-9, Math.log10(Math.max(n, 2)));
  const y = (v: number) => H - m.b - ((H - m.t - m.b) * Math.log10(Math.max(v, 1))) / Math.max(1e-9, Math.log10(Math.max(maxY, 10)));
  // At most ~2000 points: log-spaced ranks.
  const pts: string[] = [];
  let last = 0;
  for (let r = 1; r <= n; r = Math.max(r + 1, Math.floor(r * 1.005))) {
    pts.push(`${x(r).toFixed(1)},${y(hist[r - 1][2]).toFixed(1)}`);
    last = r;
  }
  if (last !== n && n > 0) pts.push(`${x(n).toFixed(1)},${y(hist[n - 1][2]).toFixed(1)}`);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const ticks: string[] = [];
  for (let p = 1; p <= maxY * 10 && p < 1e16; p *= 10) {
    if (p > Math.max(maxY, 10)) break;
    ticks.push(`<text x="${m.l - 6}" y="${y(p) + 4}" text-anchor="end">${p.toLocaleString('en-US')}</text><line x1="${m.l}" x2="${W - m.r}" y1="${y(p)}" y2="${y(p)}" stroke="#ddd"/>`);
  }
  for (let p = 1; p <= n; p *= 10) ticks.push(`<text x="${x(p)}" y="${H - m.b + 16}" text-anchor="middle">${p.toLocaleString('en-US')}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>
${ticks.join('\n')}
<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#000"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#000"/>
<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${pts.join(' ')}"/>
<text x="${(W + m.l) / 2}" y="${H - 10}" text-anchor="middle">page rank (4 KiB pages, hottest first, log scale)</text>
<text transform="translate(14 ${(H - m.b + m.t) / 2}) rotate(-90)" text-anchor="middle">accesses (log scale)</text>
</svg>
`;
}
