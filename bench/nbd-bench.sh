#!/usr/bin/env bash
# Side-by-side benchmark of jvz's NBD server (`jvz ploop serve`) against qemu-nbd on the same image.
#
#   [RUNTIME=15] [RAMP=2] [SIZE=2G] [REPS=1] [FS=1] [ROWS=REGEX] [DIR=/var/tmp/jvz-nbd-bench] bench/nbd-bench.sh
#
# Defaults take about 10 minutes (13 rows x 2 servers x RUNTIME+RAMP, plus setup). FS=0 skips the ext4
# rows; ROWS='ext4/(seqread|randread-4k-qd1)' runs only the matching rows; REPS=3 gives medians.
#
# Setup: one ploop (parallels) image of SIZE, fully written with random data (qemu-img convert of
# /dev/urandom, so every read hits an allocated cluster); each server serves its own copy of it.
#   jvz:  bin/jvz ploop serve -q --socket S jvz.hdd
#   qemu: MALLOC_MMAP_THRESHOLD_=33554432 qemu-nbd -f parallels -t -e 4 --cache=writeback --aio=threads -k S qemu.hdd
# Durability is the same on both sides: jvz writes through the page cache (FileChannel) and fdatasyncs
# on FLUSH/FUA; qemu-nbd's default cache mode (writeback) does exactly that. fio's nbd engine sends no
# FLUSH unless asked, so both rows measure page-cache-backed I/O.
#
# Rows, fio 3.33, each time-based RUNTIME s after RAMP s of warm-up, one job:
#   nbd/*      ioengine=nbd straight to the server (libnbd, one connection)
#   fresh/*    seqwrite over a new EMPTY image (one pass of SIZE, every cluster newly allocated,
#              after an untimed warm-up pass over a 256 MiB tail past SIZE)
#   ext4/*     ioengine=libaio direct=1 on a 1/2 SIZE file in ext4 on nbdfuse + loop (the way a
#              container mounts its disk without the nbd kernel module)
# Before every timed run: sync; echo 3 > /proc/sys/vm/drop_caches (needs root). The order of the two
# servers alternates: jvz first on odd rows/repetitions, qemu first on even ones. The table shows the
# median over REPS: MiB/s for sequential rows, IOPS for random rows, and jvz/qemu (above 1 = jvz faster).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$here/scripts/env.sh"

RUNTIME=${RUNTIME:-15} RAMP=${RAMP:-2} SIZE=${SIZE:-2G} REPS=${REPS:-1} FS=${FS:-1}
DIR=${DIR:-/var/tmp/jvz-nbd-bench}
ROWS=${ROWS:-} # optional regex: only rows whose name matches

for t in qemu-img qemu-nbd fio nbdfuse losetup mkfs.ext4 jq fusermount3; do
  command -v "$t" >/dev/null || { echo "nbd-bench: $t missing; run scripts/install-deps.sh" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "nbd-bench: must run as root (drop_caches, losetup, mount)" >&2; exit 1; }
[ -f "$here/cli/target/jvz-cli.jar" ] || (cd "$here" && mvn -q -o -DskipTests package)

mkdir -p "$DIR"
cd "$DIR"
bytes=$(numfmt --from=iec "$SIZE")
results="$DIR/results.tsv"
: >"$results"

# ---------------------------------------------------------------- servers and cleanup
declare -A pid sock
mounts=() loops=() fuses=()
cleanup() {
  set +e
  for m in "${mounts[@]}"; do umount "$m"; done
  for l in "${loops[@]}"; do losetup -d "$l"; done
  for f in "${fuses[@]}"; do fusermount3 -u "$f"; done
  for s in "${!pid[@]}"; do stop_server "$s"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() { # name image
  local s=$1 img=$2
  sock[$s]="$DIR/$s.sock"
  rm -f "${sock[$s]}"
  if [ "$s" = jvz ]; then
    "$here/bin/jvz" ploop serve -q --socket "${sock[$s]}" "$img" >"$DIR/$s.log" 2>&1 &
  else
    MALLOC_MMAP_THRESHOLD_=33554432 qemu-nbd -f parallels -t -e 4 --cache=writeback --aio=threads \
      -k "${sock[$s]}" "$img" >"$DIR/$s.log" 2>&1 &
  fi
  pid[$s]=$!
  for _ in $(seq 100); do [ -S "${sock[$s]}" ] && return 0; sleep 0.1; done
  echo "nbd-bench: $s did not start:" >&2; cat "$DIR/$s.log" >&2; exit 1
}

stop_server() {
  local s=$1
  [ -n "${pid[$s]:-}" ] || return 0
  # qemu-nbd can miss a SIGTERM that arrives while it is still starting up: repeat, then SIGKILL.
  local i
  for i in $(seq 50); do
    kill "${pid[$s]}" 2>/dev/null || break
    sleep 0.1
    if [ "$i" -eq 50 ]; then kill -9 "${pid[$s]}" 2>/dev/null || true; fi
  done
  wait "${pid[$s]}" 2>/dev/null || true
  unset "pid[$s]"
}

fresh_copy() { # name -> image path: a copy of the full base image
  cp --sparse=never base.hdd "$1.hdd"
  echo "$DIR/$1.hdd"
}

# ---------------------------------------------------------------- measuring
row_no=0
# run_row NAME UNIT TARGET-FN FIO-ARGS...: runs fio once per server (alternating order), records metric.
run_row() {
  local name=$1 unit=$2 target=$3; shift 3
  if [ -n "$ROWS" ] && ! [[ $name =~ $ROWS ]]; then return 0; fi
  local rep order s out v
  for rep in $(seq "$REPS"); do
    row_no=$((row_no + 1))
    if [ $((row_no % 2)) -eq 1 ]; then order="jvz qemu"; else order="qemu jvz"; fi
    for s in $order; do
      sync; echo 3 >/proc/sys/vm/drop_caches
      out=$(fio --output-format=json --name="$name" $("$target" "$s") "$@" | sed -n '/^{/,$p')
      if [ "$unit" = MiB/s ]; then
        v=$(jq '[.jobs[0].read.bw, .jobs[0].write.bw] | add / 1024 | floor' <<<"$out")
      else
        v=$(jq '[.jobs[0].read.iops, .jobs[0].write.iops] | add | floor' <<<"$out")
      fi
      [ "$(jq '.jobs[0].error' <<<"$out")" = 0 ] || { echo "nbd-bench: fio failed on $s/$name" >&2; exit 1; }
      printf '%s\t%s\t%s\t%s\n' "$name" "$unit" "$s" "$v" >>"$results"
      printf '  %-22s %-5s %10s %s\n' "$name" "$s" "$v" "$unit"
    done
  done
}

nbd_target() { echo "--ioengine=nbd --uri=nbd+unix:///?socket=${sock[$1]} --size=$bytes"; }
timed="--time_based --runtime=$RUNTIME --ramp_time=$RAMP --randrepeat=0"

# ---------------------------------------------------------------- the image
if [ ! -f base.hdd ] || [ "$(qemu-img info --output=json base.hdd | jq '.["virtual-size"]')" != "$bytes" ]; then
  echo "# making base.hdd: $SIZE of random data as a ploop v2 image"
  rm -f base.hdd
  head -c "$bytes" /dev/urandom >base.raw
  qemu-img convert -f raw -O parallels base.raw base.hdd
  rm -f base.raw
fi

echo "# machine: $(nproc) CPUs, $(free -g | awk '/Mem:/{print $2}') GiB RAM, kernel $(uname -r)"
echo "# jvz $(git -C "$here" rev-parse --short HEAD 2>/dev/null), $(qemu-nbd --version | head -1), $(fio --version)"
echo "# RUNTIME=$RUNTIME RAMP=$RAMP SIZE=$SIZE REPS=$REPS"

# ---------------------------------------------------------------- nbd engine on a full image
echo "# nbd engine, full image"
start_server jvz "$(fresh_copy jvz)"
start_server qemu "$(fresh_copy qemu)"
run_row nbd/seqread-1M    MiB/s nbd_target $timed --rw=read      --bs=1M --iodepth=4
run_row nbd/seqwrite-1M   MiB/s nbd_target $timed --rw=write     --bs=1M --iodepth=4
run_row nbd/randread-4k-qd1   IOPS nbd_target $timed --rw=randread  --bs=4k --iodepth=1
run_row nbd/randread-4k-qd32  IOPS nbd_target $timed --rw=randread  --bs=4k --iodepth=32
run_row nbd/randwrite-4k-qd1  IOPS nbd_target $timed --rw=randwrite --bs=4k --iodepth=1
run_row nbd/randwrite-4k-qd32 IOPS nbd_target $timed --rw=randwrite --bs=4k --iodepth=32

# ---------------------------------------------------------------- ext4 over nbdfuse + loop
fs_target() { echo "--ioengine=libaio --direct=1 --filename=$DIR/mnt-$1/fio.dat --size=$((bytes / 2))"; }
if [ -n "$ROWS" ] && ! [[ ext4/seqread-1M\ ext4/seqwrite-1M\ ext4/randread-4k-qd1\ ext4/randread-4k-qd32\ ext4/randwrite-4k-qd1\ ext4/randwrite-4k-qd32 =~ $ROWS ]]; then FS=0; fi
if [ "$FS" = 1 ]; then
  echo "# ext4 on nbdfuse + loop, fio libaio direct=1"
  for s in jvz qemu; do
    mkdir -p "fuse-$s" "mnt-$s"
    rm -f "fuse-$s.pid"
    nbdfuse -P "$DIR/fuse-$s.pid" "$DIR/fuse-$s/disk" --unix "${sock[$s]}" &
    for _ in $(seq 100); do [ -s "fuse-$s.pid" ] && break; sleep 0.1; done
    fuses+=("$DIR/fuse-$s")
    loop=$(losetup -f --show --direct-io=on "$DIR/fuse-$s/disk")
    loops+=("$loop")
    mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 "$loop"
    mount -o noatime "$loop" "mnt-$s"
    mounts+=("$DIR/mnt-$s")
    fio --name=layout --output=/dev/null $(fs_target "$s") --rw=write --bs=1M --iodepth=4 --end_fsync=1
  done
  run_row ext4/seqread-1M    MiB/s fs_target $timed --rw=read      --bs=1M --iodepth=4
  run_row ext4/seqwrite-1M   MiB/s fs_target $timed --rw=write     --bs=1M --iodepth=4
  run_row ext4/randread-4k-qd1   IOPS fs_target $timed --rw=randread  --bs=4k --iodepth=1
  run_row ext4/randread-4k-qd32  IOPS fs_target $timed --rw=randread  --bs=4k --iodepth=32
  run_row ext4/randwrite-4k-qd1  IOPS fs_target $timed --rw=randwrite --bs=4k --iodepth=1
  run_row ext4/randwrite-4k-qd32 IOPS fs_target $timed --rw=randwrite --bs=4k --iodepth=32
  for m in "${mounts[@]}"; do umount "$m"; done
  for l in "${loops[@]}"; do losetup -d "$l"; done
  for f in "${fuses[@]}"; do fusermount3 -u "$f"; done
  mounts=() loops=() fuses=()
fi
stop_server jvz; stop_server qemu

# ---------------------------------------------------------------- writes into unallocated space
echo "# nbd engine, empty image: one sequential pass, every cluster newly allocated"
fresh_target() { echo "--ioengine=nbd --uri=nbd+unix:///?socket=${sock[$1]} --size=$bytes"; }
# The image is 256 MiB larger than SIZE: that tail is written first, untimed, so both servers are warm
# (JIT, thread pools) when the timed pass over [0, SIZE) allocates every one of its clusters. Every
# repetition starts over from new empty images and new servers.
warm=$((256 << 20))
fresh_reps=$REPS
if [ -n "$ROWS" ] && ! [[ fresh/seqwrite-1M =~ $ROWS ]]; then fresh_reps=0; fi
for _ in $(seq "$fresh_reps"); do
  for s in jvz qemu; do rm -f "$s-empty.hdd"; qemu-img create -q -f parallels "$s-empty.hdd" "$((bytes + warm))"; done
  start_server jvz "$DIR/jvz-empty.hdd"
  start_server qemu "$DIR/qemu-empty.hdd"
  for s in jvz qemu; do
    fio --name=warm --output=/dev/null --ioengine=nbd --uri="nbd+unix:///?socket=${sock[$s]}" \
      --offset="$bytes" --size="$warm" --rw=write --bs=1M --iodepth=4
  done
  REPS=1 run_row fresh/seqwrite-1M MiB/s fresh_target --rw=write --bs=1M --iodepth=4
  stop_server jvz; stop_server qemu
done
rm -f jvz.hdd qemu.hdd jvz-empty.hdd qemu-empty.hdd

# ---------------------------------------------------------------- table
echo
python3 - "$results" <<'PY'
import statistics, sys
rows, vals = [], {}
for line in open(sys.argv[1]):
    name, unit, server, v = line.rstrip("\n").split("\t")
    if (name, unit) not in rows:
        rows.append((name, unit))
    vals.setdefault((name, unit, server), []).append(float(v))
print("| %-24s | %-5s | %10s | %10s | %8s |" % ("row", "unit", "jvz", "qemu-nbd", "jvz/qemu"))
print("|%s|%s|%s|%s|%s|" % ("-" * 26, "-" * 7, "-" * 12, "-" * 12, "-" * 10))
for name, unit in rows:
    j = statistics.median(vals.get((name, unit, "jvz"), [0]))
    q = statistics.median(vals.get((name, unit, "qemu"), [0]))
    print("| %-24s | %-5s | %10.0f | %10.0f | %8.2f |" % (name, unit, j, q, j / q if q else 0))
PY
