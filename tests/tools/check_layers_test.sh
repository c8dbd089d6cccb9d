#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/check_layers.py passes on the tree and fails, naming the file and the
# rule, on each kind of forbidden include planted in a scratch tree.
# Usage: check_layers_test.sh PYTHON SCRIPT SOURCE_ROOT SCRATCH_DIR
set -euo pipefail
python="$1" script="$2" root="$3" scratch="$4"

"$python" "$script" "$root"

expect_rejected() {  # FILE INCLUDE MESSAGE
  rm -rf "$scratch"
  mkdir -p "$scratch/$(dirname "$1")"
  printf '#include "%s"\n' "$2" >"$scratch/$1"
  if out="$("$python" "$script" "$scratch" 2>&1)"; then
    echo "FAIL: $1 including $2 was accepted" >&2
    exit 1
  fi
  grep -qF -- "$3" <<<"$out" || {
    echo "FAIL: $1 including $2: expected '$3' in: $out" >&2
    exit 1
  }
  echo "rejected as expected: $1 -> $2"
}

expect_rejected alloc/pool.cc mvcc/db/db_impl.h "alloc/ may not include mvcc/"
expect_rejected alloc/pool.cc arenakv/skiplist/skiplist.h "alloc/ may not include skiplist/"
expect_rejected skiplist/include/arenakv/skiplist/x.h arenakv/mvcc/db.h \
  "skiplist/ may not include mvcc/"
expect_rejected mvcc/table/block.cc tools/kvctl/main.h "mvcc/ may not include tools/"
expect_rejected mvcc/table/block.cc mvcc/version/version_set.h \
  "mvcc/table/ may not include mvcc/version/"
expect_rejected mvcc/include/arenakv/mvcc/db.h mvcc/util/coding.h \
  "a public header may include only public headers"
expect_rejected examples/x.cc mvcc/db/db_impl.h "examples use the public headers only"
rm -rf "$scratch"
