#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the build dependencies, builds arenakv (Release, without tests) and
# runs the main job: a short kvbench on a temporary embedded DB, arenakv and
# RocksDB side by side (fillrandom, readrandom, readseq, readwhilewriting on
# 1M keys). Arguments replace kvbench's default ones. Works from any directory.
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ARENAKV_ROOT" || exit 1

BUILD_DIR=build/release

stage deps install_deps
stage build configure_and_build "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=Release -DARENAKV_BUILD_TESTS=OFF -DARENAKV_BUILD_BENCH=ON

args=("$@")
if ((${#args[@]} == 0)); then
  engines=arenakv
  # RocksDB joins when kvbench was built with it (librocksdb-dev is installed above).
  if "$BUILD_DIR/tools/kvbench" --engines rocksdb --num 1 --benchmarks fillseq >/dev/null 2>&1; then
    engines=arenakv,rocksdb
  fi
  args=(--engines "$engines" --benchmarks fillrandom,readrandom,readseq,readwhilewriting
        --num 1000000 --reads 250000)
fi
stage kvbench "$BUILD_DIR/tools/kvbench" "${args[@]}"
stage_summary
