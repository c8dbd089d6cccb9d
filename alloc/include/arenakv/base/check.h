// SPDX-License-Identifier: Apache-2.0
// ARENAKV_DCHECK: invariants checked in debug and sanitizer builds, free in release.
// Lives in the lowest module so every layer above can use it.
#ifndef ARENAKV_BASE_CHECK_H_
#define ARENAKV_BASE_CHECK_H_

#include <cstdio>
#include <cstdlib>

#ifndef NDEBUG
#define ARENAKV_DEBUG_CHECKS 1
#define ARENAKV_DCHECK(cond)                                                                 \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: ARENAKV_DCHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)
#else
#define ARENAKV_DEBUG_CHECKS 0
#define ARENAKV_DCHECK(cond) \
  do {                       \
  } while (0)
#endif

#endif  // ARENAKV_BASE_CHECK_H_
