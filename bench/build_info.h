// SPDX-License-Identifier: Apache-2.0
// Which build a benchmark result came from, for the JSON context of every
// benchmark binary: NDEBUG or not, and the commit bench/CMakeLists.txt saw.
#ifndef ARENAKV_BENCH_BUILD_INFO_H_
#define ARENAKV_BENCH_BUILD_INFO_H_

#ifndef ARENAKV_BENCH_SOURCE_COMMIT
#define ARENAKV_BENCH_SOURCE_COMMIT "unknown"  // bench/CMakeLists.txt sets it
#endif

namespace arenakv::bench {

#ifdef NDEBUG
inline constexpr char kBuild[] = "NDEBUG, commit " ARENAKV_BENCH_SOURCE_COMMIT;
#else
inline constexpr char kBuild[] = "debug (NDEBUG unset), commit " ARENAKV_BENCH_SOURCE_COMMIT;
#endif

}  // namespace arenakv::bench

#endif  // ARENAKV_BENCH_BUILD_INFO_H_
