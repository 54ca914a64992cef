# A single-host Slurm for tests: munged, slurmctld and slurmd on localhost,
# every file (munge key, slurm.conf, cgroup.conf, state, spool, logs, pid
# files, sockets) in one temporary directory.  Sourced by the cluster tests:
#
#   . tests/cluster/slurm_env.sh
#   slurm_start            # exports SLURM_CONF; returns when the node is idle
#   sbatch ...; slurm_wait_jobs JOBID...
#   (slurm_stop runs at exit: it stops every daemon it started)
#
# Needs root (slurmd runs jobs as their submitting user) and Debian 12's
# slurm-wlm and munge.  No systemd and no cgroup plugins: process tracking by
# /proc (proctrack/linuxproc), no task binding (task/none), no accounting and
# no job accounting gathering, so it runs in a container as well.

slurm_dir=""
slurm_pids=""

slurm_log() { echo "slurm_env: $*" >&2; }

slurm_stop() {
    [ -n "$slurm_dir" ] || return 0
    for f in slurmd slurmctld munged; do
        pf="$slurm_dir/run/$f.pid"
        if [ -s "$pf" ]; then
            pid=$(cat "$pf")
            kill "$pid" 2>/dev/null || true
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    if [ "${SLURM_KEEP_DIR:-0}" = 1 ]; then
        slurm_log "kept $slurm_dir"
    else
        rm -rf "$slurm_dir"
    fi
    slurm_dir=""
}

slurm_dump_logs() {
    for f in "$slurm_dir"/log/*.log; do
        [ -f "$f" ] || continue
        echo "---- $f (last 40 lines)" >&2
        tail -n 40 "$f" >&2
    done
}

# Start the daemons; on failure print their logs and return 1.
slurm_start() {
    for b in munged slurmctld slurmd sinfo sbatch squeue scontrol; do
        command -v "$b" >/dev/null 2>&1 || { slurm_log "$b not found (Debian packages slurm-wlm and munge)"; return 1; }
    done
    [ "$(id -u)" -eq 0 ] || { slurm_log "needs root (slurmd starts jobs as their user)"; return 1; }
    slurm_dir=$(mktemp -d /tmp/painsim-slurm.XXXXXX)
    chmod 0755 "$slurm_dir"
    mkdir -p "$slurm_dir/etc" "$slurm_dir/run" "$slurm_dir/log" "$slurm_dir/state" "$slurm_dir/spool" "$slurm_dir/munge"
    chmod 0700 "$slurm_dir/munge"

    # munge: a fresh key, and a socket in the temporary directory
    dd if=/dev/urandom of="$slurm_dir/munge/munge.key" bs=1024 count=1 2>/dev/null
    chmod 0400 "$slurm_dir/munge/munge.key"
    sock="$slurm_dir/run/munge.socket"
    # --force: the key and socket live under /tmp, whose permissions munged
    # would otherwise refuse (sticky, world-writable).
    munged --force --key-file="$slurm_dir/munge/munge.key" --socket="$sock" \
        --pid-file="$slurm_dir/run/munged.pid" --log-file="$slurm_dir/log/munged.log" \
        --seed-file="$slurm_dir/munge/munged.seed" || { slurm_log "munged did not start"; slurm_dump_logs; return 1; }

    # Ports: two free ones above 20000 (not Slurm's defaults, so that a
    # system Slurm, if any, is left alone).
    ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')
    ctld_port=${ports% *}
    slurmd_port=${ports#* }
    cpus=$(nproc)
    # RealMemory: what slurmd itself reports (MiB), so that it accepts the node.
    mem=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -n 1)
    [ -n "$mem" ] || mem=1000
    node=painsim-node

    # The controller and the node by address (name(address), NodeAddr): no
    # host name has to resolve, so a machine without /etc/hosts, where
    # `localhost` goes to DNS, does not stall.
    cat > "$slurm_dir/etc/slurm.conf" <<CONF
ClusterName=painsim-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$slurm_dir/state
SlurmdSpoolDir=$slurm_dir/spool
SlurmctldPidFile=$slurm_dir/run/slurmctld.pid
SlurmdPidFile=$slurm_dir/run/slurmd.pid
SlurmctldLogFile=$slurm_dir/log/slurmctld.log
SlurmdLogFile=$slurm_dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no systemd or cgroup in a container: track processes through /proc
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MailProg=/bin/true
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
    # cgroup.conf: read by slurmd even with the cgroup plugins off; no mounts.
    cat > "$slurm_dir/etc/cgroup.conf" <<CONF
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=no
CONF
    export SLURM_CONF="$slurm_dir/etc/slurm.conf"

    slurmctld -i -f "$SLURM_CONF" || { slurm_log "slurmctld did not start"; slurm_dump_logs; return 1; }
    slurmd -N "$node" -f "$SLURM_CONF" || { slurm_log "slurmd did not start"; slurm_dump_logs; return 1; }

    # Wait (at most 60 s by the clock: a command that cannot reach slurmctld
    # may itself take long, so each is cut at 10 s) until the node is idle.
    t0=$(date +%s)
    while [ $(($(date +%s) - t0)) -lt 60 ]; do
        state=$(timeout 10 sinfo -h -N -n "$node" -o '%t' 2>/dev/null | head -n 1)
        case "$state" in
            idle) slurm_log "node $node idle ($cpus CPUs, $mem MiB) after $(($(date +%s) - t0)) s"; return 0 ;;
        esac
        sleep 0.5
    done
    slurm_log "the node did not become idle (state: ${state:-none})"
    slurm_dump_logs
    return 1
}

# Wait until none of the given jobs is pending or running (at most
# TIMEOUT_SECONDS by the clock; a squeue that fails or takes more than 10 s
# tells nothing, and the wait goes on).
# Usage: slurm_wait_jobs TIMEOUT_SECONDS JOBID...
slurm_wait_jobs() {
    limit=$1; shift
    ids=$(echo "$@" | tr ' ' ',')
    t0=$(date +%s)
    while [ $(($(date +%s) - t0)) -lt "$limit" ]; do
        if queued=$(timeout 10 squeue -h -j "$ids" -o '%i %T' 2>/dev/null) && [ -z "$queued" ]; then
            return 0
        fi
        sleep 0.5
    done
    slurm_log "jobs $ids still queued after $limit s:"
    timeout 10 squeue -j "$ids" >&2 || true
    slurm_dump_logs
    return 1
}
