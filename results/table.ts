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
    ['evicted', `${int(n('evictedPages'))} pages to swap`],
    ['samples', `${int(n('samples'))} (${int(n('samplesLost'))} lost)`],
    ['PTE scans', int(n('pteScans'))],
    ['kernel CPU', duration(n('kernelCpuNs'))],
    ['stalls', duration(n('stallNs'))],
  );
  for (const k of Object.keys(s)) if (k.startsWith('policy.')) lines.push([k, int(n(k))]);
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
