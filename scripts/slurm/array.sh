#!/usr/bin/env bash
# One shard of a connectsim run per task of a Slurm job array.
#
#   sbatch --array=0-(N-1) scripts/slurm/array.sh SCENARIO OUT_PREFIX [RUN FLAGS...]
#
# Task K of N runs `connectsim run SCENARIO --shard K/N --out OUT_PREFIX-K --resume`, on
# the task's CPUs. --resume makes a requeued task (after a preemption, a node failure or
# `scontrol requeue`) simulate only the replications its earlier attempt did not finish;
# the first attempt has nothing to resume and runs them all. Slurm's SIGTERM before a kill
# stops the run cleanly (exit code 143) with its finished replications kept.
# CONNECTSIM names the binary (default: connectsim on PATH).
#SBATCH --job-name=connectsim
#SBATCH --requeue
#SBATCH --cpus-per-task=1
#SBATCH --output=connectsim-%A_%a.log
#SBATCH --open-mode=append
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: sbatch --array=0-(N-1) $0 SCENARIO OUT_PREFIX [RUN FLAGS...]" >&2
  exit 2
fi
scenario=$1
prefix=$2
shift 2
: "${SLURM_ARRAY_TASK_ID:?not a task of a job array: submit with sbatch --array=0-(N-1)}"
: "${SLURM_ARRAY_TASK_COUNT:?not a task of a job array: submit with sbatch --array=0-(N-1)}"
if [ "${SLURM_ARRAY_TASK_MIN:-0}" != 0 ]; then
  echo "the array must start at 0: sbatch --array=0-(N-1)" >&2
  exit 2
fi

exec "${CONNECTSIM:-connectsim}" run "$scenario" \
  --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" \
  --out "$prefix-$SLURM_ARRAY_TASK_ID" \
  --threads "${SLURM_CPUS_PER_TASK:-1}" \
  --resume "$@"
