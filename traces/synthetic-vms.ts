// Multi-VM synthetic workload (issue 6): several guests on one host, each with its own access
// stream (vm column) and page contents (content column), seeded.
//
//   vms:count=4,pages=16Ki,os=0.4,zero=0.15,images=1,accesses=1M,osShare=0.3,write=0.2,ws=1,gapNs=20
//
// - Each guest's memory (pages 4 KiB pages at the same guest-physical addresses in every VM) is
//   laid out as an OS / library image (share `os`), zero pages (share `zero`: free guest memory the
//   guest zeroed), duplicate pages (share `dup`) and private data (the rest).
// - Boot: every guest first writes each of its pages once, in address order, with its content: OS
//   page j of image i has the fingerprint of (i, j) — identical in every guest running image i
//   (VM v runs image v mod `images`) —, zero pages the zero-page fingerprint, duplicate page k a
//   copy of the guest's own OS page k (a library mapped twice, a buffer holding a copy of a file
//   page: content equal to another page of the same guest, so page sharing saves frames within one
//   guest), data pages a fingerprint of (vm, page).
// - Then `accesses` per guest: a share `osShare` are reads of random OS pages (code, libraries:
//   read-only, so they stay identical); the rest go uniformly to the first `ws` share of the guest's
//   data pages, a share `write` of them writes that leave new content (so writes really change
//   pages). Zero and duplicate pages are not touched after boot.
// - File I/O through the guest's buffer cache (`file` > 0, off by default): each guest has a file
//   set of `file` 4 KiB blocks on its virtual disk; a share `fileShare` of its accesses after boot
//   are read()/write() calls on a uniformly random block (a share `fileWrite` of them writes, which
//   leave new content). File blocks are guest page-cache pages at their own addresses after the
//   guest's memory pages (vmsGuestCacheRange): the engine's guest model knows them as cache, fills
//   free guest memory with them, reads a missing block from the guest's virtual disk and reclaims
//   cache before anon pages (sim/vm-model.ts). They are not touched at boot.
// - ws, osShare and gapNs take one value per VM separated by "/", the last repeating ("ws=1/0.05": VM 0
//   uses all its data, every other VM 5 %).
// Fingerprints are 32-bit (0 = unknown); data fingerprints of different pages may collide with
// probability ~2^-32 per pair, which would let two such pages share (harmless, and rare).

import seedrandom from 'seedrandom';
import type { AccessBatch } from './batch.ts';
import { OP_READ, OP_WRITE } from './batch.ts';
import { parseNumber } from '../sim/config.ts';

/** Fingerprint of a zero-filled page. */
export const CONTENT_ZERO_PAGE = 0x7a65726f; // "zero"

export const VMS_PARAMS: Record<string, { default: number | string; doc: string }> = {
  count: { default: 2, doc: 'Number of VMs (guests).' },
  pages: { default: '16Ki', doc: 'Memory of each guest in 4 KiB pages (all touched at boot).' },
  os: { default: 0.4, doc: 'Share of each guest\'s pages holding its OS / library image (identical across guests running the same image).' },
  zero: { default: 0.15, doc: 'Share of each guest\'s pages that are zero pages (zeroed free memory, not touched after boot).' },
  dup: { default: 0, doc: 'Share of each guest\'s pages that copy one of its own OS pages (duplicate page k = OS page k; at most os), so one guest alone can share non-zero pages. Paper §4.3: one VM alone shared ~5 MB, 55 % of it zero pages, i.e. ≈ 2.25 MB non-zero: dup ≈ 2.25 MB / guest memory.' },
  file: { default: 0, doc: 'File set of each guest in 4 KiB blocks, read and written through its buffer cache (0 = no file I/O).' },
  fileShare: { default: 0, doc: 'Share of accesses after boot that are file reads/writes (read()/write() of a random block of the file set); needs file > 0.' },
  fileWrite: { default: 0, doc: 'Share of file accesses that write (dirty the cache page).' },
  images: { default: 1, doc: 'Distinct guest images; VM v runs image v mod images (1 = identical guests).' },
  accesses: { default: '1M', doc: 'Accesses per VM after boot.' },
  osShare: { default: '0.3', doc: 'Share of accesses that read OS / library pages, per VM separated by "/" (last repeats).' },
  write: { default: 0.2, doc: 'Share of data accesses that write new content.' },
  ws: { default: '1', doc: 'Share of its data pages each VM keeps using after boot, per VM separated by "/" (last repeats).' },
  gapNs: { default: '20', doc: 'Compute time between two accesses of a thread in ns, per VM separated by "/" (last repeats).' },
  threads: { default: 1, doc: 'Threads (simulated CPUs) per VM.' },
};

const BASE_PAGE = 0x10000; // guest data from 0x10000000, as the other kinds
const PAGE_LOG2 = 12;

export class VmsWorkloadError extends Error {
  override name = 'WorkloadError';
}

export interface VmsSpec {
  count: number;
  pages: number;
  osPages: number;
  zeroPages: number;
  dupPages: number;
  filePages: number;
  fileShare: number;
  fileWrite: number;
  images: number;
  accesses: number;
  osShare: number[];
  write: number;
  ws: number[];
  gapNs: number[];
  threads: number;
}

export function isVmsWorkload(spec: string): boolean {
  return /^\s*vms\s*(:|$)/.test(spec);
}

export function parseVmsWorkload(spec: string): VmsSpec {
  if (spec.includes('+')) throw new VmsWorkloadError(`workload "${spec}": vms cannot be combined with other phases`);
  const colon = spec.indexOf(':');
  const given: Record<string, string> = {};
  if (colon >= 0 && spec.slice(colon + 1).trim() !== '') {
    for (const kv of spec.slice(colon + 1).split(',')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new VmsWorkloadError(`workload "${spec}": expected key=value, found "${kv}"`);
      const key = kv.slice(0, eq).trim();
      if (!Object.hasOwn(VMS_PARAMS, key)) throw new VmsWorkloadError(`workload "${spec}": vms has no parameter "${key}". Valid: ${Object.keys(VMS_PARAMS).join(', ')}`);
      given[key] = kv.slice(eq + 1).trim();
    }
  }
  const raw = (key: string) => given[key] ?? String(VMS_PARAMS[key].default);
  const one = (text: string, key: string): number => {
    const v = parseNumber(text);
    if (!Number.isFinite(v)) throw new VmsWorkloadError(`workload "${spec}": vms.${key} expects a number, found "${text}"`);
    return v;
  };
  const val = (key: string) => one(raw(key), key);
  const list = (key: string) => raw(key).split('/').map((t) => one(t, key));
  const bad = (what: string) => new VmsWorkloadError(`workload "${spec}": vms ${what}`);
  const count = Math.floor(val('count'));
  const pages = Math.floor(val('pages'));
  const os = val('os');
  const zero = val('zero');
  if (count < 1 || count > 4096) throw bad(`needs count in [1, 4096], found ${count}`);
  if (pages < 1 || pages > 1 << 27) throw bad(`needs pages in [1, 2^27], found ${pages}`);
  if (!(os >= 0 && zero >= 0 && os + zero < 1)) throw bad(`needs os ≥ 0, zero ≥ 0 and os + zero < 1 (data pages remain), found os ${os}, zero ${zero}`);
  const s: VmsSpec = {
    count,
    pages,
    osPages: Math.floor(os * pages),
    zeroPages: Math.floor(zero * pages),
    dupPages: Math.floor(val('dup') * pages),
    filePages: Math.floor(val('file')),
    fileShare: val('fileShare'),
    fileWrite: val('fileWrite'),
    images: Math.floor(val('images')),
    accesses: Math.floor(val('accesses')),
    osShare: list('osShare'),
    write: val('write'),
    ws: list('ws'),
    gapNs: list('gapNs'),
    threads: Math.floor(val('threads')),
  };
  if (s.images < 1) throw bad(`needs images ≥ 1, found ${s.images}`);
  if (s.accesses < 0) throw bad(`needs accesses ≥ 0, found ${s.accesses}`);
  if (s.osShare.some((o) => !(o >= 0 && o <= 1))) throw bad(`needs every osShare in [0, 1], found ${raw('osShare')}`);
  if (!(s.write >= 0 && s.write <= 1)) throw bad(`needs write in [0, 1], found ${s.write}`);
  if (s.ws.some((w) => !(w > 0 && w <= 1))) throw bad(`needs every ws in (0, 1], found ${raw('ws')}`);
  if (s.gapNs.some((g) => !(g >= 0))) throw bad(`needs every gapNs ≥ 0, found ${raw('gapNs')}`);
  if (s.threads < 1 || s.threads * count > 4096) throw bad(`needs threads ≥ 1 and threads · count ≤ 4096, found ${s.threads}`);
  if (s.osShare.some((o) => o > 0) && s.osPages === 0) throw bad('has osShare > 0 but no OS pages (raise os)');
  if (!(val('dup') >= 0) || s.dupPages > s.osPages) throw bad(`needs 0 ≤ dup ≤ os (a duplicate page copies one of the guest's OS pages), found dup ${val('dup')}, os ${os}`);
  if (s.osPages + s.zeroPages + s.dupPages >= pages) throw bad(`needs os + zero + dup < 1 (data pages remain), found ${os} + ${zero} + ${val('dup')}`);
  if (s.filePages < 0 || s.filePages > 1 << 27) throw bad(`needs file in [0, 2^27] blocks, found ${s.filePages}`);
  if (!(s.fileShare >= 0 && s.fileShare < 1)) throw bad(`needs fileShare in [0, 1), found ${s.fileShare}`);
  if (!(s.fileWrite >= 0 && s.fileWrite <= 1)) throw bad(`needs fileWrite in [0, 1], found ${s.fileWrite}`);
  if ((s.filePages > 0) !== (s.fileShare > 0)) throw bad(`needs file > 0 and fileShare > 0 together (a file set and accesses to it), found file ${s.filePages}, fileShare ${s.fileShare}`);
  return s;
}

/** 32-bit fingerprint of (a, b, c), never 0 (0 means unknown content). */
export function fingerprint(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
  h = (h ^ (h >>> 15)) >>> 0;
  return h === 0 || h === CONTENT_ZERO_PAGE ? 1 : h;
}

/** The generator: thread t belongs to VM floor(t / threads); each thread boots then runs its share. */
export class VmsWorkload {
  readonly cpus: number;
  readonly vms: number;
  private readonly s: VmsSpec;
  private readonly done: Float64Array;
  private readonly rngs: Array<() => number>;

  constructor(spec: string, seed: number) {
    this.s = parseVmsWorkload(spec);
    this.vms = this.s.count;
    this.cpus = this.s.count * this.s.threads;
    this.done = new Float64Array(this.cpus);
    this.rngs = Array.from({ length: this.cpus }, (_, t) => seedrandom.alea(`${seed}/workload/vms/${t}`));
  }

  vmPages(vm: number): number | undefined {
    return vm < this.vms ? this.s.pages : undefined;
  }

  footprintPages(pageBytes: number): number {
    return this.vms * Math.ceil(((this.s.pages + this.s.filePages) * 4096) / pageBytes);
  }

  read(cpu: number, b: AccessBatch): number {
    const s = this.s;
    const vm = Math.floor(cpu / s.threads);
    const k = cpu % s.threads;
    const boot = share(s.pages, s.threads, k);
    const bootFirst = k * Math.floor(s.pages / s.threads) + Math.min(k, s.pages % s.threads);
    const mine = boot + share(s.accesses, s.threads, k);
    const done = this.done[cpu];
    const n = Math.min(b.capacity, mine - done);
    if (n <= 0) return 0;
    const rng = this.rngs[cpu];
    const image = vm % s.images;
    const gap = s.gapNs[Math.min(vm, s.gapNs.length - 1)];
    const osShare = s.osShare[Math.min(vm, s.osShare.length - 1)];
    const dupFirst = s.osPages + s.zeroPages;
    const dataFirst = dupFirst + s.dupPages;
    const dataPages = s.pages - dataFirst;
    const wsPages = Math.max(1, Math.floor(s.ws[Math.min(vm, s.ws.length - 1)] * dataPages));
    for (let j = 0; j < n; j++) {
      const seq = done + j;
      let page: number;
      let op = OP_READ;
      let content = 0;
      if (seq < boot) {
        page = bootFirst + seq;
        op = OP_WRITE;
        content =
          page < s.osPages ? fingerprint(0x05, image, page)
          : page < dupFirst ? CONTENT_ZERO_PAGE
          : page < dataFirst ? fingerprint(0x05, image, page - dupFirst) // a copy of OS page k
          : fingerprint(vm + 0x100, page, 0);
      } else if (s.filePages > 0 && rng() < s.fileShare) {
        // read()/write() of a file block: a guest page-cache page after the guest's memory pages.
        const block = Math.min(s.filePages - 1, Math.floor(rng() * s.filePages));
        page = s.pages + block;
        if (s.fileWrite > 0 && rng() < s.fileWrite) {
          op = OP_WRITE;
          content = fingerprint(0x10000 + vm, block, seq + 1);
        }
      } else {
        const u = rng();
        if (u < osShare) {
          page = Math.min(s.osPages - 1, Math.floor((u / osShare) * s.osPages));
        } else {
          page = dataFirst + Math.min(wsPages - 1, Math.floor(((u - osShare) / (1 - osShare)) * wsPages));
          if (s.write > 0 && rng() < s.write) {
            op = OP_WRITE;
            content = fingerprint(vm + 0x100, page, seq + 1);
          }
        }
      }
      const p = page + BASE_PAGE;
      b.addrHi[j] = Math.floor(p / 0x100000);
      b.addrLo[j] = (((p & 0xfffff) << PAGE_LOG2) | ((Math.imul(seq, 0x9e3779b1) >>> 26) << 6)) >>> 0;
      b.op[j] = op;
      b.cpu[j] = cpu;
      b.vm[j] = vm;
      b.gapNs[j] = gap;
      b.content[j] = content;
    }
    this.done[cpu] = done + n;
    b.count = n;
    return n;
  }
}

/**
 * The guest page-cache pages of a vms workload (its file blocks) as a range of 4 KiB page numbers,
 * the same in every VM: [start, end), or null when the spec is not a vms workload with a file set.
 */
export function vmsGuestCacheRange(spec: string): [start: number, end: number] | null {
  if (!isVmsWorkload(spec)) return null;
  const s = parseVmsWorkload(spec);
  return s.filePages > 0 ? [BASE_PAGE + s.pages, BASE_PAGE + s.pages + s.filePages] : null;
}

function share(total: number, n: number, t: number): number {
  return Math.floor(total / n) + (t < total % n ? 1 : 0);
}
