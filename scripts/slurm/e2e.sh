#!/usr/bin/env bash
# End-to-end proof of scripts/slurm/ on a real Slurm scheduler, on this machine:
#  1. installs Debian's Slurm if it is missing (slurmctld, slurmd, slurm-client);
#  2. starts a one-node cluster (no systemd, no munge) under a temporary directory;
#  3. submits the job array (one shard a task) and the merge job (--dependency=afterok);
#     one task is killed mid-run (`scontrol requeue`: SIGTERM, then back in the queue) and
#     its second attempt finishes with --resume;
#  4. checks the merged CSV files byte for byte against an unsharded run;
#  5. stops the daemons it started, by their PID files.
# Exits non-zero on any mismatch. Run as root (it installs packages and starts slurmd):
#
#   bash scripts/slurm/e2e.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

shards=3
# 9 replications of 12 months of the default market: long enough for a task to be caught
# with some replications finished and some not.
flags=(--replications 9 --months 12)

say() { echo "== $*"; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null; then
  say "installing Debian's Slurm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client >/dev/null
fi

say "building connectsim"
cargo build --release --quiet
export CONNECTSIM="$repo/target/release/connectsim"

work=$(mktemp -d /tmp/connectsim-slurm.XXXXXX)
host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work/state" "$work/spool" "$work/log" "$work/runs"
export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=connectsim-e2e
SlurmctldHost=$host
AuthType=auth/none
CredType=cred/none
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
SchedulerParameters=kill_invalid_depend
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobRequeue=1
ReturnToService=2
KillWait=10
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

stop_daemons() {
  for daemon in slurmd slurmctld; do
    pidfile="$work/$daemon.pid"
    if [ -s "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
    fi
  done
  for daemon in slurmd slurmctld; do
    pidfile="$work/$daemon.pid"
    for _ in $(seq 50); do
      [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null || break
      sleep 0.1
    done
  done
}
fail() {
  echo "FAILED: $*" >&2
  echo "--- logs in $work" >&2
  exit 1
}
passed=
finish() {
  stop_daemons
  if [ -n "$passed" ]; then rm -rf "$work"; fi
}
trap finish EXIT

say "starting a one-node cluster ($host, $cpus CPUs) in $work"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || fail "the node did not come up (state: ${state:-none})"
sinfo

cd "$work/runs"
prefix="$work/runs/shard"
say "submitting the array (${shards} tasks) and the merge"
array=$(sbatch --parsable --array=0-$((shards - 1)) "$repo/scripts/slurm/array.sh" default "$prefix" "${flags[@]}")
merge=$(sbatch --parsable --dependency=afterok:"$array" "$repo/scripts/slurm/merge.sh" "$shards" "$prefix" "$work/runs/merged")
echo "array job $array, merge job $merge"

# Catch task 1 with a replication finished and the run still going, and requeue it: Slurm
# sends it SIGTERM (the run stops and keeps what it finished), then queues it again.
victim="${array}_1"
say "waiting for task $victim to finish a replication"
for _ in $(seq 1200); do
  if compgen -G "$work/runs/.shard-1.connectsim-partial-*/replications/r*.json" >/dev/null; then
    break
  fi
  sleep 0.05
done
compgen -G "$work/runs/.shard-1.connectsim-partial-*/replications/r*.json" >/dev/null ||
  fail "task $victim recorded no replication"
scontrol requeue "$victim"
say "requeued $victim"

say "waiting for the merge job"
for _ in $(seq 1800); do
  [ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
  sleep 0.2
done
[ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] || fail "jobs still queued: $(squeue -h)"

for k in $(seq 0 $((shards - 1))); do
  echo "--- connectsim-${array}_$k.log"
  cat "connectsim-${array}_$k.log"
done
echo "--- connectsim-merge-$merge.log"
cat "connectsim-merge-$merge.log"

log1="connectsim-${array}_1.log"
grep -q "interrupted by SIGTERM" "$log1" || fail "task 1 was not interrupted by SIGTERM"
grep -q "Resuming:" "$log1" || fail "task 1's second attempt did not resume"
[ -f merged/manifest.json ] || fail "the merge job wrote no run directory"

say "the unsharded run, for comparison"
"$CONNECTSIM" run default "${flags[@]}" --out "$work/runs/whole" --quiet

say "comparing the merged run with the unsharded one"
status=0
for f in whole/*.csv; do
  name=$(basename "$f")
  if cmp -s "$f" "merged/$name"; then
    echo "same   $name"
  else
    echo "DIFFER $name"
    status=1
  fi
done
[ "$status" = 0 ] || fail "the merged run differs from the unsharded one"
say "passed: ${shards} shards, one killed and resumed, merged byte-identical to the unsharded run"
passed=1
