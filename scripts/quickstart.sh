#!/usr/bin/env bash
# The README's first command: installs what jvz needs, builds it, and runs the main job end to end
# on this machine. Part 1, a container: a busybox OS template, a container created from it (ploop disk
# with ext4, mounted through the jvz node), started by runc in its own namespaces with an address in
# its own network namespace, a command run in it, `jvz list`, a live disk snapshot, stop and destroy.
# Part 2, the disk path underneath: a ploop disk mounted through the node (NBD export ->
# nbdfuse/nbd-client -> loop device -> ext4), written, snapshotted while mounted, live-copied to a
# second directory while a writer runs, unmounted, checked by jvz and by qemu-img, and exported.
# Everything lives under $JVZ_DEMO_DIR (default /var/tmp/jvz-demo) with its own jvz.conf. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
. scripts/env.sh
echo "== building jvz"
mvn -B -q -ntp -DskipTests package
JVZ="$PWD/bin/jvz"

WORK="${JVZ_DEMO_DIR:-/var/tmp/jvz-demo}"
export JVZ_NODE_DIR="$WORK/node"
DISK="$WORK/private/101/root.hdd"
MNT="$WORK/root/101"

# The demo's own host configuration (see 'jvz ctl --help'): data roots under $WORK, its own runc root,
# lock dir and network-namespace prefix, so it never meets containers of a real installation.
export JVZ_CONF="$WORK/jvz.conf" JVZ_TEMPLATE_DIR="$WORK/template"
write_conf() {
  cat > "$JVZ_CONF" <<EOF
VE_ROOT="$WORK/root/\$VEID"
VE_PRIVATE="$WORK/private/\$VEID"
TEMPLATE="$WORK/template"
CONF_DIR="$WORK/conf"
NODE_DIR="$WORK/node"
RUNC_ROOT="/run/jvz-demo/runc"
LOCK_DIR="/run/jvz-demo/lock"
NETNS_PREFIX="jvzdemo-"
EOF
}

cleanup() {
  if [ -f "$JVZ_CONF" ]; then
    for ct in 200 201; do
      "$JVZ" ctl stop --fast "$ct" >/dev/null 2>&1 || true
      "$JVZ" ctl destroy "$ct" >/dev/null 2>&1 || true
    done
  fi
  "$JVZ" ploop umount -q -m "$MNT" 2>/dev/null || true
  "$JVZ" node stop -q --force 2>/dev/null || true
}
trap cleanup EXIT
cleanup
rm -rf "$WORK"
mkdir -p "$DISK" "$MNT"
write_conf

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

echo; echo "######## Part 1: containers"
step "make the busybox OS template (a tarball cache from busybox-static)" \
  "$JVZ" template create busybox
step "create container 200: ploop disk, ext4, template unpacked, config written" \
  "$JVZ" ctl create 200 --ostemplate busybox --diskspace 1G --hostname ct200.demo --ipadd 10.199.0.200
step "create container 201" \
  "$JVZ" ctl create 201 --ostemplate busybox --diskspace 1G --hostname ct201.demo --ipadd 10.199.0.201
step "start both (runc; own namespaces, cgroups, network namespace with a routed /32)" \
  "$JVZ" ctl start 200
"$JVZ" ctl start 201
# As with vzctl exec, the words after CTID are one shell command line run by /bin/sh -c inside.
step "run a command in 200" "$JVZ" ctl exec 200 'echo "hello from $(hostname), pid 1 is $(cat /proc/1/comm)"'
step "200 reaches 201 by IP" "$JVZ" ctl exec 200 ping -c 1 -W 2 10.199.0.201
step "write a file inside 200" "$JVZ" ctl exec 200 'echo kept > /root/note.txt'
step "list containers (like vzlist)" "$JVZ" list -a
step "take a disk snapshot of the running container (file system frozen around it)" \
  "$JVZ" ctl snapshot 200
step "stop and start 200; the file is still there" "$JVZ" ctl restart 200
"$JVZ" ctl exec 200 cat /root/note.txt
step "stop both" "$JVZ" ctl stop 200
"$JVZ" ctl stop 201
step "list as JSON" "$JVZ" list -a -j
step "destroy 201 (disk, config, everything)" "$JVZ" ctl destroy 201

echo; echo "######## Part 2: the disk path underneath"
step "create a 1 GiB ploop disk with ext4 (DiskDescriptor.xml beside it)" \
  "$JVZ" ploop init -s 1G -t ext4 "$DISK/root.hdd"
step "mount it (starts the jvz node, which serves the disk over NBD)" \
  "$JVZ" ploop mount -m "$MNT" "$DISK/DiskDescriptor.xml"
step "write files into it" cp -a /etc/os-release /etc/hostname "$MNT/"
dd if=/dev/urandom of="$MNT/random.bin" bs=1M count=16 status=none
sha256sum "$MNT/random.bin" | awk '{print $1}' > "$WORK/random.sha256"
step "take a snapshot while mounted (the file system is frozen around it)" \
  "$JVZ" ploop snapshot "$DISK/DiskDescriptor.xml"
step "write after the snapshot" sh -c "echo 'written after the snapshot' > '$MNT/after.txt'"

# Live copy of the mounted disk to a second "host" (another directory) while a writer keeps
# appending and fsyncing records; -F stops the writer for the frozen final pass.
mkdir -p "$WORK/node2"
sh -c 'i=0; while :; do i=$((i+1)); echo "record $i" >> "$1/records.txt"; sync "$1/records.txt"; echo $i > "$2"; done' \
  writer "$MNT" "$WORK/last-synced" &
WRITER=$!
sleep 1
step "live-copy the mounted disk's top delta while it is written (-t: per-pass timings)" \
  "$JVZ" ploop copy -s "$DISK/DiskDescriptor.xml" -F "kill -STOP $WRITER" --max-downtime 50ms -t \
  -d "$WORK/node2/root.hdd"
kill -KILL "$WRITER" 2>/dev/null || true
wait "$WRITER" 2>/dev/null || true
step "the copy is a clean ploop image" qemu-img check -f parallels "$WORK/node2/root.hdd"
step "list mounted disks" "$JVZ" ploop list
step "list snapshots" "$JVZ" ploop snapshot-list "$DISK/DiskDescriptor.xml"
step "unmount" "$JVZ" ploop umount -m "$MNT"
step "check every delta with jvz" "$JVZ" ploop check -f "$DISK/DiskDescriptor.xml"
for d in "$DISK"/root.hdd*; do
  step "check $(basename "$d") with qemu-img" qemu-img check -f parallels "$d"
done
step "disk info" "$JVZ" ploop info "$DISK/DiskDescriptor.xml"
step "mount again and verify the data" "$JVZ" ploop mount -r -m "$MNT" "$DISK/DiskDescriptor.xml"
test "$(sha256sum "$MNT/random.bin" | awk '{print $1}')" = "$(cat "$WORK/random.sha256")"
test "$(cat "$MNT/after.txt")" = "written after the snapshot"
echo "random.bin and after.txt are intact"
step "unmount" "$JVZ" ploop umount -m "$MNT"
step "export the whole disk to a raw file (sparse)" "$JVZ" ploop export "$DISK/DiskDescriptor.xml" "$WORK/disk.raw"
step "the raw export holds the same ext4: mount it read-only and read the file back" \
  mount -o ro,loop,noload "$WORK/disk.raw" "$MNT"
test "$(cat "$MNT/after.txt")" = "written after the snapshot" && echo "after.txt read from the raw export"
umount "$MNT"
step "stop the node" "$JVZ" node stop
trap - EXIT
printf '\nDone. Everything is in %s. Container 200 is kept (stopped); to use it:\n' "$WORK"
printf '  export JVZ_CONF=%s JVZ_TEMPLATE_DIR=%s\n  %s ctl start 200 && %s ctl enter 200\n' \
  "$JVZ_CONF" "$JVZ_TEMPLATE_DIR" "$JVZ" "$JVZ"
