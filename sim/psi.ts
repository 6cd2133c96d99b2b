// Memory pressure stall information (PSI "some" for memory, Documentation/accounting/psi.rst;
// kernel/sched/psi.c): the time the workload's tasks spent stalled on memory, which Senpai/TMO read
// from memory.pressure (`some … total=` in µs) to decide how much memory a cgroup needs.
//
// - What counts (the kernel's psi_memstall_enter sections, as the engine sees them): a swap-in's
//   whole major fault (zswap decompression, or the device read; mm/page_io.c swap_read_folio), a
//   refault of a file or page-cache page that reads the device (mm/filemap.c filemap_read_folio),
//   and reclaim done in the faulting task (direct reclaim, mm/vmscan.c try_to_free_pages, in a
//   first-touch, swap-in or copy-on-write fault; over memory.high, mm/memcontrol.c reclaim_high),
//   with everything that reclaim does synchronously (TLB shootdowns, zswap compression: page-ops.ts). Not: a first read of a file page (IO pressure, not
//   memory), minor faults, NUMA hint faults, kswapd (a kernel thread outside the workload).
// - Deviation [model]: the kernel counts a refault only when the folio is PG_workingset (it was
//   active before eviction and its refault distance is within the working set, mm/workingset.c);
//   the engine does not track that bit, so every refault counts — an upper bound on the stall.
// - "some" over several CPUs: psi.c collect_percpu_times weights each CPU's stall time by its
//   non-idle time; in a closed-loop run every CPU is busy until its stream ends, so the aggregate
//   is the mean over CPUs of each CPU's stall time (one CPU: its stall time).
// - IO `some` (for Senpai's poking mode): the device reads a task waits for — swap-ins from swap
//   (not zswap) and page-cache misses, first reads included — as psi.c counts iowait.
// - avg10 / avg60 (psi.c update_averages, calc_avgs): every PSI period (2 s; the kernel's PSI_FREQ
//   is 2 s + 1 jiffy) the share of the period spent stalled, in %, folded into exponential averages
//   with the kernel's fixed-point factors EXP_10s = 1677 / 2048 and EXP_60s = 1981 / 2048; periods
//   that passed without an update decay the averages as if idle (missed_periods). Updated lazily
//   when read.
// Off-path: one add per major fault; nothing on the per-access path. Not a summary column (runs
// without a reader of it are unchanged).

/** psi.c: 2 s between average updates, and 1/exp(2s/10s), 1/exp(2s/60s) in 1/2048 (FIXED_1). */
const PSI_PERIOD_NS = 2e9;
const EXP_10S = 1677 / 2048;
const EXP_60S = 1981 / 2048;

export class Psi {
  /** Memory and IO stall per CPU so far, ns. */
  readonly memStallNs: Float64Array;
  readonly ioStallNs: Float64Array;
  /** avg10, avg60 (%) of memory and of IO `some`, as of the last update. */
  readonly avgs = new Float64Array(4);
  /** avg_last_update and avg_next_update of psi.c. */
  private lastAvgNs = 0;
  private nextAvgNs = PSI_PERIOD_NS;
  private lastMemNs = 0;
  private lastIoNs = 0;

  constructor(readonly cpus: number) {
    this.memStallNs = new Float64Array(Math.max(1, cpus));
    this.ioStallNs = new Float64Array(Math.max(1, cpus));
  }

  /** CPU `cpu` waited `ns` for IO (a device read). */
  ioStall(cpu: number, ns: number): void {
    if (ns > 0) this.ioStallNs[cpu] += ns;
  }

  /** PSI io `some` total so far, in ns (CPUs averaged, as memory's). */
  ioSomeTotalNs(): number {
    let s = 0;
    for (let c = 0; c < this.ioStallNs.length; c++) s += this.ioStallNs[c];
    return s / this.ioStallNs.length;
  }

  /**
   * Bring avg10 / avg60 up to `nowNs` (psi.c update_averages): once the next update is due, decay by
   * the periods missed since it was due, then fold in the stall share of the time since the last
   * update.
   * Returns [memory avg10, memory avg60, io avg10, io avg60] in %.
   */
  averages(nowNs: number): Float64Array {
    // avg_next_update: the first update is due one period in; then every period after the last due time.
    if (nowNs < this.nextAvgNs) return this.avgs;
    const missed = Math.floor((nowNs - this.nextAvgNs) / PSI_PERIOD_NS);
    const elapsed = nowNs - this.lastAvgNs; // period = now − avg_last_update
    const mem = this.memSomeTotalNs();
    const io = this.ioSomeTotalNs();
    const memPct = Math.min(100, (100 * (mem - this.lastMemNs)) / elapsed);
    const ioPct = Math.min(100, (100 * (io - this.lastIoNs)) / elapsed);
    for (let i = 0; i < 4; i++) {
      const e = (i & 1) === 0 ? EXP_10S : EXP_60S;
      const pct = i < 2 ? memPct : ioPct;
      // calc_avgs: missed periods decay as if nothing stalled, then the sample enters (calc_load).
      this.avgs[i] = this.avgs[i] * e ** missed * e + pct * (1 - e);
    }
    this.nextAvgNs += (1 + missed) * PSI_PERIOD_NS;
    this.lastAvgNs = nowNs;
    this.lastMemNs = mem;
    this.lastIoNs = io;
    return this.avgs;
  }

  /** CPU `cpu` was stalled on memory for `ns`. */
  memStall(cpu: number, ns: number): void {
    if (ns > 0) this.memStallNs[cpu] += ns;
  }

  /** PSI memory `some` total so far, in ns: the CPUs' stall times averaged (all CPUs non-idle). */
  memSomeTotalNs(): number {
    let s = 0;
    for (let c = 0; c < this.memStallNs.length; c++) s += this.memStallNs[c];
    return s / this.memStallNs.length;
  }
}
