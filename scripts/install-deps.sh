#!/usr/bin/env bash
# Installs the system packages jvz uses and checks for Java 25 and Maven. Idempotent: a second run
# installs nothing and takes a second. Needs root (apt-get).
set -euo pipefail

# Package -> a command it provides, to skip apt-get when everything is already there.
declare -A PKGS=(
  [qemu-utils]=qemu-img        # interop oracle (qemu-img/qemu-io -f parallels) and benchmark peer
  [libnbd-bin]=nbdinfo         # NBD clients for tests and benchmarks: nbdinfo, nbdcopy, nbdfuse
  [fuse3]=fusermount3          # nbdfuse mounts an export as a file
  [nbd-client]=nbd-client      # attaches /dev/nbdN where the nbd kernel module exists
  [e2fsprogs]=mkfs.ext4        # file systems inside images
  [fio]=fio                    # workloads and benchmarks (nbd engine)
  [util-linux]=losetup         # loop devices over nbdfuse files
  [maven]=mvn                  # the build
  [runc]=runc                  # runs containers (OCI bundles) for jvz ctl
  [busybox-static]=busybox     # the minimal busybox OS template (jvz template create busybox)
  [debootstrap]=debootstrap    # the Debian OS template (jvz template create debian)
  [iproute2]=ip                # network namespaces and veth pairs for containers
  [jq]=jq                      # bench/ct-bench.sh reads runc's JSON state
)

missing=()
for p in "${!PKGS[@]}"; do
  command -v "${PKGS[$p]}" >/dev/null 2>&1 || [ -x "/usr/sbin/${PKGS[$p]}" ] || [ -x "/sbin/${PKGS[$p]}" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run this script as root (sudo $0)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

JAVA_HOME="${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if [ ! -x "$JAVA_HOME/bin/java" ]; then
  # Fall back to any installed JDK 25 (Debian's openjdk-25-jdk, if the machine has it).
  for j in /usr/lib/jvm/*25*; do [ -x "$j/bin/javac" ] && JAVA_HOME="$j" && break; done
fi
if [ ! -x "$JAVA_HOME/bin/javac" ]; then
  if [ "$(id -u)" -eq 0 ] && apt-cache show openjdk-25-jdk-headless >/dev/null 2>&1; then
    apt-get install -y -qq openjdk-25-jdk-headless >/dev/null
  else
    echo "install-deps: no Java 25 JDK found; install Temurin 25 or openjdk-25-jdk-headless" >&2
    exit 1
  fi
fi
echo "install-deps: all packages present"
