#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Redraws docs/architecture.svg from docs/architecture.dot (Graphviz),
# installing graphviz with apt-get if `dot` is missing.
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ARENAKV_ROOT" || exit 1

if ! command -v dot >/dev/null 2>&1; then
  ARENAKV_DEPS=(graphviz)
  install_deps
fi
dot -Tsvg docs/architecture.dot -o docs/architecture.svg
log "wrote docs/architecture.svg"
