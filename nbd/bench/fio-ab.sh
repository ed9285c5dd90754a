#!/bin/bash
# Preliminary A/B benchmark: jvz's NBD server (each request execution mode) vs
# qemu-nbd -f parallels -t -e 4, on fresh 1 GiB images over Unix sockets, fio's nbd engine,
# runs interleaved (server A, B, C, qemu, A, ...) so load changes hit all alike; median of 3 runs.
# Needs: mvn -pl nbd -am test-compile (uses the test-scope DevServe launcher); fio, qemu-nbd, qemu-img.
# Usage: nbd/bench/fio-ab.sh [seconds-per-run]    (MODES="platform virtual" to pick modes)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=${TMPDIR:-/tmp}/jvz-nbd-bench; rm -rf $D; mkdir -p $D
T=${1:-3}
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
CP=$ROOT/nbd/target/classes:$ROOT/nbd/target/test-classes:$ROOT/image/target/classes
MODES=${MODES:-"platform virtual inline"}
PIDS=()
for m in $MODES; do
  $JAVA_HOME/bin/java -Djvz.nbd.execution=$m -cp $CP dev.jvz.nbd.DevServe $D/$m.hdd 1073741824 $D/$m.sock > $D/$m.log 2>&1 &
  PIDS+=($!)
done
qemu-img create -f parallels $D/q.hdd 1G >/dev/null
qemu-nbd -f parallels -t -e 4 -k $D/qemu.sock -x root $D/q.hdd &
PIDS+=($!)
sleep 3
SERVERS="$MODES qemu"
# pre-allocate: sequential 1M write over the test area on each
for s in $SERVERS; do fio --name=fill --ioengine=nbd --uri="nbd+unix:///root?socket=$D/$s.sock" --rw=write --bs=1m --size=512m --iodepth=8 >/dev/null 2>&1; done
for spec in "write 1m 8 1" "read 1m 8 1" "randwrite 4k 32 1" "randread 4k 32 1" "randwrite 4k 32 4" "randread 4k 32 4" "read 1m 8 4"; do
  set -- $spec
  for rep in 1 2 3; do
    for s in $SERVERS; do
      r=$(fio --name=b --ioengine=nbd --uri="nbd+unix:///root?socket=$D/$s.sock" --rw=$1 --bs=$2 --size=512m --iodepth=$3 --numjobs=$4 --group_reporting --runtime=$T --time_based --output-format=terse 2>/dev/null | tail -1)
      echo "$spec $s $(echo "$r" | awk -F';' '{print $8 + $49}')"
    done
  done
done > $D/results.txt
kill ${PIDS[@]}; wait 2>/dev/null
MODES="$MODES" python3 - <<PY
import collections, statistics
d=collections.defaultdict(list)
for line in open('$D/results.txt'):
    p=line.split(); d[(' '.join(p[:4]),p[4])].append(float(p[5]))
specs=[]; [specs.append(k[0]) for k in d if k[0] not in specs]
cols="$MODES".split()+["qemu"]
print("%-24s"%"rw bs iodepth jobs" + "".join(" %10s"%c for c in cols) + "   (median IOPS of 3)")
for sp in specs:
    print("%-24s"%sp + "".join(" %10.0f"%statistics.median(d[(sp,s)]) for s in cols))
PY
