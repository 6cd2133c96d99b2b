#!/usr/bin/env bash
# An antagonist loads local DRAM until its loaded latency exceeds CXL's (SOSP'24 §2, Fig. 1–2),
# with the hot set first touched on CXL (hotAt 0.5, the default): numa-tiering never gets it into
# DRAM before the antagonist (README "Colloid", "When the hot set starts on CXL"), so this run does
# not show the paper's effect; docs/figures/colloid-hot-set-on-dram.sh is the paper's scenario (the
# hot set on DRAM). Makes docs/figures/colloid-antagonist.svg (per-tier loaded latency,
# the workload's mean latency, local share and throughput over time) and prints the figures the
# README quotes. Run from the repository root: bash docs/figures/colloid-antagonist.sh
#
# Machine: ddr5-cxl (DRAM 100 ns / 215 GB/s, CXL 180 ns / 51 GB/s) with the measured-shape curve;
# DRAM:CXL = 1:1 of the 256 MiB footprint (CXL with 100 % headroom, so that Colloid has room to move
# the hot set). Workload: 10 % hot set taking 90 % of the accesses, 20 ns of compute between them,
# one thread. From 3 s, 205 GB/s of antagonist reads on DRAM: u ≈ 0.95 → DRAM ≈ 2.6 × idle ≈ 263 ns.
set -euo pipefail
source "$(dirname "$0")/colloid-lib.sh"
out=results/colloid-antagonist
workload='hotset:pages=64Ki,hot=0.1,hotShare=0.9,accesses=60M,write=0.25,gapNs=20'
colloid_runs "$out" "$workload" 'DRAM antagonist from 3 s: per-tier loaded latency, workload latency, local share, throughput' docs/figures/colloid-antagonist.svg
merged="$out/timeseries.csv"
# The figures quoted in the README: after 4 s (the antagonist on, placements settled).
awk -F, 'NR > 1 && $2 > 4000 { n[$1] += $7 * ($2 - last[$1]); t[$1] += $2 - last[$1]; lat[$1] += $5 * $7 * ($2 - last[$1]); loc[$1] += $6 * $7 * ($2 - last[$1]); d0[$1] = $3; d1[$1] = $4 }
  { last[$1] = $2 }
  END { for (p in n) printf "%-13s after 4 s: %.0f accesses/ms, local share %.1f %%, mean latency %.0f ns (DRAM %.0f ns, CXL %.0f ns)\n", p, n[p] / t[p], 100 * loc[p] / n[p], lat[p] / n[p], d0[p], d1[p] }' "$merged" | sort
