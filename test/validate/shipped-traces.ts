// The real traces shipped beside the repository (../shared/traces, see its README): valgrind lackey
// traces of three programs, with the LRU hit ratios that README states for 1, 4, 16 and 64 pages
// of 4 KiB (measured by whoever made the traces: a second, independent source for the
// stack-distance counts).

import { fileURLToPath } from 'node:url';

export const TRACE_DIR = fileURLToPath(new URL('../../../shared/traces/', import.meta.url));

export interface ShippedTrace {
  name: string;
  path: string;
  /** LRU hit ratio over 4 KiB pages with N = 1, 4, 16, 64 pages (traces README, 3 decimals). */
  readmeLru: Record<number, number>;
}

export const SHIPPED_TRACES: ShippedTrace[] = [
  { name: 'sort', path: `${TRACE_DIR}sort.lackey.zst`, readmeLru: { 1: 0.616, 4: 0.864, 16: 0.997, 64: 0.999 } },
  { name: 'xz', path: `${TRACE_DIR}xz.lackey.zst`, readmeLru: { 1: 0.482, 4: 0.832, 16: 0.971, 64: 0.995 } },
  { name: 'sqlite3', path: `${TRACE_DIR}sqlite3.lackey.zst`, readmeLru: { 1: 0.457, 4: 0.822, 16: 0.978, 64: 1.0 } },
];

/** The first 300,000 lines of sqlite3.lackey.zst, committed (xz, 88 KB) so the CI subset needs no ../shared. */
export const SQLITE3_HEAD: ShippedTrace = {
  name: 'sqlite3 (first 300 k lines)',
  path: fileURLToPath(new URL('../fixtures/sqlite3-head300k.lackey.xz', import.meta.url)),
  readmeLru: {},
};
