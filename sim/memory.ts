// Pages, frames and tiers: page → frame → tier, in typed-array columns indexed by dense page id.
//
// - Per page: one state byte the access loop reads and writes (accessed, dirty, the trap bits, "no
//   frame" and a copy of its frame's tier), one byte of flags the access loop never reads
//   (swapped, guest-paged, split, base page), and its frame (-1 = none). Speed trick: the tier copy
//   and "no frame" in the state byte let an ordinary access touch one byte per page: 4 MiB for
//   4 Mi pages, which stays in the last-level cache.
// - Frames are separate from pages (DESIGN.md "Pages, frames, tiers"): content-based sharing maps
//   several pages to one frame (refcount; mappers of a shared frame are a doubly linked list of
//   page ids), and capacity counts frames. A free frame's framePage slot links the free list.
// - Columns are sized from the known footprint; they grow only past it (sub-pages of split huge
//   pages, sources of unknown footprint).
// - Bytes: 6 per page and 7 per frame (tier 1, refcount 2, first mapper 4).
// - Shadow frames (Nomad, OSDI'24 page shadowing): a page promoted by copy-and-remap may keep its
//   old slower-tier frame as a clean shadow copy. The shadow maps no page (refcount 0) but stays
//   allocated and counts in its tier's used frames; `shadow` (4 bytes per page) exists only once a
//   policy made a shadow, so runs without one pay nothing.

import type { Tier } from './machine.ts';
import { grow } from './columns.ts';
import { PAGE_ACCESSED, PAGE_DIRTY, PAGE_HINT_ARMED, PAGE_COW, PAGE_TOUCH_SAMPLE, PAGE_SWAPPED, PAGE_GUEST_PAGED, PAGE_SPLIT, PAGE_BASE } from './host.ts';

/** State byte: the public bits keep their PAGE_* values (accessed 1, dirty 2, hint armed 4, copy-on-write 16). */
export const S_ACCESSED = PAGE_ACCESSED;
export const S_DIRTY = PAGE_DIRTY;
export const S_HINT = PAGE_HINT_ARMED;
/** Armed for active-memory sampling (public PAGE_TOUCH_SAMPLE). */
export const S_TOUCH = 8;
export const S_COW = PAGE_COW;
/** The page has no frame: never touched, swapped out, or a split huge page. */
export const S_NO_FRAME = 32;
/** The frame's tier, in the top two bits. */
export const S_TIER_SHIFT = 6;
/** Bits that trap any access (hint fault, active-memory sample); a write also traps on S_COW = 1 << S_COW_SHIFT. */
export const S_TRAP_ANY = S_HINT | S_TOUCH;
export const S_COW_SHIFT = 4;
/** An access to a page with any of these bits (or a write with S_COW) leaves the fast path. */
export const S_SLOW = S_NO_FRAME | S_TRAP_ANY;
export const MAX_TIERS = 4;

/** Flag byte (never read by the access loop). */
export const K_SWAPPED = 1;
export const K_GUEST_PAGED = 2;
export const K_SPLIT = 4;
export const K_BASE = 8;
/**
 * An anon page whose swap slot holds its current contents (the kernel's swap-cache folio,
 * folio_test_swapcache, after a swap-in from the device by a read): evicting it again while clean
 * needs no write (sim/page-ops.ts evict).
 */
export const K_SWAP_COPY = 16;
/** Who frees a page in PageOps.evict: host reclaim, the guest dropping a clean page, the guest writing it out. */
export const EVICT_HOST = 0;
export const EVICT_GUEST_DROP = 1;
export const EVICT_GUEST_WRITE = 2;

const EMPTY = -1;

export class Memory {
  state: Uint8Array;
  flags: Uint8Array;
  frame: Int32Array;
  /** Pages known so far: ids 0 … pages − 1, in first-touch order (their keys: page-ids.ts). */
  pages = 0;

  frameTier: Uint8Array;
  frameRefs: Uint16Array;
  /** First mapper of a used frame; next free frame of a free one. */
  framePage: Int32Array;
  frames = 0;
  liveFrames = 0;
  private freeFrame = EMPTY;
  /** Next / previous mapper of the same frame (-1 = none); null until the first mapShared. */
  shareNext: Int32Array | null = null;
  sharePrev: Int32Array | null = null;

  readonly tiers: number;
  readonly capacityFrames: Float64Array;
  readonly usedFrames: Float64Array;
  /** Pages mapping a frame, and pages mapping a frame that another page maps too. */
  mappedPages = 0;
  sharedMapped = 0;
  /** Share of a frame one 4 KiB base frame takes (4096 / pageBytes): capacity counts in run pages. */
  readonly baseUnit: number;
  /** Per page: the slower-tier frame kept as its clean shadow copy (-1 = none); null until the first shadow. */
  shadow: Int32Array | null = null;
  /** Shadow frames held now, and shadows dropped because their page was written (write-protect fault). */
  shadowFrames = 0;
  shadowWriteBreaks = 0;
  /** Policy counter (PolicySet.counterValues index) that counts write breaks too, or -1. */
  shadowBreakCounter = -1;

  constructor(tiers: readonly Tier[], pageBytes: number, expectedPages: number) {
    if (tiers.length > MAX_TIERS) throw new RangeError(`at most ${MAX_TIERS} tiers (the page state keeps the tier in two bits), found ${tiers.length}`);
    this.tiers = tiers.length;
    this.capacityFrames = Float64Array.from(tiers, (t) => t.capacityFrames);
    this.usedFrames = new Float64Array(tiers.length);
    this.baseUnit = 4096 / pageBytes;
    const n = Math.max(16, expectedPages);
    this.state = new Uint8Array(n).fill(S_NO_FRAME);
    this.flags = new Uint8Array(n);
    this.frame = new Int32Array(n).fill(EMPTY);
    this.frameTier = new Uint8Array(n);
    this.frameRefs = new Uint16Array(n);
    this.framePage = new Int32Array(n);
  }

  /** Room for page ids below n. */
  ensurePages(n: number): void {
    if (n <= this.state.length) return;
    this.state = grow(this.state, n, S_NO_FRAME);
    this.flags = grow(this.flags, n);
    this.frame = grow(this.frame, n, EMPTY);
    if (this.shareNext !== null) {
      this.shareNext = grow(this.shareNext, n, EMPTY);
      this.sharePrev = grow(this.sharePrev!, n, EMPTY);
    }
    if (this.shadow !== null) this.shadow = grow(this.shadow, n, EMPTY);
  }

  /** Tier of the page's shadow frame, or -1 if it has none. */
  shadowTier(page: number): number {
    const sh = this.shadow;
    return sh === null || sh[page] < 0 ? -1 : this.frameTier[sh[page]];
  }

  /**
   * Move a single-mapped page to a new frame in `tier` and keep its old frame as the page's shadow
   * (Nomad's copy-and-remap with link_shadow_page). The caller checked room, single mapping and that
   * the page has no shadow yet. Returns the tier the page left.
   */
  moveKeepShadow(page: number, tier: number): number {
    if (this.shadow === null) this.shadow = new Int32Array(this.state.length).fill(EMPTY);
    const old = this.frame[page];
    const from = this.frameTier[old];
    const f = this.allocFrame(tier);
    // The old frame stays allocated (live, counted in its tier) with no mapper: it is not freed.
    this.frameRefs[old] = 0;
    this.framePage[old] = page;
    this.frame[page] = f;
    this.frameRefs[f] = 1;
    this.framePage[f] = page;
    this.state[page] = (this.state[page] & ~(3 << S_TIER_SHIFT)) | (tier << S_TIER_SHIFT);
    this.usedFrames[tier] += this.unitOf(page);
    this.shadow[page] = old;
    this.shadowFrames++;
    return from;
  }

  /**
   * Map the page back onto its shadow frame and free the frame it leaves (Nomad's demotion of a
   * shadowed page: a remap, no copy). Returns the tier the page left, or -1 without a shadow.
   */
  remapToShadow(page: number): number {
    const sh = this.shadow;
    if (sh === null || sh[page] < 0) return -1;
    const s = sh[page];
    sh[page] = EMPTY;
    this.shadowFrames--;
    const unit = this.unitOf(page);
    const freed = this.unmap(page);
    if (freed >= 0) this.usedFrames[freed] -= unit;
    this.map(page, s);
    return freed;
  }

  /** Free the page's shadow frame (written page, reclaim of shadows, page leaving memory). Returns its tier, or -1. */
  dropShadow(page: number): number {
    const sh = this.shadow;
    if (sh === null || sh[page] < 0) return -1;
    const f = sh[page];
    sh[page] = EMPTY;
    this.shadowFrames--;
    const t = this.frameTier[f];
    this.usedFrames[t] -= this.unitOf(page);
    // The page's write protection only guarded the shadow: it maps a private frame again, writable
    // (a simplification of the later write-protect fault that would make it so) [estimate].
    if (this.frame[page] >= 0) this.state[page] &= ~S_COW;
    this.framePage[f] = this.freeFrame;
    this.freeFrame = f;
    this.liveFrames--;
    return t;
  }

  /** The next page id (no frame yet). */
  newPage(): number {
    const p = this.pages++;
    this.ensurePages(p + 1);
    return p;
  }

  /** Tier of the page's frame, or -1 if it has none. */
  tierOf(page: number): number {
    const s = this.state[page];
    return s & S_NO_FRAME ? -1 : s >>> S_TIER_SHIFT;
  }

  /** The page's PAGE_* flags as policies see them. */
  publicFlags(page: number): number {
    const s = this.state[page];
    const k = this.flags[page];
    return (
      (s & (S_ACCESSED | S_DIRTY | S_HINT | S_COW)) |
      (s & S_TOUCH ? PAGE_TOUCH_SAMPLE : 0) |
      (k & K_SWAPPED ? PAGE_SWAPPED : 0) |
      (k & K_GUEST_PAGED ? PAGE_GUEST_PAGED : 0) |
      (k & K_SPLIT ? PAGE_SPLIT : 0) |
      (k & K_BASE ? PAGE_BASE : 0)
    );
  }

  /** Frames a page's frame counts for: 1, or baseUnit for a base sub-page of a split huge page. */
  unitOf(page: number): number {
    return this.flags[page] & K_BASE ? this.baseUnit : 1;
  }

  /** Preferred tier if it has room for `unit` frames, else the next slower, else the next faster; -1 if none. */
  tierWithRoom(want: number, unit = 1): number {
    const n = this.tiers;
    const w = want >= 0 && want < n ? want : 0;
    for (let t = w; t < n; t++) if (this.usedFrames[t] + unit <= this.capacityFrames[t]) return t;
    for (let t = w - 1; t >= 0; t--) if (this.usedFrames[t] + unit <= this.capacityFrames[t]) return t;
    return -1;
  }

  /** A new frame in `tier` with refcount 0, reusing a freed one when there is one. */
  allocFrame(tier: number): number {
    let f = this.freeFrame;
    if (f !== EMPTY) {
      this.freeFrame = this.framePage[f];
    } else {
      f = this.frames++;
      if (f >= this.frameTier.length) {
        this.frameTier = grow(this.frameTier, f + 1);
        this.frameRefs = grow(this.frameRefs, f + 1);
        this.framePage = grow(this.framePage, f + 1);
      }
    }
    this.frameTier[f] = tier;
    this.frameRefs[f] = 0;
    this.framePage[f] = EMPTY;
    this.liveFrames++;
    return f;
  }

  /** Map page → frame (page must be unmapped). */
  map(page: number, frame: number): void {
    this.frame[page] = frame;
    this.state[page] = (this.state[page] & ~(S_NO_FRAME | (3 << S_TIER_SHIFT))) | (this.frameTier[frame] << S_TIER_SHIFT);
    if (this.frameRefs[frame] === 0) this.framePage[frame] = page;
    this.frameRefs[frame]++;
  }

  /** Move a frame to another tier, updating the tier copy of every page that maps it. */
  setFrameTier(frame: number, tier: number): void {
    this.frameTier[frame] = tier;
    const owner = this.framePage[frame];
    const next = this.shareNext;
    if (this.frameRefs[frame] === 1 && owner >= 0) {
      this.setTierCopy(owner, tier);
    } else if (next !== null && owner >= 0) {
      for (let p = owner; p >= 0; p = next[p]) this.setTierCopy(p, tier);
    } else {
      // Shared without mapper lists (map() used directly): find every mapper. Rare.
      for (let p = 0; p < this.pages; p++) if (this.frame[p] === frame) this.setTierCopy(p, tier);
    }
  }

  private setTierCopy(page: number, tier: number): void {
    this.state[page] = (this.state[page] & ~(3 << S_TIER_SHIFT)) | (tier << S_TIER_SHIFT);
  }

  /** Unmap a page; returns the tier of its frame if that frame became free, else -1. */
  unmap(page: number): number {
    const f = this.frame[page];
    this.frame[page] = EMPTY;
    this.state[page] = (this.state[page] & ~(3 << S_TIER_SHIFT)) | S_NO_FRAME;
    if (this.shareNext !== null && this.frameRefs[f] > 1) this.unlinkSharer(page, f);
    if (--this.frameRefs[f] > 0) {
      if (this.framePage[f] === page) this.framePage[f] = EMPTY; // owner left; any mapper may claim it
      return -1;
    }
    this.framePage[f] = this.freeFrame;
    this.freeFrame = f;
    this.liveFrames--;
    return this.frameTier[f];
  }

  /** Map an unmapped page onto an already mapped frame as one more mapper (refcount + 1). */
  mapShared(page: number, frame: number): void {
    const cap = this.state.length;
    if (this.shareNext === null || this.shareNext.length < cap) {
      this.shareNext = grow(this.shareNext ?? new Int32Array(0), cap, EMPTY);
      this.sharePrev = grow(this.sharePrev ?? new Int32Array(0), cap, EMPTY);
    }
    const next = this.shareNext;
    const prev = this.sharePrev!;
    const head = this.framePage[frame];
    this.map(page, frame);
    next[page] = next[head];
    prev[page] = head;
    if (next[head] >= 0) prev[next[head]] = page;
    next[head] = page;
  }

  private unlinkSharer(page: number, frame: number): void {
    const next = this.shareNext!;
    const prev = this.sharePrev!;
    const n = next[page];
    const p = prev[page];
    if (p >= 0) next[p] = n;
    if (n >= 0) prev[n] = p;
    if (this.framePage[frame] === page) this.framePage[frame] = n >= 0 ? n : p;
    next[page] = EMPTY;
    prev[page] = EMPTY;
  }

  /** A page is about to leave its frame: keep the shared-page count (2 → 1 mappers unshares both). */
  sharedLeave(page: number): void {
    const f = this.frame[page];
    if (f < 0) return;
    const refs = this.frameRefs[f];
    if (refs === 2) this.sharedMapped -= 2;
    else if (refs > 2) this.sharedMapped--;
  }

  /** Bytes held by the page and frame columns. */
  bytes(): number {
    const share = (this.shareNext === null ? 0 : 2 * this.shareNext.byteLength) + (this.shadow === null ? 0 : this.shadow.byteLength);
    return this.state.byteLength + this.flags.byteLength + this.frame.byteLength + this.frameTier.byteLength + this.frameRefs.byteLength + this.framePage.byteLength + share;
  }
}
