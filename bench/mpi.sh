#!/bin/sh
# MPI scaling on one machine: `painsim run scenarios/default.yaml` (trajectories
# written) by the serial build and by the MPI build with 1 and 2 ranks.
# Reports the median wall time (process start to exit, file closed) over the
# repeats and patient-days per second.
#
#   bench/mpi.sh [PATIENTS] [REPEATS]     defaults: 200000 3
#
# Needs build/painsim and build-mpi/painsim (./setup.sh test builds both).
# Writes to BENCH_DIR (default /tmp/painsim-bench-mpi), removed at the end.
set -eu
cd "$(dirname "$0")/.."
patients=${1:-200000}
repeats=${2:-3}
dir=${BENCH_DIR:-/tmp/painsim-bench-mpi}
[ -x build/painsim ] && [ -x build-mpi/painsim ] || { echo "bench: build build/ and build-mpi/ first" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
pd=$(awk -v n="$patients" 'BEGIN {print n * 7 * 426}')
echo "machine: $(nproc) cores; patients $patients (x 7 strategies x 426 days); repeats $repeats"
printf '%-34s %10s %18s\n' "case" "wall (s)" "M patient-days/s"
run_case() {
    label=$1
    shift
    : > "$dir/walls"
    i=0
    while [ "$i" -lt "$repeats" ]; do
        rm -f "$dir/b.h5"
        t0=$(date +%s.%N)
        "$@" run scenarios/default.yaml --patients "$patients" -o "$dir/b.h5" --quiet > /dev/null 2> "$dir/err" \
            || { cat "$dir/err" >&2; exit 1; }
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}' >> "$dir/walls"
        i=$((i + 1))
    done
    w=$(median < "$dir/walls")
    printf '%-34s %10.2f %18.1f\n' "$label" "$w" "$(awk -v p="$pd" -v w="$w" 'BEGIN {print p / w / 1e6}')"
}
run_case "serial build, 2 threads"            sh -c 'exec build/painsim "$@" --threads 2' sh
run_case "serial build, 1 thread"             sh -c 'exec build/painsim "$@" --threads 1' sh
run_case "mpirun -n 1, 2 threads"             sh -c 'exec mpirun -n 1 build-mpi/painsim "$@" --threads 2' sh
run_case "mpirun -n 2, 1 thread each"         sh -c 'exec mpirun -n 2 build-mpi/painsim "$@" --threads 1' sh
run_case "mpirun -n 1, 1 thread"              sh -c 'exec mpirun -n 1 build-mpi/painsim "$@" --threads 1' sh
