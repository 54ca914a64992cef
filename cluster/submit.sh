#!/bin/sh
# Submit a painsim run to Slurm as K shards and a merge (docs/cluster.md):
#
#   cluster/submit.sh [-k K] [-c CPUS] [-d SHARD_DIR] [-o OUT.h5] SCENARIO [painsim run options]
#
# K shards (default 4) as one job array (painsim-shards.sbatch), each task
# with CPUS OpenMP threads (default 2), writing SHARD_DIR (default
# ./shards); then the merge (painsim-merge.sbatch) with
# --dependency=afterok on the array, writing OUT.h5 (default output/NAME.h5).
# Extra sbatch options (partition, account, time limit) go in $SBATCH_ARGS.
# Prints the two job ids.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
k=4
cpus=2
dir=shards
out=""
usage() {
    echo "usage: cluster/submit.sh [-k K] [-c CPUS] [-d SHARD_DIR] [-o OUT.h5] SCENARIO [painsim run options]" >&2
    exit 2
}
while getopts k:c:d:o:h opt; do
    case "$opt" in
        k) k=$OPTARG ;;
        c) cpus=$OPTARG ;;
        d) dir=$OPTARG ;;
        o) out=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
scenario=$1
shift
case "$k" in ''|*[!0-9]*|0) echo "submit.sh: -k must be a positive integer, got '$k'" >&2; exit 2 ;; esac
case "$cpus" in ''|*[!0-9]*|0) echo "submit.sh: -c must be a positive integer, got '$cpus'" >&2; exit 2 ;; esac
[ -f "$scenario" ] || { echo "submit.sh: $scenario: no such scenario file" >&2; exit 2; }
name=$(basename "$scenario" .yaml)
[ -n "$out" ] || out="output/$name.h5"
mkdir -p "$dir" "$(dirname "$out")"

# --parsable prints "jobid" or "jobid;cluster"
array=$(sbatch --parsable ${SBATCH_ARGS:-} --array="1-$k" --cpus-per-task="$cpus" \
        --output="$dir/$name.shard-%a-of-$k.log" \
        "$here/painsim-shards.sbatch" "$scenario" "$dir" "$@")
array=${array%%;*}
merge=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency="afterok:$array" --kill-on-invalid-dep=yes \
        --output="$dir/$name.merge.log" \
        "$here/painsim-merge.sbatch" "$out" "$dir" "$name" "$k")
merge=${merge%%;*}
echo "submit.sh: array job $array ($k shards of $scenario in $dir), merge job $merge -> $out"
echo "$array $merge"
