#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs scripts/plot_results.py on tiny kvbench --json reports: one report
# (grouped bars), a --threads 1/2 pair (a thread sweep) and a
# --report-interval report (a time series); checks that each
# PNG is written. Exits 77 (ctest SKIP_RETURN_CODE) when matplotlib cannot be
# imported, so the suite never depends on it being installed.
#
# usage: plot_results_test.sh KVBENCH PYTHON PLOT_RESULTS.py WORKDIR
set -euo pipefail
kvbench="$1" python="$2" plot="$3" dir="$4"

# The configured python first, then Debian's, which python3-matplotlib serves.
for py in "$python" /usr/bin/python3 ""; do
  [[ -n "$py" ]] || {
    echo "plot_results_test: matplotlib not importable, skipped"
    exit 77
  }
  if "$py" -c 'import matplotlib' >/dev/null 2>&1; then
    python="$py"
    break
  fi
done
mkdir -p "$dir"
rm -f "$dir"/plot_*.json "$dir"/plot_*.png
for t in 1 2; do
  "$kvbench" --engines arenakv --num 500 --reads 200 --threads "$t" \
    --benchmarks fillrandom,readrandom --json "$dir/plot_t$t.json" >/dev/null 2>&1
done

is_png() { [[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]]; }

out="$("$python" "$plot" "$dir/plot_t1.json" -o "$dir/plot_bars.png")"
[[ "$out" == *"(bars, 1 report)"* ]]
is_png "$dir/plot_bars.png"
# Given out of order; the options differ only in threads.
out="$("$python" "$plot" "$dir/plot_t2.json" "$dir/plot_t1.json" -o "$dir/plot_sweep.png")"
[[ "$out" == *"(thread sweep, 2 reports)"* ]]
is_png "$dir/plot_sweep.png"
# A time series from --report-interval.
"$kvbench" --engines arenakv --num 3000 --benchmarks fillrandom --report-interval 0.001 \
  --json "$dir/plot_series.json" >/dev/null 2>&1
out="$("$python" "$plot" --time-series "$dir/plot_series.json" -o "$dir/plot_series.png")"
[[ "$out" == *"(time series, 1 report)"* ]]
is_png "$dir/plot_series.png"
# A report without intervals has no time series: a message and exit 2.
rc=0
"$python" "$plot" --time-series "$dir/plot_t1.json" -o "$dir/plot_none.png" 2>/dev/null || rc=$?
[[ $rc == 2 ]]
# Not a kvbench report: a message and exit 2, no traceback.
echo '{"tool": "other"}' >"$dir/plot_bad.json"
rc=0
"$python" "$plot" "$dir/plot_bad.json" -o "$dir/plot_bad.png" 2>/dev/null || rc=$?
[[ $rc == 2 ]]
echo "plot_results_test: ok"
