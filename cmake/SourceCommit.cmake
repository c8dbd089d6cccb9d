# SPDX-License-Identifier: Apache-2.0
# arenakv_source_commit(OUT_VAR DIR...): the commit the sources came from, for
# benchmark results: `git rev-parse --short HEAD` at configure time, "-dirty"
# if any DIR had uncommitted changes then (reconfigure to refresh), "none"
# outside a git checkout.
function(arenakv_source_commit out_var)
  execute_process(COMMAND git rev-parse --short HEAD
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE commit
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND git status --porcelain -- ${ARGN}
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE dirty ERROR_QUIET)
  if(commit STREQUAL "")
    set(commit "none")
  endif()
  if(NOT dirty STREQUAL "")
    string(APPEND commit "-dirty")
  endif()
  set(${out_var} "${commit}" PARENT_SCOPE)
endfunction()
