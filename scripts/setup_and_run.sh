#!/usr/bin/env bash
# Installs the build dependencies, builds arenakv (Release, without tests) and
# runs the main job: tools/alloc_demo, which prints the allocator comparison table.
# Arguments are passed on to alloc_demo. Works from any directory.
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ARENAKV_ROOT" || exit 1

BUILD_DIR=build/release

stage deps install_deps
stage build configure_and_build "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=Release -DARENAKV_BUILD_TESTS=OFF -DARENAKV_BUILD_BENCH=ON
stage alloc_demo "$BUILD_DIR/tools/alloc_demo" "$@"
stage_summary
