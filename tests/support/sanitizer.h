// SPDX-License-Identifier: Apache-2.0
// ARENAKV_TEST_SANITIZED: defined when the test is built with ASan or TSan (GCC
// spells it __SANITIZE_*__, clang __has_feature). Suites divide their workload
// sizes by a scale when it is set: sanitizers slow every memory access.
#ifndef ARENAKV_TESTS_SUPPORT_SANITIZER_H_
#define ARENAKV_TESTS_SUPPORT_SANITIZER_H_

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ARENAKV_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ARENAKV_TEST_SANITIZED 1
#endif
#endif

#endif  // ARENAKV_TESTS_SUPPORT_SANITIZER_H_
