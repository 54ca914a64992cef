#!/bin/sh
# painsim benchmark: `painsim run` on the default scenario scaled to a large
# cohort (14 months, all strategies), with trajectories written and without.
# Reports the median over several runs of the end-to-end wall time (process
# start to exit, file closed), patient-days per second (patients x strategies
# x days / wall time) and peak resident memory.
#
#   bench/run.sh [PATIENTS] [REPEATS] [THREADS]     defaults: 1000000 5 all cores
#
# Then bench/numpy_model.py, a vectorised numpy program of the same per-day
# work (Debian's python3-numpy), runs once on NUMPY_PATIENTS patients (default
# 50000), and the ratio of painsim's rate without trajectories to numpy's is
# printed (numpy writes nothing either).
#
# Writes to a temporary directory (BENCH_DIR, default /tmp/painsim-bench),
# which is removed at the end.  Build first: ./setup.sh run (or cmake --build build).
set -eu
cd "$(dirname "$0")/.."
patients=${1:-1000000}
repeats=${2:-5}
threads=${3:-$(nproc)}
bin=./build/painsim
dir=${BENCH_DIR:-/tmp/painsim-bench}
[ -x "$bin" ] || { echo "bench: build painsim first (./setup.sh run)" >&2; exit 2; }
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "machine: $(uname -m), $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//')"
echo "painsim: $($bin --version); patients $patients; threads $threads; repeats $repeats"
printf '%-22s %12s %14s %16s %14s\n' "case" "wall (s)" "patient-days" "M patient-days/s" "peak RSS (MiB)"
for case in trajectories no_trajectories; do
  set -- --set output.trajectories=true
  [ "$case" = no_trajectories ] && set -- --set output.trajectories=false
  : > "$dir/walls"; : > "$dir/rss"
  i=0
  while [ "$i" -lt "$repeats" ]; do
    rm -f "$dir/bench.h5"
    t0=$(date +%s.%N)
    "$bin" run scenarios/default.yaml --patients "$patients" --threads "$threads" -o "$dir/bench.h5" \
      --force --quiet "$@" > /dev/null 2> "$dir/err" || { cat "$dir/err" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}' >> "$dir/walls"
    i=$((i + 1))
  done
  # peak RSS from one extra run with the report on
  "$bin" run scenarios/default.yaml --patients "$patients" --threads "$threads" -o "$dir/bench.h5" \
    --force "$@" > /dev/null 2> "$dir/err"
  rss=$(sed -n 's/.*peak memory \([0-9.]*\) MiB.*/\1/p' "$dir/err" | tail -n 1)
  pdays=$(sed -n 's/.* = \([0-9]*\) patient-days.*/\1/p' "$dir/err" | tail -n 1)
  wall=$(median < "$dir/walls")
  rate=$(awk -v p="$pdays" -v w="$wall" 'BEGIN {print p / w / 1e6}')
  printf '%-22s %12.2f %14s %16.1f %14s\n' "$case" "$wall" "$pdays" "$rate" "$rss"
  echo "  walls: $(tr '\n' ' ' < "$dir/walls")"
  [ "$case" = no_trajectories ] && painsim_rate=$rate
done

# Debian's python3 (with python3-numpy), not another python3 earlier in PATH
py=/usr/bin/python3
if [ -x "$py" ] && "$py" -c 'import numpy' 2>/dev/null; then
  line=$("$py" bench/numpy_model.py "${NUMPY_PATIENTS:-50000}")
  echo "$line"
  numpy_rate=$(echo "$line" | sed -n 's/.*(\([0-9.]*\) M patient-days\/s).*/\1/p')
  awk -v a="$painsim_rate" -v b="$numpy_rate" 'BEGIN {printf "painsim (no trajectories) / numpy: %.1f x\n", a / b}'
else
  echo "numpy comparison skipped: install python3-numpy (apt-get install python3-numpy)"
fi
