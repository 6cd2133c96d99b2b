// `npx tsx bench/vm-experiments.ts [sharing|tax|balloon]`: the behaviours issue 6 asks a user to
// check, as small runs through the real CLI path (resolveConfig + runSimulation), printed as tables.
// The experiments are exported (sharingRun, taxRun, balloonRun) so that `npm run validate` can
// state their expected directions as cases.
//
// - sharing: N identical guests (ESX scan rates): frames saved vs N (paper Figures 4–5: roughly linear).
// - tax: two VMs, equal shares, one active and one idle, host at 75 % of their memory: τ = 0 vs 0.75.
// - balloon: a 64 MiB guest ballooned down to 40 MiB vs the same guest configured with 40 MiB
//   (paper Figure 2: ballooning costs 1.4–4.4 %, which §3.2 puts on guest kernel structures sized
//   by configured memory: vm.guestOsBytesPer4KiB, 64 by default [estimate]). Whole-run time and
//   steady-state throughput (after the boot and the balloon's inflation, from settleMs on), with
//   the guest kernel reserve at its default and at 0 (no memory-sized guest structures).

import '../policies/registry.ts'; // the policy catalog's composition root (sim/ never imports policies/)
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { runAsMain } from '../sim/cli-common.ts';
import { steadyRate } from './vm-guest-cache.ts';
import { VS_STRIDE, VS_MAPPED, VS_BALLOON, VS_ACTIVE, VS_GUEST_PAGE_OUTS, VS_GUEST_PAGE_INS, VS_HOST_PAGE_OUTS } from '../sim/engine.ts';

const GiB = 1024 ** 3;

function capacity(pages: number): Record<string, number> {
  const local = Math.floor(pages / 5);
  return { 'machine.tiers.0.capacityGiB': (local * 4096) / GiB, 'machine.tiers.1.capacityGiB': ((pages - local) * 4096) / GiB };
}

/** N identical guests of 2 Ki pages with page-sharing at ESX rates, 400 s simulated: the final VM-model state. */
export async function sharingRun(n: number) {
  const workload = `vms:count=${n},pages=2Ki,accesses=200k,os=0.4,zero=0.15,gapNs=2000000`;
  const { config } = resolveConfig({ sets: capacity(n * 2048 + 64), flags: { policy: 'first-touch', with: 'page-sharing', workload } });
  const { result } = await runSimulation(config);
  return result.vm!.final;
}

async function sharing(): Promise<void> {
  process.stdout.write('N identical guests, 2Ki pages each (40 % OS image, 15 % zero), page-sharing at ESX rates (50/VM, 200 total pages/s), 400 s simulated\n');
  process.stdout.write('N\tframesSaved\tsharedPages\tsaved/guest-pages\texpected-at-full-scan\n');
  for (const n of [1, 2, 4, 8]) {
    const f = await sharingRun(n);
    // At full coverage: every OS page of guests 2…N and every zero page but one are duplicates.
    const expected = (n - 1) * Math.floor(0.4 * 2048) + n * Math.floor(0.15 * 2048) - 1;
    process.stdout.write(`${n}\t${f.framesSaved}\t${f.sharedPages}\t${(f.framesSaved / (n * 2048)).toFixed(3)}\t${expected}\n`);
  }
}

/** An active and a mostly idle VM on an overcommitted host, idle memory tax τ: the final VM-model state. */
export async function taxRun(tau: number) {
  const workload = 'vms:count=2,pages=16Ki,accesses=3M,ws=1/0.05,osShare=0.3/0.01,gapNs=50000,write=0.2';
  const { config } = resolveConfig({ sets: { ...capacity(24 * 1024), 'policy.idle-tax.taxRate': tau, 'stats.epochMs': 1000 }, flags: { policy: 'first-touch', with: 'balloon,idle-tax', workload } });
  const { result } = await runSimulation(config);
  return result.vm!.final;
}

async function tax(): Promise<void> {
  process.stdout.write('\nTwo VMs of 16Ki pages, equal shares; VM 0 active (all its data), VM 1 idle (5 % of its data, 1 % of its accesses to OS pages); host 24Ki frames; --with balloon,idle-tax\n');
  process.stdout.write('tau\tvm\tballoonTarget\tallocated\tballoon\tactiveEst\tguestPageOuts\thostPageOuts\tvmTimeS\tslowdown\n');
  for (const tau of [0, 0.75]) {
    const f = await taxRun(tau);
    for (let v = 0; v < 2; v++) {
      const s = (k: number) => f.stats[v * VS_STRIDE + k];
      process.stdout.write(`${tau}\t${v}\t${s(4)}\t${s(VS_MAPPED)}\t${s(VS_BALLOON)}\t${s(VS_ACTIVE).toFixed(3)}\t${s(VS_GUEST_PAGE_OUTS)}\t${s(VS_HOST_PAGE_OUTS)}\t${(f.timeNs[v] / 1e9).toFixed(2)}\t${(f.timeNs[v] / f.idealNs[v]).toFixed(4)}\n`);
    }
  }
}

/**
 * One guest (64 MiB ballooned to 40, or configured with 40) running a working set of `ws` of its
 * 16 Ki pages: the run, its final VM state and its steady-state accesses per simulated second
 * (epochs after settleMs).
 */
export async function balloonRun(ws: number, osBytes: number, sets: Record<string, number>, settleMs = 10_000) {
  const workload = `vms:count=1,pages=16Ki,accesses=4M,os=0.3,zero=0.1,ws=${ws},osShare=0.3,write=0.2,gapNs=20000`;
  const { config } = resolveConfig({
    sets: { ...capacity(20 * 1024), ...sets, 'vm.guestOsBytesPer4KiB': osBytes, 'stats.epochMs': 1000 },
    flags: { policy: 'first-touch', with: 'balloon', workload },
  });
  const { result } = await runSimulation(config);
  return { result, f: result.vm!.final, rate: steadyRate(result, settleMs) };
}

/** The two guests balloonRun compares. */
export const BALLOON_CASES = [
  ['ballooned 64→40 MiB', { 'vm.memMiB': 64, 'vm.balloonMiB': 24 }],
  ['configured 40 MiB', { 'vm.memMiB': 40 }],
] as const;

async function balloon(): Promise<void> {
  const settleMs = 10_000;
  process.stdout.write('\nOne guest: 64 MiB ballooned to 40 MiB (vm.balloonMiB=24) vs configured with 40 MiB; same workload, --with balloon, host with room for all\n');
  process.stdout.write(`ws\tosBytesPer4KiB\tcase\tguestOsPages\tguestPageOuts\tguestPageIns\tvmTimeS\tsteadyAccessesPerS (from ${settleMs / 1e3} s)\n`);
  // ws 0.5: the guest's working set (≈ 9.8 Ki pages) fits either guest; ws 1: it (≈ 14.7 Ki) exceeds both.
  for (const [ws, osBytes] of [[0.5, 64], [0.5, 0], [1, 64], [1, 0]]) {
    const time: number[] = [];
    const rate: number[] = [];
    for (const [name, sets] of BALLOON_CASES) {
      const { result, f, rate: steady } = await balloonRun(ws, osBytes, sets, settleMs);
      rate.push(steady);
      time.push(f.timeNs[0]);
      process.stdout.write(`${ws}\t${osBytes}\t${name}\t${result.vm!.spec.guestOsPages[0]}\t${f.stats[VS_GUEST_PAGE_OUTS]}\t${f.stats[VS_GUEST_PAGE_INS]}\t${(f.timeNs[0] / 1e9).toFixed(3)}\t${rate[rate.length - 1].toFixed(0)}\n`);
    }
    process.stdout.write(`  ws ${ws}, osBytesPer4KiB ${osBytes}: ballooned vs configured: run time ${((time[0] / time[1] - 1) * 100).toFixed(2)} %, steady-state throughput ${((1 - rate[0] / rate[1]) * 100).toFixed(2)} % lower\n`);
  }
}

async function main(argv: string[]): Promise<number> {
  const want = argv[0];
  if (!want || want === 'sharing') await sharing();
  if (!want || want === 'tax') await tax();
  if (!want || want === 'balloon') await balloon();
  return 0;
}

runAsMain(import.meta.url, main);
