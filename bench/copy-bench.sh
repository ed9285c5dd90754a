#!/usr/bin/env bash
# Live copy benchmark: jvz LiveCopy side by side with nbdcopy/qemu-nbd and qemu-img convert, then the
# frozen final-pass window of a LiveCopy under a steady random-write load.
#
#   bench/copy-bench.sh [--size 2G] [--reps 3] [--runs 6] [--jvz-runs 3] [--rate 7] [--max-downtime 50]
#                       [--dir /var/tmp/jvz-copybench] [--out-dir DIR] [--skip-throughput] [--skip-live] [--no-warm]
#   (or the same as env vars: SIZE REPS RUNS JVZ_RUNS RATE MAX_DOWNTIME DIR OUT_DIR; e.g. SIZE=512M REPS=1 RUNS=2;
#   PORT: the jvz receivers' TCP port on 127.0.0.1, default 7790 (qemu-nbd's for nbdcopy-tcp: PORT+1);
#   WARM=0 is --no-warm)
#
# --out-dir (OUT_DIR; default: --dir, the old behaviour) is where part 1's rows write their copies
# (jvz-net, jvz-digest, jvz-legacy, jvz-file, nbdcopy, qemu-parallels, qemu-raw; jvz-send writes nothing); the
# source stays in --dir. With the source on the disk and OUT_DIR on tmpfs (/dev/shm) the write side no
# longer competes with the source for one disk: the stand-in, on a one-disk machine, for a migration
# whose copy lands on another host's disk. Each copy is verified right after its timed run and then
# deleted (on tmpfs it sits in RAM); the script's outputs in OUT_DIR are removed on exit too.
#
# Part 1, pass-1 throughput of an idle, fully allocated image of random data (CopyBench mkimage). The jvz
# rows run bin/jvz, i.e. what a user runs (with its ahead-of-time cache, made once before the timed runs):
#   jvz-net      bin/jvz ploop copy -s DISK --to 127.0.0.1:PORT --no-digest --json, to a receiver
#                `bin/jvz ploop copy --listen 127.0.0.1:PORT -d OUT --json` started (and listening) before
#                the cache drop, as qemu-nbd is for nbdcopy; its CPU is added to the row's, as qemu-nbd's
#                is to nbdcopy's. The jvz protocol: CRC32C per block checked by the receiver, which
#                fdatasyncs before its last answer. No final digest: nbdcopy verifies nothing either.
#                (The receiver's CPU counts from the moment it listens: its JVM start-up is left out.)
#   jvz-digest   the same with the CLI's default, the final digest: the sender hashes each 4 MiB range as
#                it reads it, the receiver reads its copy back after the last answer and hashes it, and
#                the sender waits for the two to be compared: the price of an end-to-end check
#   jvz-legacy   the same with --legacy: ploop's stream (no checksums, no digest)
#   jvz-file     bin/jvz ploop copy -s DISK -d OUT --json: the same LiveCopy (read and write overlapped)
#                into a local file by the in-process FileSink, one JVM, no socket. The CLI's default for
#                -d FILE is no final digest
#   (DISK = disk-SIZE/, a hard link of the source plus a DiskDescriptor.xml the script writes: -s takes a
#   descriptor, not a bare image. pass-1 MiB/s is read from the sender's JSON: passes[0])
#   jvz-send     CopyBench send --protocol legacy --discard: LiveCopy to a receiver JVM that parses and
#                drops the stream (a child JVM of the harness, started inside the timed run): the read +
#                send side alone, no destination disk; its pass-1 rate is the "send" term of max(read, send)
#   nbdcopy      nbdcopy nbd+unix:///?socket=S out.raw, from an already running
#                MALLOC_MMAP_THRESHOLD_=33554432 qemu-nbd -f parallels -t -e 4 --read-only
#   nbdcopy-tcp  the same over TCP loopback (qemu-nbd -b 127.0.0.1 -p PORT+1; nbdcopy nbd://127.0.0.1:PORT+1):
#                the jvz rows' transport, and a migration's
#   qemu-parallels  qemu-img convert -f parallels -O parallels src dst
#   qemu-raw     qemu-img convert -f parallels -O raw src dst
#   read         dd if=src of=/dev/null bs=4M: the disk's sequential read rate, the ceiling of any copy
#                that reads the source from disk (max(read, send) with a faster send)
# After the cold rows, each repetition runs jvz-net, jvz-legacy, jvz-file, nbdcopy and both qemu-img rows
# again with the source read into the page cache first (not with --no-warm): the copy without its disk
# read, i.e. the "send" term. The overlap table compares each row's cold time with max(read, warm)
# (reading and sending fully overlapped, OpenVZ's max(Tread, Tsend)) and read + warm (not at all).
# Each timed run: sync; echo 3 > /proc/sys/vm/drop_caches (root), then the wall clock of the command PLUS
# a following `sync` (the jvz receiver fdatasyncs, qemu-img and nbdcopy leave dirty pages: the sync makes
# all "data on disk"; with OUT_DIR on tmpfs that sync still runs but has nothing of the copy to write,
# so it costs next to nothing). drop_caches does not drop tmpfs contents. MiB/s = source file bytes / that time. The row order alternates each repetition.
# The jvz-net/-digest/-legacy/-file times include starting the sender's JVM (bin/jvz), jvz-send's two
# JVMs; the in-process pass-1 rate is shown too. CPU seconds (user+sys, /usr/bin/time, children
# included; plus the server's: qemu-nbd for nbdcopy, the jvz receiver for jvz-net/-digest/-legacy)
# show the cost per copy.
#
# Part 2, frozen window: CopyBench live (see its class comment) on a copy of the image, caches warm.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$here/scripts/env.sh"

size="${SIZE:-2G}" reps="${REPS:-3}" runs="${RUNS:-6}" jvz_runs="${JVZ_RUNS:-3}" rate="${RATE:-7}"
maxdown="${MAX_DOWNTIME:-50}" dir="${DIR:-/var/tmp/jvz-copybench}" out="${OUT_DIR:-}" do_tp=1 do_live=1
do_warm="${WARM:-1}"
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --jvz-runs) jvz_runs="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --max-downtime) maxdown="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --out-dir) out="$2"; shift 2 ;;
    --skip-throughput) do_tp=0; shift ;;
    --skip-live) do_live=0; shift ;;
    --no-warm) do_warm=0; shift ;;
    -h|--help) sed -n '2,59p' "$0"; exit 0 ;;
    *) echo "copy-bench: unknown option $1" >&2; exit 2 ;;
  esac
done

for t in qemu-img qemu-nbd nbdcopy jq ss; do
  command -v "$t" >/dev/null || { echo "copy-bench: $t missing; run scripts/install-deps.sh" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "copy-bench: must run as root (drop_caches)" >&2; exit 1; }
jar="$here/bench/target/jvz-bench.jar"
if [ ! -f "$jar" ] || [ ! -f "$here/bench/target/lib/jvz-copy-0.1.0-SNAPSHOT.jar" ]; then
  (cd "$here" && mvn -q -o -pl image,copy,bench -am package -DskipTests)
fi
if [ ! -f "$here/cli/target/jvz-cli.jar" ]; then
  (cd "$here" && mvn -q -o -pl cli -am package -DskipTests)
fi
# bin/jvz makes its ahead-of-time cache on its first run after a build: do that outside the timed runs.
"$here/bin/jvz" --version >/dev/null
# Same JVM flags as bin/jvz; the receiver child JVM gets the same ones (CopyBench.ReceiverProcess).
JVZ=("$JAVA_HOME/bin/java" -XX:+UseSerialGC -Xshare:auto --enable-native-access=ALL-UNNAMED
     -cp "$jar:$here/bench/target/lib/*" dev.jvz.bench.CopyBench)

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
out="${out:-$dir}"
out_made=0
[ -d "$out" ] || { mkdir -p "$out"; out_made=1; }
out="$(cd "$out" && pwd)"
cd "$dir"
src="src-$size.hdd"
if [ ! -f "$src" ]; then
  echo "# making $src (fully allocated, random data)"
  "${JVZ[@]}" mkimage "$src" --size "$size"
  qemu-img check -f parallels "$src" >/dev/null
fi
bytes=$(stat -c %s "$src")
# jvz ploop copy -s wants a disk (DiskDescriptor.xml): a directory with a hard link of the source as
# its one (expanded, 1 MiB cluster) delta; the sender only reads it.
disk="disk-$size"
mkdir -p "$disk"
ln -f "$src" "$disk/root.hdd"
sectors=$(( $(qemu-img info -f parallels --output=json "$src" | awk -F'[:,]' '/"virtual-size"/ { print $2 }') / 512 ))
top='{5fbaabe3-6958-40ff-92a7-860e329aab41}'
cat > "$disk/DiskDescriptor.xml" <<EOF
<?xml version="1.0"?>
<Parallels_disk_image Version="1.0">
  <Disk_Parameters><Disk_size>$sectors</Disk_size><Padding>0</Padding></Disk_Parameters>
  <StorageData><Storage><Start>0</Start><End>$sectors</End><Blocksize>2048</Blocksize>
    <Image><GUID>$top</GUID><Type>Compressed</Type><File>root.hdd</File></Image>
  </Storage></StorageData>
  <Snapshots><TopGUID>$top</TopGUID>
    <Shot><GUID>$top</GUID><ParentGUID>{00000000-0000-0000-0000-000000000000}</ParentGUID></Shot>
  </Snapshots>
</Parallels_disk_image>
EOF
echo "# $(nproc) CPUs, $(free -g | awk '/Mem:/ { print $2 }') GiB RAM, kernel $(uname -r), $(df -h --output=source,fstype . | tail -1)"
echo "# source $src: $bytes bytes; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# copies written to $out: $(df -h --output=source,fstype "$out" | tail -1)"
start=$(date +%s)

drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
declare -A secs pass1 cpu
timed() { # row CMD...: drop caches (warm=1: read the source into them instead), time CMD + sync, record
  local row="$1"; shift
  local key="$row"
  if [ "$warm" = 1 ]; then key="$row@warm"; sync; cat "$src" > /dev/null; else drop; fi
  local t0 t1 s
  local srv0=0 srv1=0
  [ -n "$srvpid" ] && srv0=$(awk '{ print $14 + $15 }' "/proc/$srvpid/stat")
  t0=$(date +%s%N)
  /usr/bin/time -f "%U %S" -o "last-$row.cpu" "$@" > "last-$row.out" 2>&1 \
    || { echo "copy-bench: $row failed:"; cat "last-$row.out"; exit 1; } >&2
  sync
  t1=$(date +%s%N)
  [ -n "$srvpid" ] && srv1=$(awk '{ print $14 + $15 }' "/proc/$srvpid/stat")
  # A jvz receiver (started by start_receiver, outside the timed part) has ended by now or ends at
  # once: its CPU seconds come from /usr/bin/time when it exits.
  local rx=0
  if [ -n "$rxpid" ]; then finish_receiver "$row"; rx=$(awk -v b="$rxbase" '{ print $1 + $2 - b }' last-receiver.cpu); fi
  s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  secs[$key]="${secs[$key]:-} $s"
  # CPU seconds (user + sys) of the command and its children, plus the qemu-nbd server's for nbdcopy.
  local c; c=$(awk -v d="$((srv1 - srv0))" -v hz="$(getconf CLK_TCK)" -v rx="$rx" '{ printf "%.2f", $1 + $2 + d / hz + rx }' "last-$row.cpu")
  cpu[$key]="${cpu[$key]:-} $c"
  local extra=""
  case "$row" in
    jvz-file|jvz-net|jvz-digest|jvz-legacy) # the CLI's JSON: passes[0] is pass 1 (bytes, nanos)
      extra=$(jq -r '.passes[0] | .bytes / 1048576 / (.nanos / 1e9)' "last-$row.out" | awk '{ printf "pass1_mib_s=%.1f", $1 }')
      pass1[$key]="${pass1[$key]:-} ${extra#*=}" ;;
    jvz-*) extra=$(grep -o 'pass1_mib_s=[0-9.]*' "last-$row.out"); pass1[$key]="${pass1[$key]:-} ${extra#*=}" ;; esac
  printf '  %-20s %7.3f s %8.1f MiB/s  cpu %6.2f s  %s\n' "$key" "$s" "$(awk -v b="$bytes" -v s="$s" 'BEGIN { print b / 1048576 / s }')" "$c" "$extra"
}

sock="$dir/nbd.sock"
srvpid="" rxpid="" rxbase=0
port="${PORT:-7790}" nbdport=$(( ${PORT:-7790} + 1 ))
outputs=("$out/j-net.hdd" "$out/j-digest.hdd" "$out/j-legacy.hdd" "$out/j-file.hdd" "$out/n.raw" "$out/q.hdd"
         "$out/q.raw")
cleanup() {
  [ -n "$srvpid" ] && kill "$srvpid" 2>/dev/null
  [ -n "$rxpid" ] && kill "$rxpid" 2>/dev/null
  rm -f "${outputs[@]}"
  # Only a directory this script made is removed, and only if it is empty (never rm -r).
  [ "$out_made" = 1 ] && rmdir "$out" 2>/dev/null
  true
}
trap cleanup EXIT

# start_receiver OUT: a jvz receiver listening on 127.0.0.1:$port (before the cache drop, like qemu-nbd)
start_receiver() {
  rm -f "$1" last-receiver.cpu
  /usr/bin/time -f "%U %S" -o last-receiver.cpu \
    "$here/bin/jvz" ploop copy --listen "127.0.0.1:$port" -d "$1" --json > last-receiver.out 2>&1 &
  rxpid=$!
  for _ in $(seq 200); do
    if ss -Hltn "sport = :$port" | grep -q .; then
      # Its CPU so far (JVM start-up): subtracted from its total, as qemu-nbd's start is not counted.
      local java; java=$(pgrep -P "$rxpid" | head -1)
      rxbase=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$java/stat")
      return 0
    fi
    kill -0 "$rxpid" 2>/dev/null || break
    sleep 0.02
  done
  echo "copy-bench: the jvz receiver did not listen on 127.0.0.1:$port:" >&2; cat last-receiver.out >&2; exit 1
}
# finish_receiver ROW: the receiver must have ended well (it exits once it answered the sender's END)
finish_receiver() {
  local rc=0
  wait "$rxpid" || rc=$?
  rxpid=""
  [ "$rc" = 0 ] || { echo "copy-bench: $1: the jvz receiver failed (exit $rc):" >&2; cat last-receiver.out >&2; exit 1; }
}

# verify ROW CHECK...: a copy must match the source before its number counts; then it is deleted, so
# that tmpfs (OUT_DIR=/dev/shm) holds at most one copy at a time.
verify() {
  local row="$1" f="$2"; shift 2
  "$@" || { echo "copy-bench: $row: $f differs from the source $src" >&2; exit 1; }
  rm -f "$f"
}
# nbd_row ROW URI QEMU-NBD-ADDRESS...: nbdcopy from URI, served by qemu-nbd at its best (see the header)
# started before the cache drop; its CPU is counted in timed(), like a jvz receiver's.
nbd_row() {
  local row="$1" uri="$2"; shift 2
  rm -f "$out/n.raw" "$sock"
  MALLOC_MMAP_THRESHOLD_=33554432 qemu-nbd -f parallels -t -e 4 --read-only "$@" "$src" &
  srvpid=$!
  for _ in $(seq 100); do
    if [ "$row" = nbdcopy ]; then [ -S "$sock" ] && break; else ss -Hltn "sport = :$nbdport" | grep -q . && break; fi
    sleep 0.05
  done
  timed "$row" nbdcopy "$uri" "$out/n.raw"
  kill "$srvpid"; wait "$srvpid" 2>/dev/null || true; srvpid=""
  verify "$row" "$out/n.raw" qemu-img compare -q -f parallels -F raw "$src" "$out/n.raw"
}
# in_order REP ROW...: the rows as given on odd repetitions, reversed on even ones
in_order() {
  local rep="$1"; shift
  order=("$@")
  if [ $((rep % 2)) -eq 0 ]; then order=(); for ((i=$#; i>=1; i--)); do order+=("${!i}"); done; fi
}
run_row() {
  local o="$out"
  case "$1" in
    jvz-net|jvz-digest|jvz-legacy)
      local f="$o/j-${1#jvz-}.hdd" flag
      case "$1" in jvz-net) flag=--no-digest ;; jvz-digest) flag=--digest ;; jvz-legacy) flag=--legacy ;; esac
      start_receiver "$f"
      timed "$1" "$here/bin/jvz" ploop copy -s "$disk" --to "127.0.0.1:$port" "$flag" --json
      verify "$1" "$f" cmp "$src" "$f" ;;
    jvz-file) rm -f "$o/j-file.hdd"; timed jvz-file "$here/bin/jvz" ploop copy -s "$disk" -d "$o/j-file.hdd" --json
      verify jvz-file "$o/j-file.hdd" cmp "$src" "$o/j-file.hdd" ;;
    jvz-send) timed jvz-send "${JVZ[@]}" send "$src" --out /nonexistent --protocol legacy --discard true ;;
    nbdcopy) nbd_row nbdcopy "nbd+unix:///?socket=$sock" -k "$sock" ;;
    nbdcopy-tcp) # the same over TCP loopback, the transport the jvz rows use (and a migration)
      nbd_row nbdcopy-tcp "nbd://127.0.0.1:$nbdport" -b 127.0.0.1 -p "$nbdport" ;;
    qemu-parallels) rm -f "$o/q.hdd"; timed qemu-parallels qemu-img convert -f parallels -O parallels "$src" "$o/q.hdd"
      verify qemu-parallels "$o/q.hdd" qemu-img compare -q -f parallels -F parallels "$src" "$o/q.hdd" ;;
    qemu-raw) rm -f "$o/q.raw"; timed qemu-raw qemu-img convert -f parallels -O raw "$src" "$o/q.raw"
      verify qemu-raw "$o/q.raw" qemu-img compare -q -f parallels -F raw "$src" "$o/q.raw" ;;
    read) timed read dd if="$src" of=/dev/null bs=4M ;;
  esac
}

rows=(jvz-net jvz-digest jvz-legacy jvz-file jvz-send nbdcopy nbdcopy-tcp qemu-parallels qemu-raw read)
# Rows also run warm (source in the page cache): their time is the "send" side alone, everything but
# the disk read; see the overlap table at the end.
warm_rows=(jvz-net jvz-legacy jvz-file nbdcopy qemu-parallels qemu-raw)
warm=0
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
if [ "$do_tp" = 1 ]; then
  echo "# part 1: pass-1 throughput, $reps repetitions, caches dropped before each run"
  for rep in $(seq 1 "$reps"); do
    echo "# repetition $rep"
    in_order "$rep" "${rows[@]}"
    for row in "${order[@]}"; do run_row "$row"; done
    if [ "$do_warm" = 1 ]; then
      warm=1
      in_order "$rep" "${warm_rows[@]}"
      for row in "${order[@]}"; do run_row "$row"; done
      warm=0
    fi
  done
  # Every copy was verified (and deleted) right after its run, in run_row.
  echo "# all copies verified against the source"
  echo
  echo "| row | MiB/s (median, wall + sync) | seconds (runs) | CPU s user+sys (runs) | in-process pass-1 MiB/s (runs) |"
  echo "|---|---:|---|---|---|"
  declare -A med
  for row in "${rows[@]}"; do
    s=$(echo "${secs[$row]}" | median)
    med[$row]=$(awk -v b="$bytes" -v s="$s" 'BEGIN { printf "%.1f", b / 1048576 / s }')
    echo "| $row | ${med[$row]} |${secs[$row]} |${cpu[$row]} |${pass1[$row]:- -} |"
  done
  echo
  echo "| jvz/peer (MiB/s ratio, above 1.00 = jvz faster) | nbdcopy | nbdcopy over TCP | qemu-img -O parallels | qemu-img -O raw | dd read |"
  echo "|---|---:|---:|---:|---:|---:|"
  for j in jvz-net jvz-digest jvz-legacy jvz-file; do
    printf '| %s |' "$j"
    for p in nbdcopy nbdcopy-tcp qemu-parallels qemu-raw read; do
      printf ' %s |' "$(awk -v a="${med[$j]}" -v b="${med[$p]}" 'BEGIN { printf "%.2f", a / b }')"
    done
    echo
  done
  # max(read, send) as a rate is the slower of the two: the cold dd read (wall) and the read + send side
  # alone (jvz-send's in-process pass 1). A copy that "reaches max(read, send)" runs at that rate.
  pm() { echo "${pass1[$1]:-}" | median; }
  ceil=$(awk -v r="${med[read]}" -v s="$(pm jvz-send)" 'BEGIN { printf "%.1f", (r < s) ? r : s }')
  echo
  echo "max(read, send) as a rate: min(dd read ${med[read]}, jvz-send pass 1 $(pm jvz-send)) = $ceil MiB/s"
  echo
  echo "| jvz row | wall + sync MiB/s / max(read, send) | pass-1 MiB/s (median) / max(read, send) |"
  echo "|---|---:|---:|"
  for j in jvz-net jvz-digest jvz-legacy jvz-file; do
    awk -v j="$j" -v w="${med[$j]}" -v p="$(pm "$j")" -v c="$ceil" \
      'BEGIN { printf "| %s | %.2f | %.2f |\n", j, w / c, p / c }'
  done
  if [ "$do_warm" = 1 ]; then
    # Read and send overlapped? A row's cold time against its two parts measured apart: the cold read
    # alone (dd) and the row with the source already cached (no disk read: the send side). Perfect
    # overlap gives cold = max(read, warm) (ratio 1.00); none gives read + warm (ratio below 1 by that).
    # For the jvz rows the same with the in-process pass 1 (no JVM start-up in it).
    tr_=$(echo "${secs[read]}" | median)
    echo
    echo "Overlap: dd read alone $tr_ s (median, cold)"
    echo
    echo "| row | cold s | warm s | max(read, warm) / cold | (read + warm) / cold | pass 1 cold s | pass 1 warm s | max(read, warm) / cold, pass 1 |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for r in "${warm_rows[@]}"; do
      tc=$(echo "${secs[$r]}" | median) tw=$(echo "${secs[$r@warm]}" | median)
      pc="" pw=""
      if [ -n "${pass1[$r]:-}" ]; then pc=$(pm "$r") pw=$(pm "$r@warm"); fi
      awk -v r="$r" -v tc="$tc" -v tw="$tw" -v tr="$tr_" -v pc="$pc" -v pw="$pw" -v mib="$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" 'BEGIN {
        m = (tr > tw) ? tr : tw
        printf "| %s | %.3f | %.3f | %.2f | %.2f |", r, tc, tw, m / tc, (tr + tw) / tc
        if (pc != "" && pw != "") { sc = mib / pc; sw = mib / pw; mp = (tr > sw) ? tr : sw; printf " %.3f | %.3f | %.2f |\n", sc, sw, mp / sc }
        else printf " - | - | - |\n" }'
    done
  fi
fi

if [ "$do_live" = 1 ]; then
  echo
  echo "# part 2: frozen window under load (caches warm, no drop)"
  cp "$src" live.hdd
  "${JVZ[@]}" live live.hdd --out live-copy.hdd --protocol legacy --runs "$runs" --rate-mib "$rate" \
      --max-downtime-ms "$maxdown"
  if [ "$jvz_runs" -gt 0 ]; then
    "${JVZ[@]}" live live.hdd --out live-copy.hdd --protocol jvz --runs "$jvz_runs" --rate-mib "$rate" \
        --max-downtime-ms "$maxdown"
  fi
  qemu-img check -f parallels live-copy.hdd >/dev/null || { echo "copy-bench: live copy fails qemu-img check" >&2; exit 1; }
  rm -f live.hdd live-copy.hdd
fi
echo
echo "# total $(( $(date +%s) - start )) s"
