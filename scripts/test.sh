#!/usr/bin/env bash
# Runs the whole test suite: unit tests (surefire) and integration tests against real qemu-img,
# nbd clients, FUSE and loop devices (failsafe). Installs missing system packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
. scripts/env.sh
exec mvn -B -ntp verify "$@"
