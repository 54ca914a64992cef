#!/bin/sh
# Slurm on localhost (tests/cluster/slurm_env.sh) running painsim:
#  1. a 3-task job array, each task a painsim run of the same scenario: every
#     task's file has the datasets and /results of a run outside Slurm (h5diff);
#  2. a job submitted with --dependency=afterok on the array runs only after
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

# 1 + 2: the array and the job that depends on it
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
