#!/bin/sh
# mpirun -n K painsim run (the MPI build: one file written by every rank with
# collective parallel HDF5 writes) against the serial build's run of the same
# scenario: for K = 1, 2, 3 and 4 ranks (oversubscribed on a small machine)
# the datasets, /results and attributes are the same (h5same.sh: h5diff plus
# names, shapes and types), apart from the creation time and command line;
# gzip and Fletcher32 on, blocks that do not divide evenly over the ranks, a
# last block shorter than the others.  A PSA over K = 1 to 4 ranks (its
# iterations split over them) against the serial build's PSA, the same way.
# Then the refusals: more ranks than blocks, an existing output without
# --force, more ranks than PSA iterations, a PSA draw the model cannot use on
# one rank: exit status 2 and nothing written.
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
# refused WHAT COMMAND...: COMMAND exits with status 2; its stderr is in err.txt
refused() {
    what=$1
    shift
    set +e
    "$@" > /dev/null 2> "$work/err.txt"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "$what: exit status $rc, expected 2"
}

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
# rows that ranks keep in temporary files until the end: events, written in
# collective rounds of 65536 rows, and partial sums, sent to rank 0 16 blocks
# at a time.  51 000 patients in 50 blocks of 1024 over 3 ranks: 17, 17 and
# 16 blocks, so rank 1 sends two messages, and ranks 0 and 1 (about 67 000
# events of a BoNT-A strategy each) write two rounds while rank 2 (about
# 62 500) joins the second with nothing to write
big="--patients 51000 --set block_size=1024 --quiet"
"$serial_painsim" run "$scn" $big --threads 2 -o "$work/big-serial.h5" > "$work/big-serial.txt"
mpi 3 "$mpi_painsim" run "$scn" $big --threads 1 -o "$work/big-3.h5" > "$work/big-3.txt" || fail "mpirun -n 3 (51 000 patients) failed"
sh "$here/h5same.sh" "$work/big-serial.h5" "$work/big-3.h5" || fail "spilled rows: the file differs from the serial build's"
cmp -s "$work/big-serial.txt" "$work/big-3.txt" || fail "spilled rows: the printed results differ from the serial build's"
n=$(h5dump -H -d /strategies/botox_q4m/events "$work/big-3.h5" | sed -n 's/.*SIMPLE { ( \([0-9]*\) ).*/\1/p')
[ "${n:-0}" -gt 131072 ] || fail "spilled rows: expected more than 2 x 65536 events of botox_q4m, got '$n'"
echo "mpi_test: 3 ranks, 50 blocks, $n events of botox_q4m (spilled, written in rounds): identical to the serial build"

# mpirun binds a rank to one core by default: --threads 2 on it is noted, with
# the way out; --bind-to none lets the threads spread
mpi 1 "$mpi_painsim" run "$scn" --patients 2300 --set block_size=500 --threads 2 -o "$work/bound.h5" \
    > /dev/null 2> "$work/err.txt" || fail "mpirun -n 1 --threads 2 failed"
grep -q "may run on 1 CPU only.*start it with --bind-to none" "$work/err.txt" \
    || fail "two threads on a rank bound to one core: no note: $(cat "$work/err.txt")"
mpirun --oversubscribe --bind-to none -n 1 "$mpi_painsim" run "$scn" --patients 2300 --set block_size=500 --threads 2 \
    -o "$work/unbound.h5" > /dev/null 2> "$work/err.txt" || fail "mpirun --bind-to none failed"
! grep -q "note:" "$work/err.txt" || fail "--bind-to none: a note all the same: $(cat "$work/err.txt")"
echo "mpi_test: --threads 2 on a rank bound to one core is noted; --bind-to none is not"

# progress for a batch log: rank 0's lines say whose share they count
mpi 2 "$mpi_painsim" run "$scn" --patients 2300 --set block_size=500 --threads 1 --progress json --progress-every 0 \
    -o "$work/progress.h5" > /dev/null 2> "$work/progress.txt" || fail "mpirun -n 2 with --progress json failed"
grep -q '^{"event":"progress",.*"rank":0,"ranks":2}$' "$work/progress.txt" \
    || fail "no JSON progress line with rank 0 of 2: $(head -c 600 "$work/progress.txt")"
[ "$(grep -c '"rank":1' "$work/progress.txt" || true)" -eq 0 ] || fail "rank 1 printed progress lines too"
echo "mpi_test: --progress json: rank 0's lines carry \"rank\":0,\"ranks\":2"
h5dump -p -H -d /strategies/botox_q4m/vas_mm "$work/mpi-3.h5" | grep -q "COMPRESSION DEFLATE" \
    || fail "vas_mm of the MPI file is not compressed"
[ "$(ls "$work" | grep -c partial || true)" -eq 0 ] || fail "a partial file was left"

# refusals: exit status 2 on every rank, nothing written
refused "6 ranks over 5 blocks" mpi 6 "$mpi_painsim" run "$scn" $args -o "$work/too-many.h5"
grep -q "only 5 blocks" "$work/err.txt" || fail "6 ranks over 5 blocks: no clear message: $(cat "$work/err.txt")"
[ ! -e "$work/too-many.h5" ] && [ ! -e "$work/too-many.h5.partial" ] || fail "6 ranks over 5 blocks wrote a file"

before=$(cksum < "$work/mpi-2.h5")
refused "existing output without --force" mpi 2 "$mpi_painsim" run "$scn" $args -o "$work/mpi-2.h5"
[ "$(cksum < "$work/mpi-2.h5")" = "$before" ] || fail "existing output without --force was changed"

# a PSA: its iterations split over the ranks, rank 0 gathers, analyses and
# writes; the file and the printed tables are the serial build's
psa="$src/scenarios/psa_default.yaml"
pargs="--psa 11 --patients 150 --set block_size=64 --quiet"
"$serial_painsim" run "$psa" $pargs --threads 2 -o "$work/psa-serial.h5" > "$work/psa-serial.txt"
for k in 1 2 3 4; do
    mpi "$k" "$mpi_painsim" run "$psa" $pargs --threads 1 -o "$work/psa-$k.h5" > "$work/psa-$k.txt" \
        || fail "mpirun -n $k painsim run --psa failed"
    sh "$here/h5same.sh" "$work/psa-serial.h5" "$work/psa-$k.h5" || fail "PSA over $k ranks: the file differs from the serial build's"
    cmp -s "$work/psa-serial.txt" "$work/psa-$k.txt" || fail "PSA over $k ranks: the printed tables differ from the serial build's"
    ranks=$(h5dump -a /mpi_ranks "$work/psa-$k.h5" | awk '/\(0\)/ { print $2 }')
    [ "$ranks" = "$k" ] || fail "PSA over $k ranks: mpi_ranks is '$ranks'"
    echo "mpi_test: PSA over $k rank(s): file and printed tables identical to the serial build"
done
# an existing PSA file without --force: every rank stops before simulating
before=$(cksum < "$work/psa-2.h5")
refused "PSA over 2 ranks onto an existing file" mpi 2 "$mpi_painsim" run "$psa" $pargs -o "$work/psa-2.h5"
grep -q "exists" "$work/err.txt" || fail "PSA over 2 ranks onto an existing file: no clear message: $(cat "$work/err.txt")"
[ "$(cksum < "$work/psa-2.h5")" = "$before" ] || fail "PSA over 2 ranks changed an existing file without --force"
ranks=$(h5dump -a /mpi_ranks "$work/mpi-3.h5" | awk '/\(0\)/ { print $2 }')
[ "$ranks" = 3 ] || fail "the cohort run over 3 ranks records mpi_ranks '$ranks'"

refused "PSA of 4 iterations over 5 ranks" mpi 5 "$mpi_painsim" run "$psa" --psa 4 --patients 100 -o "$work/psa.h5"
grep -q "only 4 iterations" "$work/err.txt" || fail "PSA of 4 iterations over 5 ranks: no clear message: $(cat "$work/err.txt")"
[ ! -e "$work/psa.h5" ] || fail "PSA over too many ranks wrote a file"
# iteration 2 draws onset after peak: rank 1 of 4 (iterations 2 and 3) fails,
# every rank stops, and rank 0 prints rank 1's message once
refused "a PSA draw the model cannot use on rank 1" mpi 4 "$mpi_painsim" run "$psa" --psa 8 --patients 50 \
    --set 'treatments.botox.onset_days={dist: uniform, min: 1, max: 40}' -o "$work/psa-bad.h5"
[ "$(grep -c "PSA iteration 2 drew a parameter set the model cannot use" "$work/err.txt")" -eq 1 ] \
    || fail "a PSA draw the model cannot use on rank 1: expected its message once: $(cat "$work/err.txt")"
[ ! -e "$work/psa-bad.h5" ] || fail "a failed PSA over ranks wrote a file"
echo "mpi_test: refusals (more ranks than blocks, existing output, more ranks than PSA iterations, a bad draw on rank 1): exit 2, nothing written"
echo "mpi_test: PASS"
