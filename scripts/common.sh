# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Shared helpers for scripts/*.sh; source it, do not run it.
#
#   install_deps      installs the missing Debian packages arenakv builds with
#   stage NAME CMD... runs CMD as a timed stage ("== stage NAME: 42 s")
#   stage_summary     prints every stage's time and the total
#
# Environment:
#   JOBS                parallel build/test jobs (default: nproc)
#   ARENAKV_KEEP_GOING  1 = run the remaining stages after a failure, fail at the end

set -euo pipefail

ARENAKV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc)}"
export ARENAKV_ROOT JOBS

ARENAKV_DEPS=(
  build-essential cmake ninja-build git python3 pkg-config clang clang-format clang-tidy
  libclang-rt-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libxxhash-dev
  libcli11-dev librocksdb-dev libmimalloc-dev libjemalloc-dev liblz4-dev libzstd-dev
  python3-matplotlib  # kvbench_plot_results and scripts/plot.sh
)

log() { printf '%s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# For the by-hand benchmark scripts: sets `kvbench` to $KVBENCH or build/dev's
# (a Release build with RocksDB), or exits 2 with a message naming script $1.
find_kvbench() {
  kvbench="${KVBENCH:-build/dev/tools/kvbench}"
  [[ -x "$kvbench" ]] || {
    log "$1: no kvbench at $kvbench (build Release with RocksDB first)"
    exit 2
  }
}

# Prints the packages of ARENAKV_DEPS that are not installed, one per line.
missing_deps() {
  local pkg status
  for pkg in "${ARENAKV_DEPS[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

install_deps() {
  command -v dpkg-query >/dev/null 2>&1 ||
    die "install_deps supports Debian/Ubuntu only; install by hand: ${ARENAKV_DEPS[*]}"
  local -a missing
  mapfile -t missing < <(missing_deps)
  if ((${#missing[@]} == 0)); then
    log "deps: all ${#ARENAKV_DEPS[@]} packages are installed"
    return 0
  fi
  log "deps: missing ${missing[*]}"
  local -a as_root=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 ||
      die "not root and no sudo; as root run: apt-get install -y ${missing[*]}"
    as_root=(sudo)
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
  mapfile -t missing < <(missing_deps)
  ((${#missing[@]} == 0)) || die "still missing after apt-get install: ${missing[*]}"
}

_STAGE_NAMES=()
_STAGE_SECS=()
_STAGE_RESULTS=()
_STAGES_START=$SECONDS
_STAGES_FAILED=0

# stage NAME CMD [ARG...]: runs CMD in a subshell with errexit on (so a shell
# function as CMD stops at its first failing command) and records its time.
stage() {
  local name="$1"
  shift
  log ""
  log "== stage $name: start"
  local start=$SECONDS rc=0
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  set -e
  local secs=$((SECONDS - start))
  _STAGE_NAMES+=("$name")
  _STAGE_SECS+=("$secs")
  if ((rc == 0)); then
    _STAGE_RESULTS+=("ok")
    log "== stage $name: $secs s"
    return 0
  fi
  _STAGE_RESULTS+=("FAILED (exit $rc)")
  _STAGES_FAILED=$((_STAGES_FAILED + 1))
  log "== stage $name: FAILED (exit $rc) after $secs s"
  if [[ "${ARENAKV_KEEP_GOING:-0}" != 1 ]]; then
    stage_summary
    exit "$rc"
  fi
}

# Prints the time of every stage run so far and the total; returns 1 if a stage failed.
stage_summary() {
  local i
  log ""
  log "== stage times"
  for i in "${!_STAGE_NAMES[@]}"; do
    log "$(printf '   %-20s %6d s  %s' "${_STAGE_NAMES[$i]}" "${_STAGE_SECS[$i]}" "${_STAGE_RESULTS[$i]}")"
  done
  log "$(printf '   %-20s %6d s  (%d failed)' total $((SECONDS - _STAGES_START)) "$_STAGES_FAILED")"
  ((_STAGES_FAILED == 0))
}

# configure_and_build DIR [CMAKE_ARG...]: Ninja configure of the repo into DIR, then build.
configure_and_build() {
  local dir="$1"
  shift
  cmake -S "$ARENAKV_ROOT" -B "$dir" -G Ninja "$@"
  cmake --build "$dir" -j "$JOBS"
}
