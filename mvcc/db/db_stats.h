// SPDX-License-Identifier: Apache-2.0
// DBStats: the counters behind the "arenakv.stats" property: per output
// level what compactions read and wrote, flush totals, and write stalls.
// A plain value; DBImpl keeps one under its mutex.
#ifndef ARENAKV_MVCC_DB_DB_STATS_H_
#define ARENAKV_MVCC_DB_DB_STATS_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "mvcc/util/dbformat.h"
#include "mvcc/version/version_set.h"

namespace arenakv {

struct CompactionStats {
  std::uint64_t count = 0;
  std::uint64_t trivial_moves = 0;
  std::uint64_t bytes_read_level = 0;   // from the input level
  std::uint64_t bytes_read_output = 0;  // from this (the output) level
  std::uint64_t bytes_written = 0;
  std::uint64_t files_written = 0;
  std::uint64_t dropped_entries = 0;
  std::uint64_t micros = 0;
};

struct DBStats {
  std::array<CompactionStats, kNumLevels> compactions;  // by output level
  std::uint64_t flushes = 0;
  std::uint64_t flush_bytes_written = 0;
  std::uint64_t flush_micros = 0;
  std::uint64_t memtable_stalls = 0;  // waits while every memtable was full
  std::uint64_t l0_slowdowns = 0;     // delays at level0_slowdown_writes_trigger
  std::uint64_t l0_stops = 0;         // waits at level0_stop_writes_trigger
  std::uint64_t budget_stalls = 0;    // 10 ms waits for room in the memory budget
  std::uint64_t budget_flushes = 0;   // memtables flushed early for the memory budget
  std::uint64_t stall_micros = 0;     // time writers spent in all four

  // Appends to *out the per-level table for `version` (with the picker's
  // `scores`), the flush and compaction totals, amplification and stall
  // lines of "arenakv.stats".
  void AppendTo(const Version& version, const std::array<double, kNumLevels>& scores,
                int running_compactions, std::string* out) const;
};

// Microseconds from `start` to now.
inline std::uint64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
}

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_DB_STATS_H_
