// Whole-run access counts per page, for the idealised oracle policies only (a policy definition
// with `oracle: true`). A counting pre-pass reads a second opening of the run's access source
// (the same records the engine will replay, after the LLC filter when it is on) and keys pages by
// (vm, vpn) at the run's page size, as the engine's page table does; the engine answers
// Host.oracleFutureAccesses / oracleRank from it. No real system can know this: that is the point
// of an oracle (an upper bound to compare real policies against).

import type { AccessSource } from '../traces/batch.ts';
import { createBatch } from '../traces/batch.ts';
import { PageTable } from './page-table.ts';

export class OracleCounts {
  /** (vm, vpn) → dense id in pre-pass first-touch order (its own table: the engine's ids come later). */
  private readonly table = new PageTable();
  private counts = new Float64Array(1024);
  /** Per id: 0 = the most accessed page; ties broken by first touch in the pre-pass. */
  private ranks = new Int32Array(0);
  records = 0;

  /** Add the accesses of `source` (each CPU's first `perCpuLimit` records), then rank the pages. */
  static async count(source: AccessSource, pageBytes: number, perCpuLimit = Infinity): Promise<OracleCounts> {
    const oc = new OracleCounts();
    const shift = Math.log2(pageBytes);
    const batch = createBatch();
    for (let cpu = 0; cpu < source.cpus; cpu++) {
      let taken = 0;
      while (taken < perCpuLimit) {
        const r = source.read(cpu, batch);
        const n = Math.min(typeof r === 'number' ? r : await r, perCpuLimit - taken);
        if (n === 0) break;
        for (let i = 0; i < n; i++) {
          const hi = batch.addrHi[i];
          // vpn = address >> shift over the split 64-bit address, packed as the engine packs it.
          oc.add(oc.table.findOrInsert(batch.vm[i], hi >>> shift, (batch.addrLo[i] >>> shift) | (hi << (32 - shift))));
        }
        taken += n;
      }
    }
    oc.rank();
    return oc;
  }

  private add(id: number): void {
    if (id >= this.counts.length) {
      const grown = new Float64Array(this.counts.length * 2);
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[id]++;
    this.records++;
  }

  private rank(): void {
    const n = this.table.pages;
    const counts = this.counts;
    const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
    this.ranks = new Int32Array(n);
    for (let r = 0; r < n; r++) this.ranks[order[r]] = r;
  }

  /** Accesses of page (vm, vpn) over the whole run (0 if the pre-pass never saw it). */
  countOf(vm: number, vpnHi: number, vpnLo: number): number {
    const id = this.table.find(vm, vpnHi, vpnLo);
    return id < 0 ? 0 : this.counts[id];
  }

  /** Rank of the page by whole-run access count (0 = most accessed); pages never seen rank last. */
  rankOf(vm: number, vpnHi: number, vpnLo: number): number {
    const id = this.table.find(vm, vpnHi, vpnLo);
    return id < 0 ? this.table.pages : this.ranks[id];
  }
}
