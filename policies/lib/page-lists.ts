// Doubly linked page lists as index links in typed arrays (the kernel's struct list_head on
// folio->lru). A page is on at most one list. Head = most recently added (list_add), tail = the
// oldest (lru_to_folio takes list->prev), as in the kernel's LRU lists.

const NIL = -1;

export class PageLists {
  prev: Int32Array;
  next: Int32Array;
  /** List of each page, or -1. */
  listOf: Int16Array;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly size: Float64Array;

  constructor(lists: number, initialPages = 1024) {
    this.prev = new Int32Array(initialPages);
    this.next = new Int32Array(initialPages);
    this.listOf = new Int16Array(initialPages).fill(NIL);
    this.head = new Int32Array(lists).fill(NIL);
    this.tail = new Int32Array(lists).fill(NIL);
    this.size = new Float64Array(lists);
  }

  /** Make room for page ids below n (grown by doubling). */
  ensure(n: number): void {
    if (n <= this.listOf.length) return;
    let cap = this.listOf.length;
    while (cap < n) cap *= 2;
    const p = new Int32Array(cap);
    p.set(this.prev);
    this.prev = p;
    const q = new Int32Array(cap);
    q.set(this.next);
    this.next = q;
    const l = new Int16Array(cap).fill(NIL);
    l.set(this.listOf);
    this.listOf = l;
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
  }

  moveHead(list: number, page: number): void {
    this.remove(page);
    this.pushHead(list, page);
  }
}

export const NO_PAGE = NIL;
