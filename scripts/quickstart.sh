#!/usr/bin/env bash
# The README's first command: installs what jvz needs, builds it, and runs the main job end to end
# on this machine. Today that is the disk path: a ploop disk with ext4, mounted through the jvz node
# (NBD export -> nbdfuse/nbd-client -> loop device -> ext4), written, snapshotted while mounted,
# live-copied to a second directory while a writer runs, unmounted, checked by jvz and by qemu-img,
# and exported. Needs root.
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

cleanup() {
  "$JVZ" ploop umount -q -m "$MNT" 2>/dev/null || true
  "$JVZ" node stop -q --force 2>/dev/null || true
}
trap cleanup EXIT
cleanup
rm -rf "$WORK"
mkdir -p "$DISK" "$MNT"

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

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
printf '\nDone. Everything is in %s\n' "$WORK"
