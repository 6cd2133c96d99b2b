// Memory pressure stall information (PSI "some" for memory, Documentation/accounting/psi.rst;
// kernel/sched/psi.c): the time the workload's tasks spent stalled on memory, which Senpai/TMO read
// from memory.pressure (`some … total=` in µs) to decide how much memory a cgroup needs.
//
// - What counts (the kernel's psi_memstall_enter sections, as the engine sees them): a swap-in's
//   whole major fault (zswap decompression, or the device read; mm/page_io.c swap_read_folio), a
//   refault of a file or page-cache page that reads the device (mm/filemap.c filemap_read_folio),
//   and reclaim done in the faulting task (direct reclaim, mm/vmscan.c try_to_free_pages; over
//   memory.high, mm/memcontrol.c reclaim_high). Not: a first read of a file page (IO pressure, not
//   memory), minor faults, NUMA hint faults, kswapd (a kernel thread outside the workload).
// - Deviation [model]: the kernel counts a refault only when the folio is PG_workingset (it was
//   active before eviction and its refault distance is within the working set, mm/workingset.c);
//   the engine does not track that bit, so every refault counts — an upper bound on the stall.
// - "some" over several CPUs: psi.c collect_percpu_times weights each CPU's stall time by its
//   non-idle time; in a closed-loop run every CPU is busy until its stream ends, so the aggregate
//   is the mean over CPUs of each CPU's stall time (one CPU: its stall time).
// Off-path: one add per major fault; nothing on the per-access path. Not a summary column (runs
// without a reader of it are unchanged).

export class Psi {
  /** Memory stall per CPU so far, ns. */
  readonly memStallNs: Float64Array;

  constructor(readonly cpus: number) {
    this.memStallNs = new Float64Array(Math.max(1, cpus));
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
