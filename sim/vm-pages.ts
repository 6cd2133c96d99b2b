// Per-VM lists of page ids, built from first-touch faults, for the VM mechanisms (balloon,
// idle-tax, page-sharing): random picks ("scan pages in random order", "sample n random pages")
// and a CLOCK hand per VM (the guest's LRU approximation). One Int32Array per VM, grown by
// doubling; no object per page. Called from faults and timers only, never per access.

import { grow } from './columns.ts';

export class VmPageLists {
  private lists: Int32Array[] = [];
  private counts: Int32Array;
  private hands: Int32Array;

  constructor(vms: number) {
    this.counts = new Int32Array(Math.max(1, vms));
    this.hands = new Int32Array(Math.max(1, vms));
    for (let v = 0; v < Math.max(1, vms); v++) this.lists.push(new Int32Array(256));
  }

  /** Record a newly touched page of vm (pages outside the configured VMs go to the last one). */
  add(vm: number, page: number): void {
    const v = vm < this.lists.length ? vm : this.lists.length - 1;
    const n = this.counts[v];
    if (n >= this.lists[v].length) this.lists[v] = grow(this.lists[v], n + 1);
    this.lists[v][n] = page;
    this.counts[v] = n + 1;
  }

  count(vm: number): number {
    return vm < this.lists.length ? this.counts[vm] : 0;
  }

  at(vm: number, i: number): number {
    return this.lists[vm][i];
  }

  /** A uniformly random page of vm (u in [0, 1)), or -1 if it has none. */
  random(vm: number, u: number): number {
    const n = this.count(vm);
    return n === 0 ? -1 : this.lists[vm][Math.floor(u * n)];
  }

  /** Next page under vm's CLOCK hand (advances it), or -1 if it has none. */
  next(vm: number): number {
    const n = this.count(vm);
    if (n === 0) return -1;
    let h = this.hands[vm];
    if (h >= n) h = 0;
    this.hands[vm] = h + 1;
    return this.lists[vm][h];
  }
}
