#!/usr/bin/env bash
# Frozen window of a live copy of a MOUNTED jvz disk, as a migration sees it: the node runs the copy,
# stops the writer with -F, syncs/freezes the ext4 (FIFREEZE), sends the last blocks and thaws.
# (bench/copy-bench.sh part 2 measures the copy engine's window without a file system.)
#
#   bench/freeze-bench.sh [--runs 6] [--rate 7m] [--dir /var/tmp/jvz-freezebench]
#   (or RUNS RATE DIR as env vars)
#
# Set-up: a private node (its own --node-dir under DIR), a 1 GiB disk with ext4 mounted through it.
# Each run: fio writes 4 KiB blocks at random into a 256 MiB file at RATE (psync, fsync every 64
# writes) for 2 s, then `jvz ploop copy -s DISK -F "kill -STOP <fio>" --max-downtime 50ms
# -d /dev/shm/... --json` runs while fio keeps writing; after it, fio is resumed and stopped. The
# report's "frozen" part splits the window: freeze (stop command + FIFREEZE), final passes, sync, thaw.
# Root is needed (mount, FIFREEZE). Everything is unmounted and the node stopped on exit.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$here/scripts/env.sh"
runs="${RUNS:-6}" rate="${RATE:-7m}" dir="${DIR:-/var/tmp/jvz-freezebench}"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "freeze-bench: unknown option $1" >&2; exit 2 ;;
  esac
done
for t in fio jq; do
  command -v "$t" >/dev/null || { echo "freeze-bench: $t missing; run scripts/install-deps.sh" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "freeze-bench: must run as root" >&2; exit 1; }
jvz="$here/bin/jvz"
export JVZ_NODE_DIR="$dir/node"
mnt="$dir/mnt" disk="$dir/disk" out="/dev/shm/jvz-freezebench-copy.hdd"
fio_pid=""
cleanup() {
  [ -n "$fio_pid" ] && { pkill -CONT -x fio 2>/dev/null; kill "$fio_pid" 2>/dev/null; wait "$fio_pid" 2>/dev/null; }
  "$jvz" ploop umount -m "$mnt" >/dev/null 2>&1 || true
  "$jvz" node stop >/dev/null 2>&1 || true
  rm -f "$out"
}
trap cleanup EXIT
cleanup # leftovers of a killed earlier run
rm -rf "$disk"
mkdir -p "$disk" "$mnt"
"$jvz" ploop init -s 1G "$disk/root.hdd" >/dev/null
"$jvz" ploop mount -m "$mnt" "$disk/DiskDescriptor.xml" >/dev/null
echo "# $(nproc) CPUs, kernel $(uname -r); writer: fio randwrite 4k at $rate, fsync every 64; $runs runs"
echo "# /sys/kernel/rcu_expedited = $(cat /sys/kernel/rcu_expedited 2>/dev/null || echo absent) (the node sets it only during FIFREEZE)"
echo
echo "| run | frozen ms | freeze (stop cmd + FIFREEZE) | final passes | sync | thaw | passes |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
totals=()
for i in $(seq 1 "$runs"); do
  fio --name=w --filename="$mnt/fio.dat" --size=256M --rw=randwrite --bs=4k --rate="$rate" --ioengine=psync \
      --fsync=64 --time_based --runtime=300 --output=/dev/null &
  fio_pid=$!
  sleep 2
  pids="$(pgrep -x fio | tr '\n' ' ')"
  rm -f "$out"
  "$jvz" ploop copy -s "$disk/DiskDescriptor.xml" -F "kill -STOP $pids" --max-downtime 50ms -d "$out" --json \
      > "$dir/copy-$i.json" 2> "$dir/copy-$i.err" || { echo "freeze-bench: copy $i failed:" >&2; cat "$dir/copy-$i.err" >&2; exit 1; }
  kill -CONT $pids 2>/dev/null || true
  kill "$fio_pid" 2>/dev/null || true; wait "$fio_pid" 2>/dev/null || true; fio_pid=""
  jq -r --arg i "$i" '.frozen as $f | "| \($i) | \($f.total_nanos/1e6*100|round/100) | \($f.freeze_nanos/1e6*100|round/100) | \($f.final_pass_nanos/1e6*100|round/100) | \($f.sync_nanos/1e6*100|round/100) | \($f.thaw_nanos/1e6*100|round/100) | \(.passes|length) |"' "$dir/copy-$i.json"
  totals+=("$(jq '.frozen.total_nanos/1e6' "$dir/copy-$i.json")")
done
echo
printf '%s\n' "${totals[@]}" | sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "frozen window: median %.1f ms, min %.1f, max %.1f (%d runs)\n", m, a[1], a[NR], NR }'
