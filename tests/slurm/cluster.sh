#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for tests: Debian's slurm-wlm and munge, run as
# plain processes (no systemd), with every file in one folder.
#
#   tests/slurm/cluster.sh start DIR   # prints "export SLURM_CONF=DIR/slurm.conf" when the node is idle
#   tests/slurm/cluster.sh stop DIR    # stops the daemons; DIR stays for their logs
#
# Needs root (slurmd runs jobs as their submitting user) and the packages slurm-wlm and munge.
# Exits 77 (the "skipped" code of ctest's SKIP_RETURN_CODE) when either is missing, 1 when the
# cluster does not come up, with the daemons' logs printed.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(realpath -m "$2")
conf="$dir/slurm.conf"

stop_cluster() {
  for daemon in slurmd slurmctld munged; do
    [ -f "$dir/$daemon.pid" ] || continue
    pid=$(cat "$dir/$daemon.pid")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/$daemon.pid"
  done
}

show_logs() {
  for log in "$dir"/*.log; do
    [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
  done
}

start_cluster() {
  local missing=()
  for program in munged slurmctld slurmd sinfo; do
    command -v "$program" >/dev/null || missing+=("$program")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "slurm cluster: cannot start: ${missing[*]} not installed (apt-get install slurm-wlm munge)" >&2
    exit 77
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "slurm cluster: cannot start: slurmd must run as root" >&2
    exit 77
  fi

  mkdir -p "$dir/state" "$dir/spool"
  chmod 700 "$dir"
  # A fresh random key: this cluster trusts only itself.
  head -c 1024 /dev/urandom >"$dir/munge.key"
  chmod 400 "$dir/munge.key"

  local host cpus
  host=$(hostname -s)
  cpus=$(nproc)
  cat >"$conf" <<EOF
# One node, one partition, every file under $dir.
ClusterName=actlab-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=${SLURMCTLD_PORT:-6817}
SlurmdPort=${SLURMD_PORT:-6818}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
KillWait=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  # slurmd loads a cgroup plugin even when nothing uses cgroups (proctrack/linuxproc, task/none);
  # "autodetect" fails where no cgroup file system is mounted (a chroot), the v1 plugin does not.
  echo "CgroupPlugin=cgroup/v1" >"$dir/cgroup.conf"

  trap 'echo "slurm cluster: a daemon did not start" >&2; show_logs; stop_cluster; exit 1' ERR
  munged --force --origin=127.0.0.1 --key-file="$dir/munge.key" --socket="$dir/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge.seed"
  export SLURM_CONF=$conf
  # -c: a clean start, forgetting the jobs of an earlier cluster in this folder.
  slurmctld -c
  slurmd
  trap - ERR

  for _ in $(seq 100); do
    if [ "$(sinfo -h -N -o '%T' 2>/dev/null)" = idle ]; then
      echo "export SLURM_CONF=$conf"
      return 0
    fi
    sleep 0.2
  done
  echo "slurm cluster: the node did not become idle within 20 s" >&2
  sinfo -N >&2 || true
  show_logs
  stop_cluster
  exit 1
}

case $action in
  start) start_cluster ;;
  stop) stop_cluster ;;
  *) usage ;;
esac
