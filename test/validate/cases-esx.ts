// VMware ESX Server (Waldspurger, OSDI 2002) directions: sharing grows with similar guests, the
// idle memory tax takes memory from the idle VM, ballooning costs a little against a guest booted
// smaller. The experiments are bench/vm-experiments.ts's.

import type { ValidationCase } from './case.ts';
import { verdict } from './case.ts';
import { sharingRun, taxRun } from '../../bench/vm-experiments.ts';
import { guestCacheRun, steadyRate, POINTS_MIB } from '../../bench/vm-guest-cache.ts';
import { VS_STRIDE, VS_BALLOON_TARGET } from '../../sim/engine.ts';

export const ESX_CASES: ValidationCase[] = [
  {
    id: 'esx-sharing-grows',
    title: 'Content-based sharing saves frames in proportion to the number of identical guests',
    group: 'esx',
    source: 'Waldspurger OSDI\'02 §4, Figures 4–5 (savings grow with similar VMs; much of one VM\'s sharing is zero pages)',
    expected:
      'N guests of 2048 pages, 40 % identical OS image, 15 % zero pages, scanned at ESX rates for 400 s: at full coverage (N − 1) · 819 + N · 307 − 1 frames saved (every OS page of guests 2…N and every zero page but one): 306, 1432, 3684 for N = 1, 2, 4',
    tolerance: '± 5 %',
    fast: false,
    async run() {
      const got: number[] = [];
      let ok = true;
      for (const n of [1, 2, 4]) {
        const saved = (await sharingRun(n)).framesSaved;
        const want = (n - 1) * Math.floor(0.4 * 2048) + n * Math.floor(0.15 * 2048) - 1;
        ok &&= Math.abs(saved - want) <= 0.05 * want;
        got.push(saved);
      }
      return { measured: `frames saved ${got.join(', ')}`, ...verdict(ok, 'linear in N as the paper shows', 'the scanner did not reach full coverage or matched the wrong pages') };
    },
  },
  {
    id: 'esx-idle-tax-direction',
    title: 'The idle memory tax moves memory from the idle VM to the active one',
    group: 'esx',
    source: 'Waldspurger OSDI\'02 §5.2–5.3 (ρ = S / (P (f + k (1 − f))), τ = 0.75 by default: idle pages are charged more)',
    expected: 'Two VMs, equal shares, one active and one mostly idle, overcommitted host: raising τ from 0 to 0.75 lowers the active VM\'s balloon target and raises the idle VM\'s',
    tolerance: 'direction',
    fast: false,
    async run() {
      const [t0, t75] = [await taxRun(0), await taxRun(0.75)];
      const target = (f: Awaited<ReturnType<typeof taxRun>>, v: number) => f.stats[v * VS_STRIDE + VS_BALLOON_TARGET];
      const ok = target(t75, 0) < target(t0, 0) && target(t75, 1) > target(t0, 1);
      return {
        measured: `balloon targets (pages) active / idle: τ = 0 ${target(t0, 0)} / ${target(t0, 1)}, τ = 0.75 ${target(t75, 0)} / ${target(t75, 1)}`,
        ...verdict(ok, 'the tax reclaims from the idle VM', 'the allocation does not favour the active VM'),
      };
    },
  },
  {
    id: 'esx-balloon-overhead',
    title: 'Ballooning costs 1.4–4.4 % against a guest configured with the smaller memory (guest page cache, dbench-like)',
    group: 'esx',
    source: 'Waldspurger OSDI\'02 §3.2, Figure 2 (256 MB VM, dbench with 40 clients, ballooned to 128…224 MB vs configured with that memory): 4.4 % at 128 MB down to 1.4 % at 224 MB',
    expected:
      'bench/vm-guest-cache.ts: a 256 MiB guest with a buffer cache over a 256 MiB file set [estimate] ballooned to 128, 160, 192, 224 MiB vs configured with that memory: steady-state throughput 1.4–4.4 % lower at every point, falling as the guest grows',
    tolerance: 'the paper\'s range at every point',
    fast: false,
    async run(ctx) {
      const got: number[] = [];
      for (const x of POINTS_MIB) {
        const rate = async (ballooned: boolean) => {
          const { flags, sets } = guestCacheRun(x, ballooned);
          return steadyRate((await ctx.sim(flags, sets)).result);
        };
        got.push(1 - (await rate(true)) / (await rate(false)));
      }
      const inRange = got.every((o) => o >= 0.014 && o <= 0.044);
      const falling = got.every((o, i) => o > 0 && (i === 0 || o <= got[i - 1]));
      return {
        measured: `throughput lower by ${got.map((o, i) => `${(100 * o).toFixed(2)} % at ${POINTS_MIB[i]} MiB`).join(', ')}`,
        ...verdict(
          inRange,
          'in the paper\'s range',
          falling
            ? 'the direction and the trend are the paper\'s, the size is not: the only difference the model has between the two guests is the guest kernel\'s memory-sized reserve (vm.guestOsBytesPer4KiB, 64 B per 4 KiB [estimate]: 2 MiB more at 128 MiB, 0.5 MiB at 224), which the buffer cache then lacks; other memory-sized structures (page-cache and dentry hashes, reclaim watermarks) and dbench\'s real file set and mix are not modelled'
            : 'the ballooned guest is not consistently slower, or the overhead does not fall as the guest grows',
        ),
      };
    },
  },
];
