// SPDX-License-Identifier: Apache-2.0
#include "mvcc/db/db_stats.h"

#include <algorithm>
#include <cstdio>

namespace arenakv {

namespace {

std::string Format(const char* format, auto... args) {
  char buf[256];
  const int n = std::snprintf(buf, sizeof buf, format, args...);
  return std::string(buf, static_cast<std::size_t>(std::clamp(n, 0, int{sizeof buf} - 1)));
}

double MiB(std::uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }
double Ratio(std::uint64_t a, std::uint64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

}  // namespace

// One line per level, as in RocksDB's "Compaction Stats": what the level
// holds and what compactions into it read and wrote. W-Amp is bytes written
// into the level over bytes read from the level above.
void DBStats::AppendTo(const Version& version, const std::array<double, kNumLevels>& scores,
                       int running_compactions, std::string* out_text) const {
  std::string& out = *out_text;
  out +=
      "level files size_mib score read_mib read_n_mib read_n1_mib write_mib w_amp "
      "compactions moves dropped time_s\n";
  CompactionStats sum;
  std::uint64_t sum_files = 0, sum_bytes = 0;
  int sorted_runs = 0;
  for (int level = 0; level < kNumLevels; ++level) {
    const CompactionStats& c = compactions[level];
    const std::uint64_t files = version.levels[level].size();
    const std::uint64_t bytes = version.LevelBytes(level);
    sorted_runs += level == 0 ? static_cast<int>(files) : (files > 0 ? 1 : 0);
    sum_files += files;
    sum_bytes += bytes;
    sum.count += c.count;
    sum.trivial_moves += c.trivial_moves;
    sum.bytes_read_level += c.bytes_read_level;
    sum.bytes_read_output += c.bytes_read_output;
    sum.bytes_written += c.bytes_written;
    sum.dropped_entries += c.dropped_entries;
    sum.micros += c.micros;
    out += Format(
        "L%d %llu %.1f %.2f %.1f %.1f %.1f %.1f %.2f %llu %llu %llu %.1f\n", level,
        static_cast<unsigned long long>(files), MiB(bytes), scores[level],
        MiB(c.bytes_read_level + c.bytes_read_output), MiB(c.bytes_read_level),
        MiB(c.bytes_read_output), MiB(c.bytes_written), Ratio(c.bytes_written, c.bytes_read_level),
        static_cast<unsigned long long>(c.count), static_cast<unsigned long long>(c.trivial_moves),
        static_cast<unsigned long long>(c.dropped_entries), c.micros / 1e6);
  }
  out += Format("Sum %llu %.1f - %.1f %.1f %.1f %.1f %.2f %llu %llu %llu %.1f\n",
                static_cast<unsigned long long>(sum_files), MiB(sum_bytes),
                MiB(sum.bytes_read_level + sum.bytes_read_output), MiB(sum.bytes_read_level),
                MiB(sum.bytes_read_output), MiB(sum.bytes_written),
                Ratio(sum.bytes_written, sum.bytes_read_level),
                static_cast<unsigned long long>(sum.count),
                static_cast<unsigned long long>(sum.trivial_moves),
                static_cast<unsigned long long>(sum.dropped_entries), sum.micros / 1e6);
  auto line = [&](const char* key, std::uint64_t n) {
    out += std::string(key) + ": " + std::to_string(n) + "\n";
  };
  line("flushes", flushes);
  line("flush_bytes_written", flush_bytes_written);
  line("flush_micros", flush_micros);
  line("compactions", sum.count);
  line("compaction_bytes_read", sum.bytes_read_level + sum.bytes_read_output);
  line("compaction_bytes_written", sum.bytes_written);
  line("compaction_micros", sum.micros);
  line("running_compactions", static_cast<std::uint64_t>(running_compactions));
  // Table bytes written per byte flushed (the WAL not counted), as RocksDB's
  // "Sum W-Amp" line.
  out += Format("write_amplification: %.2f\n",
                Ratio(flush_bytes_written + sum.bytes_written, flush_bytes_written));
  // Sorted runs a point read may have to look into, memtables aside.
  line("read_amplification", static_cast<std::uint64_t>(sorted_runs));
  line("write_stalls", memtable_stalls + l0_slowdowns + l0_stops + budget_stalls);
  line("stalls_memtable_full", memtable_stalls);
  line("stalls_memory_budget", budget_stalls);
  line("stalls_level0_slowdown", l0_slowdowns);
  line("stalls_level0_stop", l0_stops);
  line("stall_micros", stall_micros);
}

}  // namespace arenakv
