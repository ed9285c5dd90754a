#!/usr/bin/env bash
# Container benchmark: the jvz container lifecycle next to plain runc / loop-mount floors, and fio inside a
# jvz container next to the same fio jobs on the host's own disk.
#
#   bench/ct-bench.sh [--reps 5] [--fio-reps 2] [--fio-size 1G] [--fio-runtime 10] [--diskspace 1G]
#                     [--dir /var/tmp/jvz-ctbench] [--warm] [--skip-lifecycle] [--skip-fio]
#   (or as env vars: REPS FIO_REPS FIO_SIZE FIO_RUNTIME DISKSPACE DIR; e.g. REPS=3 FIO_REPS=1 FIO_SIZE=256M)
#
# Everything runs against a private installation under --dir: its own jvz.conf (JVZ_CONF: VE_ROOT,
# VE_PRIVATE, TEMPLATE, CONF_DIR, RUNC_ROOT, LOCK_DIR, NETNS_PREFIX=jvzctb-, NODE_DIR, CGROUP_PARENT=
# jvz-ctbench), its own jvz node and runc root, so it touches no other jvz user. A trap on exit stops
# and destroys its containers, deletes the runc peers, unmounts, stops its node and removes its netns,
# cgroups and data (a leftover it cannot remove is reported and the script exits non-zero).
#
# Part 1, lifecycle. Each step is the wall clock of one command (bin/jvz for jvz, so a JVM start-up is
# inside every jvz number). Before every timed step: sync; echo 3 > /proc/sys/vm/drop_caches; sleep 1
# (cold caches, --warm skips this). Rows, jvz | peer (the peer is the floor of the same work without
# jvz: kernel loop device instead of ploop -> NBD -> nbdfuse -> loop, no JVM, no node, no netns):
#   jvm      bin/jvz --version: the JVM start-up every jvz row carries | -
#   create   jvz ctl create ID --ostemplate busybox --diskspace D (ploop image, mkfs.ext4, node mount,
#            template unpack, umount, CTID.conf) | qemu-img create -f parallels D + truncate -s D raw +
#            mkfs.ext4 (jvz's options) raw + mount -o loop + tar xzf the same busybox.tar.gz + umount
#   mount    jvz ctl mount ID (node: open image, NBD export, nbdfuse, loop, mount ext4) | mount -o loop raw
#   umount   jvz ctl umount ID | umount (auto-clears the loop device)
#   start    jvz ctl start ID (node mount, /etc files, netns + veth, OCI bundle, runc run) | runc run -d with
#            jvz's own config.json (same init /sbin/jvz-init, mounts, cgroup limits) on the template
#            unpacked in a host directory, in a fresh netns runc makes (no veth)
#   exec     jvz ctl exec ID true (runs /bin/sh -c true) | runc exec ID /bin/sh -c true
#   stop     jvz ctl stop ID (SIGTERM to init, wait, runc delete, netns down, umount via node) |
#            runc kill ID TERM, poll runc state every 10 ms until stopped, runc delete
#   destroy  jvz ctl destroy ID (removes disk, private area, root dir, CTID.conf) | rm -f image + raw
# Per row: median, min and max of --reps runs; jvz/peer of the medians; jvz-jvm = jvz median minus the
# jvm median (what is left when the JVM start-up is taken out). jvz and peer alternate which goes first.
#
# Part 2, file-system throughput: the same fio jobs (ioengine=libaio, iodepth=16, direct=1, one file of
# --fio-size, not time_based: each job ends after --fio-runtime s or one pass over the file, and random
# jobs use fio's random map, so no block is read twice and nothing is served from a cache) on
#   host       a directory on the host's disk (DIR/hostfio, the same file system the ploop image lives on)
#   container  /fio inside a running jvz container (its ext4 on ploop -> NBD -> nbdfuse -> loop), fio and
#              its ldd libraries copied to /opt/fio and run by jvz ctl exec through the copied ld.so
# Jobs: seqwrite 1M (a fresh file: includes ext4 and ploop allocation), seqread 1M, randread 4k,
# randwrite 4k (overwrites the file). Write jobs use end_fsync=1, which fio counts in the job's runtime:
# inside the container the loop device writes through the page cache of the nbdfuse file, so only the
# final fsync makes the data reach the ploop image; with it both sides report "on disk" rates.
# Numbers are fio's own (MiB/s and IOPS over the job's runtime; jvz exec start-up is not in them).
# Before every fio run: sync; drop caches; sleep 1. The side that goes first alternates per repetition.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$here/scripts/env.sh"

reps="${REPS:-5}" fio_reps="${FIO_REPS:-2}" fio_size="${FIO_SIZE:-1G}" fio_runtime="${FIO_RUNTIME:-10}"
diskspace="${DISKSPACE:-1G}" dir="${DIR:-/var/tmp/jvz-ctbench}" warm=0 do_life=1 do_fio=1
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --fio-reps) fio_reps="$2"; shift 2 ;;
    --fio-size) fio_size="$2"; shift 2 ;;
    --fio-runtime) fio_runtime="$2"; shift 2 ;;
    --diskspace) diskspace="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --warm) warm=1; shift ;;
    --skip-lifecycle) do_life=0; shift ;;
    --skip-fio) do_fio=0; shift ;;
    -h|--help) sed -n '2,46p' "$0"; exit 0 ;;
    *) echo "ct-bench: unknown option $1" >&2; exit 2 ;;
  esac
done

die() { echo "ct-bench: $*" >&2; exit 1; }
for t in qemu-img runc fio mkfs.ext4 jq ip losetup; do
  command -v "$t" >/dev/null || die "$t missing; run scripts/install-deps.sh"
done
[ "$(id -u)" -eq 0 ] || die "must run as root (containers, mounts, drop_caches)"
[ -x /bin/busybox ] || die "/bin/busybox missing (package busybox-static); the busybox template needs it"
bytes() { numfmt --from=iec "$1"; }
fio_bytes=$(bytes "$fio_size")
# The fio container holds the fio file, fio's libraries (~80 MiB) and the template: file + 1 GiB.
fio_disk="$(( fio_bytes / 1048576 + 1024 ))M"
if [ ! -f "$here/cli/target/jvz-cli.jar" ]; then
  (cd "$here" && mvn -q -o -DskipTests package)
fi
J="$here/bin/jvz"

[ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ] && die "$dir is not empty (a leftover of a killed run?); \
check that nothing of it is mounted ('mount | grep $dir') and remove it"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
cd "$dir"
prefix="jvzctb-" cgparent="jvz-ctbench" peerparent="jvz-ctbench-peer"
cat > jvz.conf <<EOF
VE_ROOT="$dir/root/\$VEID"
VE_PRIVATE="$dir/private/\$VEID"
TEMPLATE="$dir/template"
CONF_DIR="$dir/conf"
RUNC_ROOT="$dir/runc"
LOCK_DIR="$dir/lock"
NETNS_PREFIX="$prefix"
NODE_DIR="$dir/node"
CGROUP_PARENT="$cgparent"
EOF
export JVZ_CONF="$dir/jvz.conf" JVZ_NODE_DIR="$dir/node" JVZ_TEMPLATE_DIR="$dir/template"
peer_root="$dir/peer-runc"
mkdir -p conf logs peer "$peer_root"

# ---------------------------------------------------------------- cleanup
cleanup() {
  local rc=$? left=""
  set +e
  cd /
  if [ -d "$dir/conf" ]; then
    for f in "$dir"/conf/*.conf; do
      [ -e "$f" ] || continue
      local id; id=$(basename "$f" .conf)
      "$J" ctl stop "$id" --fast -q >/dev/null 2>&1
      "$J" ctl umount "$id" -q >/dev/null 2>&1
      "$J" ctl destroy "$id" -q >>"$dir/logs/cleanup.log" 2>&1 || left="$left container:$id"
    done
  fi
  for id in $(runc --root "$peer_root" list -q 2>/dev/null); do
    runc --root "$peer_root" kill "$id" KILL >/dev/null 2>&1
    sleep 0.2
    runc --root "$peer_root" delete -f "$id" >/dev/null 2>&1 || left="$left runc:$id"
  done
  if mountpoint -q "$dir/peer/mnt" 2>/dev/null; then umount "$dir/peer/mnt" || left="$left mount:$dir/peer/mnt"; fi
  [ -d "$dir/node" ] && "$J" node stop --force -q >>"$dir/logs/cleanup.log" 2>&1
  for ns in $(ip netns list 2>/dev/null | awk -v p="$prefix" 'index($1, p) == 1 { print $1 }'); do
    ip netns delete "$ns" || left="$left netns:$ns"
  done
  for cg in /sys/fs/cgroup/*/"$cgparent" /sys/fs/cgroup/*/"$peerparent"; do
    [ -d "$cg" ] && { rmdir "$cg" 2>/dev/null || left="$left cgroup:$cg"; }
  done
  if grep -q " $dir/" /proc/mounts; then
    left="$left mounts:$(awk -v d="$dir/" 'index($2, d) == 1 { printf "%s,", $2 }' /proc/mounts)"
  fi
  if losetup -l -n -O BACK-FILE | grep -q "^$dir/"; then left="$left loop-devices"; fi
  if [ -n "$left" ]; then
    echo "ct-bench: LEFT BEHIND:$left (see $dir/logs/cleanup.log)" >&2
    exit 1
  fi
  rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

drop() { sync; echo 3 > /proc/sys/vm/drop_caches; sleep 1; }
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
# run LOG CMD...: runs CMD with its output in logs/LOG; on failure shows it and exits (no bogus numbers).
run() {
  local log="logs/$1"; shift
  "$@" < /dev/null > "$log" 2>&1 || { echo "ct-bench: failed ($?): $*"; tail -20 "$log"; exit 1; } >&2
}
declare -A t
# timed ROW TOOL CMD...: [drop caches], wall clock of CMD, appended to t[ROW,TOOL].
timed() {
  local row="$1" tool="$2"; shift 2
  [ "$warm" = 1 ] || drop
  local t0 t1 s
  t0=$(now)
  run "$row-$tool.log" "$@"
  t1=$(now)
  s=$(secs "$t0" "$t1")
  t[$row,$tool]="${t[$row,$tool]:-} $s"
  printf '  %-8s %-4s %7.3f s\n' "$row" "$tool" "$s"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
minof() { tr ' ' '\n' | grep -v '^$' | sort -g | head -1; }
maxof() { tr ' ' '\n' | grep -v '^$' | sort -g | tail -1; }

echo "# $(nproc) CPUs, $(free -g | awk '/Mem:/ { print $2 }') GiB RAM, kernel $(uname -r), $(df -h --output=source,fstype . | tail -1)"
echo "# $(runc --version | head -1), $(fio --version), $("$J" --version | head -1)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
start_s=$(date +%s)

run node-start.log "$J" node start
run template.log "$J" template create busybox --template-dir "$dir/template"
tarball="$dir/template/cache/busybox.tar.gz"
[ -f "$tarball" ] || die "no template cache at $tarball"
grep -q "attach: nbdfuse" <("$J" node status) && attach="nbdfuse + loop" || attach="nbd-client"
echo "# node attaches disks via: $attach"

# The peer's runc config: jvz's own config.json of a started container, with the root moved to a host
# directory, a fresh network namespace (no path) and a cgroup under another parent.
peer_bundle() { # SRC_CONFIG
  mkdir -p peer/bundle peer/rootfs
  tar xzf "$tarball" -C peer/rootfs
  jq --arg root "$dir/peer/rootfs" --arg cg "/$peerparent/p" '
    .root.path = $root | .hostname = "peer" | .linux.cgroupsPath = $cg
    | .linux.namespaces |= map(if .type == "network" then {type: "network"} else . end)' "$1" > peer/bundle/config.json
}

# ---------------------------------------------------------------- part 1
jvz_step() { # ROW ID
  case "$1" in
    jvm) timed jvm jvz "$J" --version ;;
    create) timed create jvz "$J" ctl create "$2" --ostemplate busybox --diskspace "$diskspace" -q ;;
    mount) timed mount jvz "$J" ctl mount "$2" -q ;;
    umount) timed umount jvz "$J" ctl umount "$2" -q ;;
    start) timed start jvz "$J" ctl start "$2" -q ;;
    exec) timed exec jvz "$J" ctl exec "$2" true ;;
    stop) timed stop jvz "$J" ctl stop "$2" -q ;;
    destroy) timed destroy jvz "$J" ctl destroy "$2" -q ;;
  esac
}
peer_stop() { # ID: SIGTERM to init, wait until runc sees it stopped, delete
  runc --root "$peer_root" kill "$1" TERM
  local i
  for i in $(seq 3000); do
    [ "$(runc --root "$peer_root" state "$1" | jq -r .status)" = stopped ] && break
    sleep 0.01
  done
  [ "$(runc --root "$peer_root" state "$1" | jq -r .status)" = stopped ] || { echo "peer $1 did not stop" >&2; return 1; }
  runc --root "$peer_root" delete "$1"
}
peer_create() {
  qemu-img create -q -f parallels peer/p.hdd "$diskspace"
  truncate -s "$diskspace" peer/p.raw
  mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 peer/p.raw
  mkdir -p peer/mnt
  mount -o loop peer/p.raw peer/mnt
  tar xzf "$tarball" -C peer/mnt
  umount peer/mnt
}
export -f peer_create peer_stop
export dir tarball diskspace peer_root
peer_step() { # ROW ID
  case "$1" in
    jvm) ;;
    create) timed create peer bash -c peer_create ;;
    mount) timed mount peer mount -o loop peer/p.raw peer/mnt ;;
    umount) timed umount peer umount peer/mnt ;;
    start) timed start peer runc --root "$peer_root" run -d -b peer/bundle "$2" ;;
    exec) timed exec peer runc --root "$peer_root" exec "$2" /bin/sh -c true ;;
    stop) timed stop peer bash -c "peer_stop $2" ;;
    destroy) timed destroy peer rm -f peer/p.hdd peer/p.raw ;;
  esac
}

rows=(jvm create mount umount start exec stop destroy)
if [ "$do_life" = 1 ]; then
  # The peer bundle needs a jvz config.json: one untimed start of a scratch container.
  run prep-create.log "$J" ctl create 9000 --ostemplate busybox --diskspace "$diskspace" -q
  run prep-start.log "$J" ctl start 9000 -q
  cp "$dir/private/9000/bundle/config.json" jvz-config.json
  run prep-stop.log "$J" ctl stop 9000 -q
  run prep-destroy.log "$J" ctl destroy 9000 -q
  peer_bundle jvz-config.json

  echo "# part 1: lifecycle, $reps repetitions, $([ "$warm" = 1 ] && echo "warm caches" || echo "caches dropped before every step"), disk $diskspace"
  for rep in $(seq 1 "$reps"); do
    echo "# repetition $rep"
    id=$((9100 + rep))
    if [ $((rep % 2)) -eq 1 ]; then order=(jvz peer); else order=(peer jvz); fi
    for side in "${order[@]}"; do
      for row in "${rows[@]}"; do
        if [ "$side" = jvz ]; then jvz_step "$row" "$id"; else peer_step "$row" "p$id"; fi
      done
    done
    # The step must have done its work: the containers are gone, the peer's files too.
    [ ! -e "conf/$id.conf" ] && [ ! -e "private/$id" ] || die "container $id still exists after destroy"
    [ -z "$(runc --root "$peer_root" list -q)" ] || die "a peer container is left after its stop"
  done

  echo
  echo "| step | jvz median s | jvz min-max | peer median s | peer min-max | jvz/peer | jvz-jvm s | jvz runs | peer runs |"
  echo "|---|---:|---|---:|---|---:|---:|---|---|"
  jvm_med=$(echo "${t[jvm,jvz]}" | median)
  for row in "${rows[@]}"; do
    jm=$(printf '%.3f' "$(echo "${t[$row,jvz]}" | median)")
    jr="$(echo "${t[$row,jvz]}" | minof)-$(echo "${t[$row,jvz]}" | maxof)"
    if [ -n "${t[$row,peer]:-}" ]; then
      pm=$(printf '%.3f' "$(echo "${t[$row,peer]}" | median)")
      pr="$(echo "${t[$row,peer]}" | minof)-$(echo "${t[$row,peer]}" | maxof)"
      ratio=$(awk -v a="$jm" -v b="$pm" 'BEGIN { printf "%.1f", a / b }')
      less=$(awk -v a="$jm" -v b="$jvm_med" 'BEGIN { printf "%.3f", a - b }')
    else
      pm="-" pr="-" ratio="-" less="-"
    fi
    echo "| $row | $jm | $jr | $pm | $pr | $ratio | $less |${t[$row,jvz]} |${t[$row,peer]:- -} |"
  done
  echo
fi

# ---------------------------------------------------------------- part 2
declare -A bw iops
# fio_job SIDE JOB: one fio run (caches dropped first), fio's terse v3 output parsed.
fio_args() { # JOB FILE OUTFILE
  local common=(--filename="$2" --size="$fio_size" --ioengine=libaio --iodepth=16 --direct=1
    --output-format=terse --terse-version=3 --output="$3")
  case "$1" in
    seqwrite) echo --name=seqwrite --rw=write --bs=1M --end_fsync=1 "${common[@]}" ;;
    seqread) echo --name=seqread --rw=read --bs=1M --runtime="$fio_runtime" "${common[@]}" ;;
    randread) echo --name=randread --rw=randread --bs=4k --runtime="$fio_runtime" "${common[@]}" ;;
    randwrite) echo --name=randwrite --rw=randwrite --bs=4k --runtime="$fio_runtime" --end_fsync=1 "${common[@]}" ;;
  esac
}
fio_job() { # SIDE JOB
  local side="$1" job="$2" out
  drop
  if [ "$side" = host ]; then
    [ "$job" = seqwrite ] && rm -f hostfio/f
    out="$dir/hostfio/out"
    rm -f "$out"
    # shellcheck disable=SC2046
    run "fio-$job-host.log" fio $(fio_args "$job" "$dir/hostfio/f" "$out")
  else
    [ "$job" = seqwrite ] && rm -f "$ctroot/fio/f"
    out="$ctroot/fio/out"
    rm -f "$out"
    run "fio-$job-ct.log" "$J" ctl exec "$ctid" /opt/fio/ld-linux-x86-64.so.2 --library-path /opt/fio/lib \
      /opt/fio/fio $(fio_args "$job" /fio/f /fio/out)
  fi
  local line; line=$(grep '^3;' "$out") || die "fio $job on $side wrote no result: $(cat "$out")"
  # terse v3: 5 error, 7/8 read KiB/s / IOPS, 48/49 write KiB/s / IOPS
  local err b i; err=$(echo "$line" | cut -d';' -f5)
  [ "$err" = 0 ] || die "fio $job on $side reported error $err"
  case "$job" in
    *read) b=$(echo "$line" | cut -d';' -f7); i=$(echo "$line" | cut -d';' -f8) ;;
    *write) b=$(echo "$line" | cut -d';' -f48); i=$(echo "$line" | cut -d';' -f49) ;;
  esac
  [ "${b:-0}" -gt 0 ] || die "fio $job on $side moved no data: $line"
  b=$(awk -v k="$b" 'BEGIN { printf "%.1f", k / 1024 }')
  i=$(awk -v n="$i" 'BEGIN { printf "%.0f", n }')
  bw[$job,$side]="${bw[$job,$side]:-} $b"
  iops[$job,$side]="${iops[$job,$side]:-} $i"
  printf '  %-9s %-9s %9s MiB/s %8s IOPS\n' "$job" "$side" "$b" "$i"
}

jobs=(seqwrite seqread randread randwrite)
if [ "$do_fio" = 1 ]; then
  ctid=9200
  run fio-create.log "$J" ctl create "$ctid" --ostemplate busybox --diskspace "$fio_disk" -q
  run fio-start.log "$J" ctl start "$ctid" -q
  ctroot="$dir/root/$ctid"
  mountpoint -q "$ctroot" || die "$ctroot is not mounted after start"
  mkdir -p "$ctroot/opt/fio/lib" "$ctroot/fio" hostfio
  cp -L "$(command -v fio)" "$ctroot/opt/fio/fio"
  for lib in $(ldd "$(command -v fio)" | awk '/=>/ { print $3 }'); do cp -L "$lib" "$ctroot/opt/fio/lib/"; done
  ld=$(ldd "$(command -v fio)" | awk '/ld-linux/ { print $1 }')
  cp -L "$ld" "$ctroot/opt/fio/ld-linux-x86-64.so.2"
  sync
  # fio runs inside, on the container's own root: check it is the ploop-backed ext4 and O_DIRECT works.
  run fio-probe.log "$J" ctl exec "$ctid" 'grep " / " /proc/mounts; /opt/fio/ld-linux-x86-64.so.2 --library-path /opt/fio/lib /opt/fio/fio --version'
  grep -q '^/dev/loop[0-9]* / ext4' logs/fio-probe.log || die "the container's / is not a loop-backed ext4: $(cat logs/fio-probe.log)"
  echo "# part 2: fio, $fio_reps repetitions, file $fio_size, runtime cap $fio_runtime s; host $(df --output=source,fstype "$dir" | tail -1 | tr -s ' '), container: $(head -1 logs/fio-probe.log | cut -d' ' -f1-3) (ploop, $attach)"
  for rep in $(seq 1 "$fio_reps"); do
    echo "# repetition $rep"
    if [ $((rep % 2)) -eq 1 ]; then order=(host ct); else order=(ct host); fi
    for job in "${jobs[@]}"; do
      for side in "${order[@]}"; do fio_job "$side" "$job"; done
    done
  done
  run fio-stop.log "$J" ctl stop "$ctid" -q
  run fio-destroy.log "$J" ctl destroy "$ctid" -q

  echo
  echo "| job | host MiB/s | container MiB/s | container/host | host IOPS | container IOPS | host MiB/s runs | container MiB/s runs |"
  echo "|---|---:|---:|---:|---:|---:|---|---|"
  for job in "${jobs[@]}"; do
    hb=$(printf '%.1f' "$(echo "${bw[$job,host]}" | median)"); cb=$(printf '%.1f' "$(echo "${bw[$job,ct]}" | median)")
    hi=$(printf '%.0f' "$(echo "${iops[$job,host]}" | median)"); ci=$(printf '%.0f' "$(echo "${iops[$job,ct]}" | median)")
    r=$(awk -v a="$cb" -v b="$hb" 'BEGIN { printf "%.2f", a / b }')
    echo "| $job | $hb | $cb | $r | $hi | $ci |${bw[$job,host]} |${bw[$job,ct]} |"
  done
  echo
fi

echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# total $(( $(date +%s) - start_s )) s"
