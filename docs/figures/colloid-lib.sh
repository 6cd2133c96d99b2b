# Shared by docs/figures/colloid-antagonist.sh and colloid-hot-set-on-dram.sh (sourced, not run):
# the three runs (numa-tiering, tpp, colloid-tpp) on ddr5-cxl with the curve model at 1:1, CXL with
# 100 % headroom, 205 GB/s of DRAM antagonist from 3 s; then one long CSV with the columns the
# figure needs ($out/timeseries.csv: a policy column, throughput in accesses per ms) and the figure.
# Usage: colloid_runs OUT WORKLOAD TITLE SVG [more `npm run sim` options…]
colloid_runs() {
  local out=$1 workload=$2 title=$3 svg=$4
  shift 4
  mkdir -p "$out"
  for policy in numa-tiering tpp colloid-tpp; do
    npm run --silent sim -- -p "$policy" -w "$workload" --ratio 1:1 --epoch-ms 250 "$@" \
      --set machine.headroomPct=100 --set machine.loadModel=curve \
      --set machine.tiers.0.antagonistGBps=205 --set machine.tiers.0.antagonistStartMs=3000 \
      -f csv -o "$out/$policy" --force > /dev/null
  done
  merged="$out/timeseries.csv"
  echo 'policy,endMs,tier0LoadedLatencyNs,tier1LoadedLatencyNs,avgLatencyNs,localShare,accessesPerMs' > "$merged"
  for policy in numa-tiering tpp colloid-tpp; do
    awk -F, -v p="$policy" '
      NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; prev = 0; next }
      { end = $col["endMs"]; printf "%s,%s,%s,%s,%s,%s,%.1f\n", p, end, $col["tier0LoadedLatencyNs"], $col["tier1LoadedLatencyNs"], $col["avgLatencyNs"], $col["localShare"], $col["accesses"] / (end - prev); prev = end }
    ' "$out/$policy/timeseries.csv" >> "$merged"
  done
  npm run --silent plot -- "$merged" --x endMs --y tier0LoadedLatencyNs,tier1LoadedLatencyNs,avgLatencyNs,localShare,accessesPerMs \
    --by policy --kind line --height 180 --title "$title" -o "$svg"
}
