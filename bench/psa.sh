#!/bin/sh
# painsim PSA benchmark, the hesim-style case: scenarios/psa_default.yaml,
# 1000 iterations x 1000 patients x the default comparison's 7 strategies x
# 426 days (2.98 x 10^9 patient-days), analysed (CEAC, EVPI, 27 EVPPI
# regressions with their SEs) and written to HDF5.
# Reports the median over several runs of the end-to-end wall time (process
# start to exit), the simulation's share (the engine's own timer), patient-days
# per second over the wall time and peak resident memory.
#
#   bench/psa.sh [ITERATIONS] [REPEATS] [THREADS]     defaults: 1000 5 all cores
#
# Writes to a temporary directory (BENCH_DIR, default /tmp/painsim-bench-psa),
# removed at the end.  Build first: ./setup.sh run (or cmake --build build).
set -eu
cd "$(dirname "$0")/.."
iterations=${1:-1000}
repeats=${2:-5}
threads=${3:-$(nproc)}
bin=./build/painsim
dir=${BENCH_DIR:-/tmp/painsim-bench-psa}
[ -x "$bin" ] || { echo "bench: build painsim first (./setup.sh run)" >&2; exit 2; }
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "machine: $(uname -m), $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//')"
echo "painsim: $($bin --version); scenarios/psa_default.yaml; iterations $iterations; threads $threads; repeats $repeats"
: > "$dir/walls"; : > "$dir/sims"; : > "$dir/rss"
i=0
while [ "$i" -lt "$repeats" ]; do
  rm -f "$dir/psa.h5"
  t0=$(date +%s.%N)
  "$bin" run scenarios/psa_default.yaml --psa "$iterations" --threads "$threads" -o "$dir/psa.h5" \
    --force > /dev/null 2> "$dir/err" || { cat "$dir/err" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}' >> "$dir/walls"
  sed -n 's/.* patient-days in \([0-9.]*\) s .*/\1/p' "$dir/err" | tail -n 1 >> "$dir/sims"
  sed -n 's/.*peak memory \([0-9.]*\) MiB.*/\1/p' "$dir/err" | tail -n 1 >> "$dir/rss"
  i=$((i + 1))
done
pdays=$(sed -n 's/.* = \([0-9]*\) patient-days.*/\1/p' "$dir/err" | tail -n 1)
wall=$(median < "$dir/walls")
sim=$(median < "$dir/sims")
rss=$(median < "$dir/rss")
printf '%-14s %10s %12s %14s %18s %20s %14s\n' "case" "wall (s)" "simulate (s)" "analyse+write" "patient-days" "M patient-days/s" "peak RSS (MiB)"
printf '%-14s %10.2f %12.2f %14.2f %18s %20.1f %14s\n' "psa_default" "$wall" "$sim" \
  "$(awk -v w="$wall" -v s="$sim" 'BEGIN {print w - s}')" "$pdays" \
  "$(awk -v p="$pdays" -v w="$wall" 'BEGIN {print p / w / 1e6}')" "$rss"
echo "  walls: $(tr '\n' ' ' < "$dir/walls")"
echo "  simulation: $(tr '\n' ' ' < "$dir/sims")"
echo "  target (issue: hesim's published 1000 x 1000 case): 6 s wall"
