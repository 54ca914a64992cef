#!/bin/sh
# mpirun -n K painsim run (the MPI build: one file written by every rank with
# collective parallel HDF5 writes) against the serial build's run of the same
# scenario: for K = 1, 2, 3 and 4 ranks (oversubscribed on a small machine)
# the datasets, /results and attributes are the same (h5same.sh: h5diff plus
# names, shapes and types), apart from the creation time and command line;
# gzip and Fletcher32 on, blocks that do not divide evenly over the ranks, a
# last block shorter than the others.  Then the refusals: more ranks than
# blocks, an existing output without --force, a PSA run over several ranks:
# exit status 2 and nothing written.
# Usage: mpi_test.sh MPI_PAINSIM SERIAL_PAINSIM SOURCE_DIR
set -eu
mpi_painsim=$1
serial_painsim=$2
src=$3
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# ranks waiting in a collective write give their core away instead of
# spinning (4 ranks on 2 cores; docs/performance.md)
export OMPI_MCA_mpi_yield_when_idle=1
# no leftovers from an interrupted earlier run in the test's directory
work=$(mktemp -d /tmp/painsim-mpi-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
fail() { echo "mpi_test: FAIL: $*" >&2; exit 1; }
mpi() { mpirun --oversubscribe -n "$@"; }

scn="$src/scenarios/default.yaml"
# 2300 patients in blocks of 500: 5 blocks, the last of 300 patients
args="--patients 2300 --set block_size=500 --set output.compression=4 --quiet"

"$serial_painsim" run "$scn" $args --threads 2 -o "$work/serial.h5" > "$work/serial.txt"
for k in 1 2 3 4; do
    # OpenMP inside each rank: 2 threads on 1 rank, 1 thread per rank beyond
    t=$([ "$k" -eq 1 ] && echo 2 || echo 1)
    start=$(date +%s.%N)
    mpi "$k" "$mpi_painsim" run "$scn" $args --threads "$t" -o "$work/mpi-$k.h5" > "$work/mpi-$k.txt" \
        || fail "mpirun -n $k painsim run failed"
    end=$(date +%s.%N)
    sh "$here/h5same.sh" "$work/serial.h5" "$work/mpi-$k.h5" || fail "$k ranks: the file differs from the serial build's"
    cmp -s "$work/serial.txt" "$work/mpi-$k.txt" || fail "$k ranks: the printed results differ from the serial build's"
    echo "mpi_test: $k rank(s): file and printed results identical to the serial build ($(awk "BEGIN { printf \"%.2f\", $end - $start }") s)"
done
h5dump -p -H -d /strategies/botox_q4m/vas_mm "$work/mpi-3.h5" | grep -q "COMPRESSION DEFLATE" \
    || fail "vas_mm of the MPI file is not compressed"
[ "$(ls "$work" | grep -c partial || true)" -eq 0 ] || fail "a partial file was left"

# refusals: exit status 2 on every rank, nothing written
set +e
mpi 6 "$mpi_painsim" run "$scn" $args -o "$work/too-many.h5" > /dev/null 2> "$work/err.txt"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "6 ranks over 5 blocks: exit status $rc, expected 2"
grep -q "only 5 blocks" "$work/err.txt" || fail "6 ranks over 5 blocks: no clear message: $(cat "$work/err.txt")"
[ ! -e "$work/too-many.h5" ] && [ ! -e "$work/too-many.h5.partial" ] || fail "6 ranks over 5 blocks wrote a file"

before=$(cksum < "$work/mpi-2.h5")
set +e
mpi 2 "$mpi_painsim" run "$scn" $args -o "$work/mpi-2.h5" > /dev/null 2> "$work/err.txt"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "existing output without --force: exit status $rc, expected 2"
[ "$(cksum < "$work/mpi-2.h5")" = "$before" ] || fail "existing output without --force was changed"

set +e
mpi 2 "$mpi_painsim" run "$src/scenarios/psa_default.yaml" --psa 4 --patients 100 -o "$work/psa.h5" > /dev/null 2> "$work/err.txt"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "PSA over 2 ranks: exit status $rc, expected 2"
grep -q "not split over MPI ranks" "$work/err.txt" || fail "PSA over 2 ranks: no clear message"
[ ! -e "$work/psa.h5" ] || fail "PSA over 2 ranks wrote a file"
echo "mpi_test: refusals (more ranks than blocks, existing output, PSA over ranks): exit 2, nothing written"
echo "mpi_test: PASS"
