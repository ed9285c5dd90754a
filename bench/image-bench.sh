#!/usr/bin/env bash
# Side-by-side benchmark of the jvz image engine against qemu-img / qemu-io on the same files.
#
#   bench/image-bench.sh [--size 2G] [--reps 4] [--ops 20000] [--dir /var/tmp/jvz-bench] [--seed 42]
#
# Rows (each timed as wall clock of the whole process PLUS a following `sync`, because qemu-img convert
# leaves its output in the page cache while jvz fdatasyncs; the sync makes both "data on disk"):
#   import     qemu-img convert -f raw -O parallels   vs  ImageBench import  (Convert.importRaw)
#   export     qemu-img convert -f parallels -O raw   vs  ImageBench export  (Convert.export)
#   randread   qemu-io -t writeback -r, N x "read -q OFF 4k"  vs  ImageBench randrw --read  (same offsets file)
#   randwrite  qemu-io -t writeback, N x "write -q OFF 4k" vs  ImageBench randrw --write (same offsets file)
# Before EVERY timed run: sync; echo 3 > /proc/sys/vm/drop_caches; sleep 1 (needs root). The order of
# the two tools alternates each repetition (use an even --reps so each goes first equally often).
# The table shows the median of the repetitions and jvz/qemu
# (below 1.00 = jvz faster), for wall time and for CPU time (user+sys, which a busy shared machine
# disturbs less than wall time). JVM start-up (~0.1 s) is inside jvz's times.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$here/scripts/env.sh"

size=2G reps=4 ops=20000 dir=/var/tmp/jvz-bench seed=42
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --ops) ops="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    -h|--help) sed -n "2,16p" "$0"; exit 0 ;;
    *) echo "image-bench: unknown option $1" >&2; exit 2 ;;
  esac
done

for t in qemu-img qemu-io; do
  command -v "$t" >/dev/null || { echo "image-bench: $t missing; run scripts/install-deps.sh" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "image-bench: must run as root (drop_caches)" >&2; exit 1; }
jar="$here/bench/target/jvz-bench.jar"
if [ ! -f "$jar" ]; then
  (cd "$here" && mvn -q -o -pl image,bench -am package -DskipTests)
fi
# Same JVM flags as bin/jvz, so the numbers are what a user of the CLI gets.
JVZ=("$JAVA_HOME/bin/java" -XX:+UseSerialGC -Xshare:auto --enable-native-access=ALL-UNNAMED -cp "$jar:$here/bench/target/lib/*" dev.jvz.bench.ImageBench)

mkdir -p "$dir"
cd "$dir"
raw="disk-$size-$seed.raw"
if [ ! -f "$raw" ]; then
  echo "# making $raw (75% random data, zero runs half written, half holes)"
  "${JVZ[@]}" mkraw "$raw" --size "$size" --data-percent 75 --seed "$seed"
fi

# Settle before each timed run: flush, drop the page cache, then give the device a second to finish
# what the previous run left (the root fs is mounted with online discard; deleting the previous
# output issues discards). Without the pause the second tool of a pair was measurably slower.
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; sleep 1; }
# timed LABEL TOOL CMD...: runs CMD + sync after dropping caches, appends seconds to results.
declare -A sum cpu
timed() {
  local row="$1" tool="$2"; shift 2
  drop
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%U %S" -o "cpu-$row-$tool.txt" "$@" > "last-$row-$tool.out" 2>&1 \
    || { echo "image-bench: $row/$tool failed:"; cat "last-$row-$tool.out"; exit 1; } >&2
  sync
  t1=$(date +%s%N)
  local s c; s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  c=$(awk 'END { printf "%.2f", $1 + $2 }' "cpu-$row-$tool.txt")
  sum[$row,$tool]="${sum[$row,$tool]:-} $s"
  cpu[$row,$tool]="${cpu[$row,$tool]:-} $c"
  printf '  %-9s %-4s %7.3f s wall %6.2f s cpu\n' "$row" "$tool" "$s" "$c"
}

# The image both tools read for export and random I/O: the one jvz imports, checked equal to the raw.
src=src.hdd
rm -f "$src"
"${JVZ[@]}" import "$raw" "$src" >/dev/null
qemu-img check -f parallels "$src" >/dev/null
qemu-img compare -f parallels -F raw "$src" "$raw" >/dev/null
"${JVZ[@]}" offsets "$src" offsets.txt --ops "$ops" --bs 4096 --seed "$seed" >/dev/null
awk '{ print "read -q " $1 " 4096" }' offsets.txt > qemu-read.cmds
awk '{ print "write -q " $1 " 4096" }' offsets.txt > qemu-write.cmds
cp --sparse=always "$src" rw.hdd

run_pair() { # rep row
  local rep="$1" row="$2" first second
  if [ $((rep % 2)) -eq 1 ]; then first=qemu second=jvz; else first=jvz second=qemu; fi
  for tool in $first $second; do
    case "$row/$tool" in
      import/qemu) rm -f q.hdd; timed import qemu qemu-img convert -f raw -O parallels "$raw" q.hdd ;;
      import/jvz) rm -f j.hdd; timed import jvz "${JVZ[@]}" import "$raw" j.hdd ;;
      export/qemu) rm -f q.raw; timed export qemu qemu-img convert -f parallels -O raw "$src" q.raw ;;
      export/jvz) rm -f j.raw; timed export jvz "${JVZ[@]}" export "$src" j.raw ;;
      randread/qemu) timed randread qemu sh -c "qemu-io -t writeback -r -f parallels $src < qemu-read.cmds" ;;
      randread/jvz) timed randread jvz "${JVZ[@]}" randrw "$src" --read --offsets offsets.txt --seed "$seed" ;;
      randwrite/qemu) timed randwrite qemu sh -c "qemu-io -t writeback -f parallels rw.hdd < qemu-write.cmds" ;;
      randwrite/jvz) timed randwrite jvz "${JVZ[@]}" randrw rw.hdd --write --offsets offsets.txt --seed "$seed" ;;
    esac
  done
}

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(nproc) CPUs, $(free -g | awk '/Mem:/ { print $2 }') GiB RAM; raw $size, $ops random 4 KiB ops, $reps repetitions"
start=$(date +%s)
for rep in $(seq 1 "$reps"); do
  echo "# repetition $rep"
  for row in import export randread randwrite; do
    run_pair "$rep" "$row"
  done
done

# The outputs must agree before any number counts.
qemu-img compare -f parallels -F parallels q.hdd j.hdd >/dev/null || { echo "image-bench: imports differ" >&2; exit 1; }
cmp q.raw j.raw || { echo "image-bench: exports differ" >&2; exit 1; }
qemu-img check -f parallels rw.hdd >/dev/null || { echo "image-bench: rw.hdd not clean after writes" >&2; exit 1; }

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
echo "| row | qemu wall s | jvz wall s | jvz/qemu wall | qemu cpu s | jvz cpu s | jvz/qemu cpu | qemu wall runs | jvz wall runs |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---|"
for row in import export randread randwrite; do
  q=$(echo "${sum[$row,qemu]}" | median)
  j=$(echo "${sum[$row,jvz]}" | median)
  r=$(awk -v a="$j" -v b="$q" 'BEGIN { printf "%.2f", a / b }')
  qc=$(echo "${cpu[$row,qemu]}" | median)
  jc=$(echo "${cpu[$row,jvz]}" | median)
  rc=$(awk -v a="$jc" -v b="$qc" 'BEGIN { printf "%.2f", a / b }')
  echo "| $row | $q | $j | $r | $qc | $jc | $rc |${sum[$row,qemu]} |${sum[$row,jvz]} |"
done
echo
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# medians of $reps runs; wall = process + sync after a cold cache; cpu = user + sys of the process"
echo "# total $(( $(date +%s) - start )) s; outputs verified equal (qemu-img compare, cmp, check)"
