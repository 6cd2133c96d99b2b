#!/usr/bin/env bash
# Colloid's headline scenario as the paper sets it up (SOSP'24 §2, Fig. 1–2; §5): the hot set is in
# the default tier (DRAM) when an antagonist loads DRAM until its loaded latency exceeds CXL's.
# numa-tiering and tpp keep the hot set on the now-slower DRAM; colloid-tpp moves it to CXL.
# Makes docs/figures/colloid-hot-set-on-dram.svg (per-tier loaded latency, the workload's mean
# latency, local share and throughput over time) and prints the figures the README quotes.
# Run from the repository root: bash docs/figures/colloid-hot-set-on-dram.sh (about 40 s).
#
# The run of docs/figures/colloid-antagonist.sh with one change: the hot set sits at a quarter of the
# table (hotAt=0.25), so the initialisation pass (address order, DRAM filled first at 1:1) puts it
# on DRAM. Not at 0: TPP's kswapd demotes during the initialisation, and the pages it takes are the
# oldest. The validation case colloid-tpp-hot-set-on-dram (test/validate/cases-colloid.ts) runs the
# same configuration.
set -euo pipefail
source "$(dirname "$0")/colloid-lib.sh"
out=results/colloid-hot-set-on-dram
workload='hotset:pages=64Ki,hot=0.1,hotAt=0.25,hotShare=0.9,accesses=60M,write=0.25,gapNs=20'
colloid_runs "$out" "$workload" 'Hot set on DRAM, DRAM antagonist from 3 s: per-tier loaded latency, workload latency, local share, throughput' docs/figures/colloid-hot-set-on-dram.svg --warmup-ms 3000
merged="$out/timeseries.csv"
# The figures quoted in the README, per window: the second before the antagonist (2–3 s), the whole
# time after it (3 s to the end: the run's summary, warm-up = 3 s), and after 4 s (placements settled).
awk -F, '
  NR == 1 { next }
  { dt = $2 - last[$1]; last[$1] = $2; n = $7 * dt
    w = ($2 > 2000 && $2 <= 3000) ? "before" : ($2 > 3000 ? "after" : "")
    if (w != "") { A[$1, w] += n; T[$1, w] += dt; L[$1, w] += $6 * n; M[$1, w] += $5 * n }
    if ($2 > 4000) { A[$1, "settled"] += n; T[$1, "settled"] += dt; L[$1, "settled"] += $6 * n; M[$1, "settled"] += $5 * n; d0[$1] = $3; d1[$1] = $4 }
    pol[$1] = 1 }
  END { for (p in pol) for (k = 1; k <= 3; k++) { w = k == 1 ? "before" : k == 2 ? "after" : "settled"
    printf "%-13s %-8s %6.0f accesses/ms, local share %5.1f %%, mean latency %3.0f ns%s\n", p, w, A[p, w] / T[p, w], 100 * L[p, w] / A[p, w], M[p, w] / A[p, w], w == "settled" ? sprintf(" (DRAM %.0f ns, CXL %.0f ns at the end)", d0[p], d1[p]) : "" } }' "$merged" | sort
for policy in numa-tiering tpp colloid-tpp; do
  node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const r = Array.isArray(s) ? s[0] : s;
    console.log(`${r.policy.padEnd(13)} summary after 3 s: ${r.accesses} accesses in ${(r.simTimeNs / 1e9).toFixed(3)} s, ${r.hintFaults} hint faults, ${r.promotedPages} promoted, ${r.demotedPages} demoted, stalls ${(r.stallNs / 1e6).toFixed(0)} ms`)' "$out/$policy/summary.json"
done
