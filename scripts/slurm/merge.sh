#!/usr/bin/env bash
# Merges the N shard directories of scripts/slurm/array.sh into one run directory,
# byte-identical to the unsharded run's CSV files. Submit it to run once every task of the
# array has succeeded:
#
#   sbatch --dependency=afterok:ARRAY_JOB_ID scripts/slurm/merge.sh N OUT_PREFIX OUT
#
# CONNECTSIM names the binary (default: connectsim on PATH).
#SBATCH --job-name=connectsim-merge
#SBATCH --cpus-per-task=1
#SBATCH --output=connectsim-merge-%j.log
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: sbatch --dependency=afterok:ARRAY_JOB_ID $0 N OUT_PREFIX OUT" >&2
  exit 2
fi
n=$1
prefix=$2
out=$3
shards=()
for ((k = 0; k < n; k++)); do
  shards+=("$prefix-$k")
done
exec "${CONNECTSIM:-connectsim}" merge "${shards[@]}" --out "$out"
