// Doubly linked page lists as index links in typed arrays (the kernel's struct list_head on
// folio->lru). A page is on at most one list. Head = most recently added (list_add), tail = the
// oldest (lru_to_folio takes list->prev), as in the kernel's LRU lists.

import { grow } from './grow.ts';

const NIL = -1;

export class PageLists {
  prev: Int32Array;
  next: Int32Array;
  /** List of each page, or -1. */
  listOf: Int16Array;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly size: Float64Array;
  /**
   * Sum of the pages' weights per list (equals size unless setWeight is used): a list holding
   * huge pages and base pages counts them in base pages, as the kernel's LRU sizes count a THP
   * as HPAGE_PMD_NR pages.
   */
  readonly units: Float64Array;
  /** Per-page weight, or null while every page weighs 1. */
  private weight: Uint16Array | null = null;

  constructor(lists: number, initialPages = 1024) {
    this.prev = new Int32Array(initialPages);
    this.next = new Int32Array(initialPages);
    this.listOf = new Int16Array(initialPages).fill(NIL);
    this.head = new Int32Array(lists).fill(NIL);
    this.tail = new Int32Array(lists).fill(NIL);
    this.size = new Float64Array(lists);
    this.units = new Float64Array(lists);
  }

  /** Weight of a page that is on no list (default 1). */
  setWeight(page: number, w: number): void {
    if (this.listOf[page] !== NIL) throw new Error(`setWeight: page ${page} is on list ${this.listOf[page]}`);
    if (this.weight === null) this.weight = new Uint16Array(this.listOf.length).fill(1);
    this.weight[page] = w;
  }

  weightOf(page: number): number {
    return this.weight === null ? 1 : this.weight[page];
  }

  /** Make room for page ids below n (grown by doubling). */
  ensure(n: number): void {
    if (n <= this.listOf.length) return;
    this.prev = grow(this.prev, n);
    this.next = grow(this.next, n);
    this.listOf = grow(this.listOf, n, NIL);
    if (this.weight !== null) this.weight = grow(this.weight, this.listOf.length, 1);
  }

  pushHead(list: number, page: number): void {
    const h = this.head[list];
    this.prev[page] = NIL;
    this.next[page] = h;
    if (h !== NIL) this.prev[h] = page;
    else this.tail[list] = page;
    this.head[list] = page;
    this.listOf[page] = list;
    this.size[list]++;
    this.units[list] += this.weight === null ? 1 : this.weight[page];
  }

  pushTail(list: number, page: number): void {
    const t = this.tail[list];
    this.next[page] = NIL;
    this.prev[page] = t;
    if (t !== NIL) this.next[t] = page;
    else this.head[list] = page;
    this.tail[list] = page;
    this.listOf[page] = list;
    this.size[list]++;
    this.units[list] += this.weight === null ? 1 : this.weight[page];
  }

  /** Take the page off its list (no-op if it is on none). */
  remove(page: number): void {
    const list = this.listOf[page];
    if (list < 0) return;
    const p = this.prev[page];
    const n = this.next[page];
    if (p !== NIL) this.next[p] = n;
    else this.head[list] = n;
    if (n !== NIL) this.prev[n] = p;
    else this.tail[list] = p;
    this.listOf[page] = NIL;
    this.size[list]--;
    this.units[list] -= this.weight === null ? 1 : this.weight[page];
  }

  moveHead(list: number, page: number): void {
    if (this.listOf[page] !== list) {
      this.remove(page);
      this.pushHead(list, page);
      return;
    }
    // Speed trick: a page rotated within its own list (a walk keeping a page it looked at) is only
    // relinked: its list, the list's size and units stay as they are (remove + pushHead would
    // subtract and add them back, exactly).
    const h = this.head[list];
    if (h === page) return;
    const p = this.prev[page]; // not NIL: the page is not the head
    const n = this.next[page];
    this.next[p] = n;
    if (n !== NIL) this.prev[n] = p;
    else this.tail[list] = p;
    this.prev[page] = NIL;
    this.next[page] = h;
    this.prev[h] = page;
    this.head[list] = page;
  }
}

export const NO_PAGE = NIL;
