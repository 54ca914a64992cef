#!/bin/sh
# Slurm on localhost (tests/cluster/slurm_env.sh) running painsim:
#  1. cluster/submit.sh: a 3-task job array of shards (painsim run --shard
#     i/3) and the merge job (painsim merge, --dependency=afterok on the
#     array); the merged file has the datasets and /results of a one-process
#     run (h5same.sh: h5diff and the layout), with virtual datasets and with
#     --copy; the same for a PSA split into 3 shards of iterations;
#  2. a 3-task job array, each task a painsim run of the same scenario: every
#     task's file has the datasets and /results of a run outside Slurm, and a
#     job submitted with --dependency=afterok on the array runs only after
#     every task succeeded, and sees their files;
#  3. when a task of the array fails, the dependent job never runs.
# Usage: slurm_test.sh PAINSIM_BINARY SOURCE_DIR
set -eu
painsim=$1
src=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/slurm_env.sh"
work=""
cleanup() { slurm_stop; [ -z "$work" ] || rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() { echo "slurm_test: FAIL: $*" >&2; exit 1; }

slurm_start || fail "the local Slurm did not start"
work=$(mktemp -d /tmp/painsim-slurm-test.XXXXXX)
chmod 0755 "$work"
scn="$src/tests/data/scenario_basic.yaml"

"$painsim" run "$scn" --patients 3000 --threads 1 -o "$work/local.h5" --quiet > /dev/null

# 1: shards and their merge, submitted by cluster/submit.sh
export PAINSIM="$painsim"
mkdir -p "$work/out"
ids=$(cd "$work" && sh "$src/cluster/submit.sh" -k 3 -c 1 -d "$work/shards" -o "$work/out/merged.h5" "$scn" \
      --patients 3000 --set block_size=500 | tail -n 1)
arr=${ids% *}
merge=${ids#* }
echo "slurm_test: shard array job $arr (3 tasks), merge job $merge"
slurm_wait_jobs 300 "$arr" "$merge" || fail "shard and merge jobs did not finish"
"$painsim" run "$scn" --patients 3000 --set block_size=500 --threads 1 -o "$work/one.h5" --quiet > /dev/null
if [ ! -f "$work/out/merged.h5" ]; then
    cat "$work/shards"/*.log >&2 || true
    fail "the merge job wrote no file"
fi
sh "$here/h5same.sh" "$work/one.h5" "$work/out/merged.h5" || fail "the merged file differs from a one-process run"
state=$(scontrol show job "$merge" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
[ "$state" = COMPLETED ] || fail "merge job state $state"
# the same shards merged into one self-contained file
merge2=$(sbatch --parsable -o "$work/merge2.log" "$src/cluster/painsim-merge.sbatch" "$work/copy.h5" \
         "$work/shards" "$(basename "$scn" .yaml)" 3 --copy)
slurm_wait_jobs 120 "$merge2" || fail "the --copy merge job did not finish"
sh "$here/h5same.sh" "$work/one.h5" "$work/copy.h5" || fail "the --copy merged file differs from a one-process run"
echo "slurm_test: 3 shards merged by a dependent job (virtual datasets and --copy): identical to one process"

# 1b: a PSA split into 3 shards of iterations, merged and analysed by the dependent job
psa="$src/scenarios/psa_default.yaml"
ids=$(cd "$work" && sh "$src/cluster/submit.sh" -k 3 -c 1 -d "$work/psa-shards" -o "$work/out/psa.h5" "$psa" \
      --psa 10 --patients 120 | tail -n 1)
slurm_wait_jobs 300 "${ids% *}" "${ids#* }" || fail "PSA shard and merge jobs did not finish"
"$painsim" run "$psa" --psa 10 --patients 120 --threads 1 -o "$work/psa-one.h5" --quiet > /dev/null
[ -f "$work/out/psa.h5" ] || { cat "$work/psa-shards"/*.log >&2 || true; fail "the PSA merge job wrote no file"; }
sh "$here/h5same.sh" "$work/psa-one.h5" "$work/out/psa.h5" || fail "the merged PSA differs from a one-process run"
echo "slurm_test: a PSA in 3 shards of iterations merged by a dependent job: identical to one process"

# 2: the array and the job that depends on it
arr=$(sbatch --parsable --array=1-3 --cpus-per-task=1 -o "$work/task-%a.out" -e "$work/task-%a.err" \
      --wrap "\"$painsim\" run \"$scn\" --patients 3000 --threads 1 -o \"$work/task-\$SLURM_ARRAY_TASK_ID.h5\" --quiet")
dep=$(sbatch --parsable --dependency=afterok:$arr --kill-on-invalid-dep=yes -o "$work/after.out" \
      --wrap "ls \"$work\"/task-1.h5 \"$work\"/task-2.h5 \"$work\"/task-3.h5")
echo "slurm_test: array job $arr (3 tasks), dependent job $dep"
slurm_wait_jobs 300 "$arr" "$dep" || fail "jobs did not finish"
for i in 1 2 3; do
    [ -f "$work/task-$i.h5" ] || { cat "$work/task-$i.err" >&2 || true; fail "array task $i wrote no file"; }
    # attributes that record the time and the command line differ; nothing else may
    sh "$here/h5same.sh" "$work/local.h5" "$work/task-$i.h5" \
        || fail "task $i's file differs from the local run"
done
grep -q "task-3.h5" "$work/after.out" || fail "the dependent job did not see the array's files"
state=$(scontrol show job "$dep" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
[ "$state" = COMPLETED ] || fail "dependent job state $state"
echo "slurm_test: 3 array tasks identical to the local run; dependent job COMPLETED"

# 3: a failing task (an unknown scenario file) keeps the dependent job from running
arr=$(sbatch --parsable --array=1-2 -o /dev/null -e /dev/null \
      --wrap "\"$painsim\" run \"$work/missing-\$SLURM_ARRAY_TASK_ID.yaml\" -o \"$work/bad.h5\"")
dep=$(sbatch --parsable --dependency=afterok:$arr --kill-on-invalid-dep=yes -o "$work/never.out" --wrap "echo ran")
slurm_wait_jobs 120 "$arr" "$dep" || fail "jobs did not finish"
[ ! -e "$work/never.out" ] || fail "the dependent job ran after a failed array task"
[ ! -e "$work/bad.h5" ] || fail "a failed run left a file"
echo "slurm_test: failed array task: dependent job did not run"
echo "slurm_test: PASS"
