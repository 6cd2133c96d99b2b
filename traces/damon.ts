// Reader for DAMON access-pattern records, replayed as the sampled accesses they summarise.
// Inputs (from damo, https://github.com/damonitor/damo, docs/USAGE.md "damo record"):
//   - `damo record` JSON, plain or zlib-compressed (damo's default `json_compressed` writes zlib):
//     [{intervals: {sample_us, aggr_us}, target_id, snapshots: [{start_time (ns), end_time,
//       regions: [{start, end, nr_accesses: {samples} | n, age}]}]}]
//     damo writes numbers as strings with digit-group commas ("4,096"); both are accepted.
//   - `perf script` of the damon:damon_aggregated tracepoint (also `damo record --output_type
//     perf_script`): "… <secs>: damon:damon_aggregated: target_id=T nr_regions=N <start>-<end>: <nr_accesses> <age>"
//     (kernel include/trace/events/damon.h). Lines of one time and target form one snapshot.
//
// The approximation (traces/FORMAT.md "DAMON"): DAMON checks one random page per region every
// sampling interval and reports, per aggregation interval, in how many of its K = aggr/sample
// samples that page had been accessed (nr_accesses). Each such positive sample is replayed as one
// read of a page of the region, chosen by a fixed hash of (snapshot, region, sample) — DAMON does
// not record which page it checked, nor reads vs writes. Sample k of a snapshot happens at
// start + k·sample_us; a region with n positive samples gets one in each slot k where
// ⌊(k+1)·n/K⌋ > ⌊k·n/K⌋ (evenly spread). The gap is the time since the previous replayed access,
// so the replay runs at DAMON's own pace. For the tracepoint text, sample_us is not recorded:
// aggr/20 (damo's default 5 ms / 100 ms) is assumed, aggr being the time to the next snapshot.
// Targets become VMs (separate address spaces). Files are read whole (DAMON output is small:
// one line per region per aggregation interval).

import type { AccessBatch } from './batch.ts';
import { OP_READ } from './batch.ts';
import { ByteStream, TraceError, cut } from './open.ts';
import type { ReaderOptions, TraceFormat, TraceReader } from './reader.ts';
import { GAP_EXPECTED, MAX_DAMON_SLOTS, MAX_GAP_NS, MAX_SPAN_NS, SPAN_EXPECTED, showNs } from './limits.ts';

const PAGE_SHIFT = 12;
/** damo's default sampling / aggregation intervals: 5 ms / 100 ms. */
const DEFAULT_SLOTS = 20;

interface Snapshots {
  count: number;
  /** Where each snapshot came from, for messages: JSON record and snapshot index, or tracepoint line (second -1). */
  locA: Int32Array;
  locB: Int32Array;
  startNs: Float64Array;
  sampleNs: Float64Array;
  slots: Int32Array;
  vm: Uint16Array;
  regionFrom: Int32Array;
  regionTo: Int32Array;
  regions: number;
  firstPage: Float64Array;
  pages: Float64Array;
  nr: Int32Array;
}

async function readAll(path: string): Promise<Buffer> {
  const s = new ByteStream(path);
  const parts: Buffer[] = [];
  try {
    for (let c = await s.next(); c; c = await s.next()) parts.push(c);
  } finally {
    s.close();
  }
  return Buffer.concat(parts);
}

/** "4,096" / "4096" / 4096 → 4096; NaN if not a number. */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*-?[\d,]+(\.\d+)?\s*$/.test(v)) return Number(v.replace(/,/g, ''));
  return NaN;
}

class Builder {
  private snaps: number[][] = [];
  private regs: number[][] = [];
  snapshot(startNs: number, sampleNs: number, slots: number, vm: number, locA: number, locB: number): void {
    this.snaps.push([startNs, sampleNs, slots, vm, this.regs.length, locA, locB]);
  }
  region(startAddr: number, endAddr: number, nr: number): void {
    const first = Math.floor(startAddr / 2 ** PAGE_SHIFT);
    const last = Math.ceil(endAddr / 2 ** PAGE_SHIFT);
    this.regs.push([first, Math.max(1, last - first), nr]);
  }
  build(): Snapshots {
    const n = this.snaps.length;
    const s: Snapshots = {
      count: n, locA: Int32Array.from(this.snaps, (x) => x[5]), locB: Int32Array.from(this.snaps, (x) => x[6]),
      startNs: new Float64Array(n), sampleNs: new Float64Array(n), slots: new Int32Array(n), vm: new Uint16Array(n),
      regionFrom: new Int32Array(n), regionTo: new Int32Array(n), regions: this.regs.length,
      firstPage: Float64Array.from(this.regs, (r) => r[0]), pages: Float64Array.from(this.regs, (r) => r[1]), nr: Int32Array.from(this.regs, (r) => r[2]),
    };
    this.snaps.forEach((x, i) => {
      s.startNs[i] = x[0];
      s.sampleNs[i] = x[1];
      s.slots[i] = x[2];
      s.vm[i] = x[3];
      s.regionFrom[i] = x[4];
      s.regionTo[i] = i + 1 < n ? this.snaps[i + 1][4] : this.regs.length;
    });
    return s;
  }
}

export function parseDamonJson(text: string, path: string): Snapshots {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new TraceError(`${path}: expected damo record JSON, ${(err as Error).message}`);
  }
  const records = Array.isArray(data) ? data : [data];
  const b = new Builder();
  const bad = (where: string, expected: string, found: unknown) =>
    new TraceError(`${path}: ${where}: expected ${expected}, found ${cut(JSON.stringify(found) ?? String(found), 60)}`);
  records.forEach((rec: any, ri: number) => {
    if (!rec || typeof rec !== 'object' || !Array.isArray(rec.snapshots)) throw bad(`record ${ri}`, 'an object with a "snapshots" array (damo record JSON)', rec && typeof rec === 'object' ? Object.keys(rec) : rec);
    const given = rec.intervals ?? rec;
    const sampleRaw = rec.intervals ? given.sample_us : given.sample_interval_us;
    const aggrRaw = rec.intervals ? given.aggr_us : given.aggr_interval_us;
    const sampleUs = num(sampleRaw);
    const aggrUs = num(aggrRaw);
    if (sampleRaw !== undefined || aggrRaw !== undefined) {
      // Given intervals must make sense: a bad one would spread samples over absurd times.
      const slotsGiven = aggrUs / sampleUs;
      if (!(sampleUs > 0 && aggrUs >= sampleUs && aggrUs * 1e3 <= MAX_GAP_NS && slotsGiven <= MAX_DAMON_SLOTS)) {
        throw bad(`record ${ri} intervals`, `sample_us > 0, aggr_us ≥ sample_us, aggr_us ≤ ${showNs(MAX_GAP_NS)} and at most ${MAX_DAMON_SLOTS} samples per aggregation`, { sample_us: sampleRaw, aggr_us: aggrRaw });
      }
    }
    const slots = sampleUs > 0 && aggrUs > 0 ? Math.max(1, Math.round(aggrUs / sampleUs)) : DEFAULT_SLOTS;
    const vm = ri;
    rec.snapshots.forEach((snap: any, si: number) => {
      const where = `record ${ri} snapshot ${si}`;
      const start = num(snap?.start_time);
      const end = num(snap?.end_time);
      if (!(start >= 0 && start < Infinity)) throw bad(where, 'start_time ≥ 0 in ns', snap?.start_time);
      if (!Array.isArray(snap.regions)) throw bad(where, 'a "regions" array', snap.regions);
      const aggrNs = Number.isFinite(end) && end > start ? end - start : aggrUs * 1e3;
      if (!(aggrNs > 0 && aggrNs <= MAX_GAP_NS)) {
        throw bad(where, `end_time after start_time by at most ${showNs(MAX_GAP_NS)} (or intervals.aggr_us)`, { start_time: snap?.start_time, end_time: snap?.end_time });
      }
      b.snapshot(start, aggrNs / slots, slots, vm, ri, si);
      snap.regions.forEach((r: any, k: number) => {
        const lo = num(r?.start);
        const hi = num(r?.end);
        const nr = typeof r?.nr_accesses === 'object' && r.nr_accesses !== null ? num(r.nr_accesses.samples) : num(r?.nr_accesses);
        if (!(lo >= 0 && hi > lo && hi <= 2 ** 64)) throw bad(`${where} region ${k}`, 'addresses 0 ≤ start < end ≤ 2^64', { start: r?.start, end: r?.end });
        if (!(Number.isInteger(nr) && nr >= 0)) throw bad(`${where} region ${k}`, 'nr_accesses ≥ 0', r?.nr_accesses);
        b.region(lo, hi, nr);
      });
    });
  });
  return b.build();
}

const AGG_LINE = /^\s*\S+\s+\S+\s+(?:\S+\s+)?(?:\[\d+\]\s+)?(\d+\.\d+): damon:damon_aggregated: target_id=(\d+) nr_regions=(\d+) (\d+)-(\d+): (\d+) (\d+)\s*$/;

export function parseDamonTracepoint(text: string, path: string, skipBad: boolean): { snaps: Snapshots; bad: number } {
  const lines = text.split('\n');
  // Rows: [time ns, target, nr_regions, start, end, nr_accesses]
  const rows: number[][] = [];
  let badCount = 0;
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const m = AGG_LINE.exec(line);
    if (!m) {
      if (skipBad) {
        badCount++;
        return;
      }
      throw new TraceError(`${path}:${i + 1}: expected "… <secs>: damon:damon_aggregated: target_id=T nr_regions=N <start>-<end>: <nr_accesses> <age>", found "${cut(line)}"`);
    }
    const row = [Number(m[1]) * 1e9, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), i + 1];
    // Digits only, so each number is ≥ 0; still bounded: a time or address of 400 digits is Infinity.
    if (!(row[0] < Infinity && row[4] <= 2 ** 64 && row[3] < row[4])) {
      if (skipBad) {
        badCount++;
        return;
      }
      throw new TraceError(`${path}:${i + 1}: expected a finite time and addresses 0 ≤ start < end ≤ 2^64, found "${cut(line)}"`);
    }
    rows.push(row);
  });
  // A snapshot is the nr_regions consecutive lines of one target that one aggregation emits (their
  // timestamps differ by microseconds); the aggregation interval is the time to the target's next one.
  const starts: number[] = [];
  for (let i = 0; i < rows.length; ) {
    starts.push(i);
    const target = rows[i][1];
    const n = Math.max(1, rows[i][2]);
    let k = 1;
    while (k < n && i + k < rows.length && rows[i + k][1] === target) k++;
    i += k;
  }
  const b = new Builder();
  const targets = [...new Set(rows.map((r) => r[1]))].sort((x, y) => x - y);
  starts.forEach((from, si) => {
    const to = si + 1 < starts.length ? starts[si + 1] : rows.length;
    const t = rows[from][0];
    const target = rows[from][1];
    let next = NaN;
    for (let sj = si + 1; sj < starts.length; sj++) {
      if (rows[starts[sj]][1] === target) {
        next = rows[starts[sj]][0];
        break;
      }
    }
    // The aggregation interval is inferred from the time to the target's next snapshot: a jump
    // there would spread this snapshot's samples over the jump, so it is bounded like a gap.
    let aggrNs = next > t ? next - t : 100e6;
    if (aggrNs > MAX_GAP_NS) {
      if (!skipBad) {
        throw new TraceError(`${path}:${rows[from][6]}: expected the next snapshot of target ${target} within ${showNs(MAX_GAP_NS)} (its aggregation interval), found ${showNs(aggrNs)} later`);
      }
      badCount++;
      aggrNs = 100e6;
    }
    b.snapshot(t, aggrNs / DEFAULT_SLOTS, DEFAULT_SLOTS, targets.indexOf(target), rows[from][6], -1);
    for (let i = from; i < to; i++) b.region(rows[i][3], rows[i][4], rows[i][5]);
  });
  return { snaps: b.build(), bad: badCount };
}

export class DamonReader implements TraceReader {
  badRecords = 0;
  private snaps!: Snapshots;
  private snap = 0;
  private slot = 0;
  private region = 0;
  private lastNs = NaN;
  /** Simulated time of the replayed accesses so far (sum of gaps), checked against MAX_SPAN_NS. */
  private spanNs = 0;

  constructor(private readonly opts: ReaderOptions) {}

  async load(): Promise<void> {
    const buf = await readAll(this.opts.path);
    const text = buf.toString('utf8');
    const first = text.trimStart()[0];
    if (first === '[' || first === '{') this.snaps = parseDamonJson(text, this.opts.path);
    else {
      const r = parseDamonTracepoint(text, this.opts.path, this.opts.skipBad);
      this.snaps = r.snaps;
      this.badRecords = r.bad;
    }
    let positive = 0;
    for (let i = 0; i < this.snaps.regions; i++) positive += this.snaps.nr[i];
    if (positive === 0) {
      throw new TraceError(`${this.opts.path}: every region of its ${this.snaps.count} DAMON snapshot(s) has nr_accesses 0: DAMON saw no accesses, so there is nothing to replay (an empty trace is an error)`);
    }
  }

  fill(batch: AccessBatch): number {
    const s = this.snaps;
    let n = 0;
    const keep = this.opts.cpu <= 0;
    while (n < batch.capacity && this.snap < s.count) {
      const si = this.snap;
      const slots = s.slots[si];
      const k = this.slot;
      const t = s.startNs[si] + k * s.sampleNs[si];
      for (let r = s.regionFrom[si] + this.region; r < s.regionTo[si] && n < batch.capacity; r++, this.region++) {
        const nr = Math.min(s.nr[r], slots);
        if (Math.floor(((k + 1) * nr) / slots) === Math.floor((k * nr) / slots)) continue;
        // Fixed hash of (snapshot, region, slot) → page within the region.
        let h = Math.imul(si + 1, 0x9e3779b1) ^ Math.imul(r + 1, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35);
        h ^= h >>> 15;
        h = Math.imul(h, 0x2c1b3c6d);
        h ^= h >>> 12;
        const page = s.firstPage[r] + ((h >>> 0) % s.pages[r]);
        if (!keep) continue;
        const gap = this.lastNs === this.lastNs && t > this.lastNs ? t - this.lastNs : 0;
        this.lastNs = t;
        if (gap > MAX_GAP_NS || this.spanNs + gap > MAX_SPAN_NS) {
          // With --skip-bad the access is dropped and the replay goes on from its time (the jump is cut out).
          this.outOfRange(si, gap);
          continue;
        }
        this.spanNs += gap;
        batch.addrHi[n] = Math.floor(page / 2 ** (32 - PAGE_SHIFT));
        batch.addrLo[n] = ((page % 2 ** (32 - PAGE_SHIFT)) * 2 ** PAGE_SHIFT) >>> 0;
        batch.op[n] = OP_READ;
        batch.cpu[n] = 0;
        batch.vm[n] = s.vm[si];
        batch.gapNs[n] = gap;
        batch.content[n] = 0;
        n++;
      }
      if (s.regionFrom[si] + this.region >= s.regionTo[si]) {
        this.region = 0;
        if (++this.slot >= slots) {
          this.slot = 0;
          this.snap++;
        }
      }
    }
    batch.count = n;
    return n;
  }

  /** A replayed access whose gap (a timestamp jump) or total time is out of range (traces/FORMAT.md "Ranges"). */
  private outOfRange(si: number, gap: number): void {
    if (this.opts.skipBad) {
      this.badRecords++;
      return;
    }
    const s = this.snaps;
    const where = s.locB[si] < 0 ? `${this.opts.path}:${s.locA[si]}` : `${this.opts.path}: record ${s.locA[si]} snapshot ${s.locB[si]}`;
    throw new TraceError(
      gap > MAX_GAP_NS
        ? `${where}: expected ${GAP_EXPECTED} between replayed samples, found ${showNs(gap)} (a jump of the snapshot times)`
        : `${where}: expected ${SPAN_EXPECTED}, found ${showNs(this.spanNs + gap)} at this snapshot`,
    );
  }

  close(): void {}
}

export const damonFormat: TraceFormat = {
  name: 'damon',
  summary: 'DAMON: damo record JSON (plain or zlib json_compressed) or perf script of damon:damon_aggregated',
  instructionLevel: false,
  detect(head) {
    const text = head.toString('utf8', 0, Math.min(head.length, 8192));
    return text.includes('damon:damon_aggregated') || (/^\s*[[{]/.test(text) && /"(snapshots|kdamond_idx|nr_accesses)"/.test(text));
  },
  async open(opts) {
    const r = new DamonReader(opts);
    await r.load();
    return r;
  },
};
