#!/usr/bin/env bash
# Runs one measuring command alone on one vCPU: the quiet, pinned core that CPU-renderer
# timings need (see trained/*/DATA.md). Two cgroup cpusets are made: `leti-meas` holds the
# command on CPU $LETI_MEAS_CPU (default: the last CPU) and nothing else; `leti-rest` gets every
# other process of the machine, moved there first, on the remaining CPUs. Processes started
# later inherit `leti-rest` from their parents, so builds and tests keep off the measuring core.
# When the command ends (or the script is interrupted) every process goes back to the root
# cpuset and both groups are removed, so the machine gets all its CPUs back. Run one at a time.
# cgroup v1 (a `cpuset` hierarchy) and v2 (the `cpuset` controller) are both handled. Root only.
#
# Usage: trained/measure-pinned.sh COMMAND [ARGS...]
#   e.g. LP_NUM_THREADS=1 trained/measure-pinned.sh target/release/leti measure --cells c.jsonl ...
# The command's output goes where this script's goes; its exit status is this script's.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "measure-pinned: needs root (cgroups)" >&2; exit 2; }
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
ncpu=$(nproc --all)
[ "$ncpu" -ge 2 ] || { echo "measure-pinned: needs 2 or more CPUs, found $ncpu" >&2; exit 2; }
meas_cpu=${LETI_MEAS_CPU:-$((ncpu - 1))}
rest_cpus=$(seq 0 $((ncpu - 1)) | grep -vx "$meas_cpu" | paste -sd, -)

if [ -d /sys/fs/cgroup/cpuset ] && [ -f /sys/fs/cgroup/cpuset/cpuset.cpus ]; then
  root=/sys/fs/cgroup/cpuset          # cgroup v1
  mems=$(cat "$root/cpuset.mems")
  for g in leti-meas leti-rest; do mkdir -p "$root/$g"; echo "$mems" >"$root/$g/cpuset.mems"; done
  procs=tasks
else
  root=/sys/fs/cgroup                 # cgroup v2
  grep -qw cpuset "$root/cgroup.subtree_control" || echo +cpuset >"$root/cgroup.subtree_control"
  mkdir -p "$root/leti-meas" "$root/leti-rest"
  procs=cgroup.procs
fi
echo "$meas_cpu" >"$root/leti-meas/cpuset.cpus"
echo "$rest_cpus" >"$root/leti-rest/cpuset.cpus"

# Everything that runs now moves off the measuring core (kernel threads that cannot move stay).
for pid in $(cat "$root/$procs"); do echo "$pid" >"$root/leti-rest/$procs" 2>/dev/null || true; done
echo "measure-pinned: CPU $meas_cpu for: $*; CPUs $rest_cpus for everything else" >&2

# Back to the root cpuset, all of it, and the groups gone.
restore() {
  for g in leti-meas leti-rest; do
    [ -d "$root/$g" ] || continue
    for pid in $(cat "$root/$g/$procs" 2>/dev/null); do echo "$pid" >"$root/$procs" 2>/dev/null || true; done
    rmdir "$root/$g" 2>/dev/null || echo "measure-pinned: could not remove $root/$g" >&2
  done
}
trap restore EXIT
trap 'exit 130' INT TERM
echo $$ >"$root/leti-meas/$procs"
set +e
"$@"
status=$?
set -e
exit "$status"
