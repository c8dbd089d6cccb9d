#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Plots kvbench --json reports: installs python3-matplotlib (Debian/Ubuntu,
# apt-get) when it is missing, then runs scripts/plot_results.py.
#
#   scripts/plot.sh [--time-series] FILE.json [FILE.json ...] -o OUT.png
#
# One report: ops/s per workload and engine as grouped bars. Several reports
# that differ only in --threads: ops/s against threads (a thread sweep).
# --time-series: the --report-interval series (throughput and worst latency
# per interval) of every result.
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# install_deps installs what ARENAKV_DEPS lists: here only the plot's needs.
ARENAKV_DEPS=(python3 python3-matplotlib)

# Prints the first interpreter that imports matplotlib: python3 on PATH, else
# Debian's own (python3-matplotlib serves only /usr/bin/python3, not a pyenv
# or venv python3 that may come first on PATH).
matplotlib_python() {
  local py
  for py in python3 /usr/bin/python3; do
    if "$py" -c 'import matplotlib' >/dev/null 2>&1; then
      printf '%s\n' "$py"
      return 0
    fi
  done
  return 1
}

if ! py="$(matplotlib_python)"; then
  stage deps install_deps
  py="$(matplotlib_python)" ||
    die "python3-matplotlib is installed, yet neither python3 nor /usr/bin/python3 imports matplotlib"
fi
exec "$py" "$ARENAKV_ROOT/scripts/plot_results.py" "$@"
