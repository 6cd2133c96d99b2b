// The human-readable summary printed by `npm run sim` (format table).

import type { Row } from './rows.ts';

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

function duration(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${ns.toFixed(0)} ns`;
}

function bytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) (b /= 1024), i++;
  return `${i === 0 ? b : b.toFixed(1)} ${units[i]}`;
}

/**
 * What reclaim did with the pages it evicted. With page types the kernel policies' reclaim splits
 * its evictions (policy counters reclaimSwapped, reclaimWrittenBack, reclaimDroppedClean: typed-lru.ts
 * and mglru.ts): only anon pages go to swap; a clean page-cache page is dropped with no I/O, a dirty
 * one written back to its file. Evictions outside that reclaim (idle-tax's host paging, a guest's
 * own) are the rest. Without those counters every evicted page is anon (no page types: all pages
 * are), so each went to swap.
 */
function evictedLine(s: Row, n: (k: string) => number): string {
  const evicted = n('evictedPages');
  if (!('policy.reclaimSwapped' in s)) return `${int(evicted)} pages to swap`;
  const swapped = n('policy.reclaimSwapped');
  const written = n('policy.reclaimWrittenBack');
  const dropped = n('policy.reclaimDroppedClean');
  const other = evicted - swapped - written - dropped;
  return (
    `${int(evicted)} pages: ${int(swapped)} anon to swap, ${int(written)} dirty page cache written back, ${int(dropped)} clean page cache dropped (no I/O)` +
    (other !== 0 ? `, ${int(other)} by other paths` : '')
  );
}

export function formatTable(s: Row): string {
  const n = (k: string) => Number(s[k] ?? 0);
  const lines: Array<[string, string]> = [
    ['policy', String(s.policy)],
    ['machine', `${s.machine}, ${s.pageSizeKiB} KiB pages`],
    ['workload', String(s.workload)],
    ['seed', String(s.seed)],
    ['simulated time', `${duration(n('simTimeNs'))}  (slowdown ${n('slowdown').toFixed(3)}× vs all accesses at local idle latency)`],
    ['accesses', `${int(n('accesses'))}  (${pct(n('writes') / Math.max(1, n('accesses')))} writes) over ${int(n('pages'))} pages`],
    ...(s.footprintPages !== undefined && s.footprintPages !== '' ? ([['footprint', `${int(n('footprintPages'))} pages touched (what machine.ratio sizes unset tiers from)`]] as Array<[string, string]>) : []),
    ['local share', pct(n('localShare'))],
    ...(s.llcHitRatio !== undefined && s.llcHitRatio !== '' ? ([['LLC filter', `${pct(n('llcHitRatio'))} of trace accesses hit; the rest reached memory`]] as Array<[string, string]>) : []),
    ...(n('badRecordsSkipped') > 0 ? ([['skipped', `${int(n('badRecordsSkipped'))} malformed trace records (--skip-bad)`]] as Array<[string, string]>) : []),
    ...(n('pageSizeKiB') > 4 ? ([['huge pages', `${pct(n('hugePageWaste'))} of resident bytes never touched (${bytes(n('touchedBytes'))} touched)`]] as Array<[string, string]>) : []),
    ['latency', `avg ${n('avgLatencyNs').toFixed(1)} ns, p99 ${n('p99LatencyNs').toFixed(0)} ns (memory latency plus hint-fault, swap-in and migration stalls)`],
  ];
  for (let i = 0; `tier${i}Share` in s; i++) {
    lines.push([
      `tier ${i}`,
      `${int(n(`tier${i}Pages`))} / ${int(n(`tier${i}CapacityPages`))} pages used, ${pct(n(`tier${i}Share`))} of accesses, ${n(`tier${i}GBps`).toFixed(2)} GB/s`,
    ]);
  }
  lines.push(
    ['migrations', `${int(n('promotedPages'))} promoted, ${int(n('demotedPages'))} demoted, ${bytes(n('migratedBytes'))} moved`],
    ['faults', `${int(n('firstTouchFaults'))} first-touch, ${int(n('hintFaults'))} hint, ${int(n('swapIns'))} swap-in`],
    ['evicted', evictedLine(s, n)],
    ['samples', `${int(n('samples'))} (${int(n('samplesLost'))} lost)`],
    ['PTE scans', int(n('pteScans'))],
    ['kernel CPU', duration(n('kernelCpuNs'))],
    ['stalls', duration(n('stallNs'))],
  );
  for (const k of Object.keys(s)) if (k.startsWith('policy.')) lines.push([k, int(n(k))]);
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
