# SPDX-License-Identifier: Apache-2.0
# ARENAKV_SANITIZE=address builds everything with ASan + UBSan, =thread with TSan.
# Sanitizer builds keep debug checks (ARENAKV_DCHECK) on and optimize lightly so
# the suites stay fast enough for CI.
if(ARENAKV_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -O1 -g -UNDEBUG)
  add_link_options(-fsanitize=address,undefined)
elseif(ARENAKV_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -O1 -g -UNDEBUG)
  add_link_options(-fsanitize=thread)
elseif(NOT ARENAKV_SANITIZE STREQUAL "")
  message(FATAL_ERROR "ARENAKV_SANITIZE must be empty, 'address' or 'thread'")
endif()
