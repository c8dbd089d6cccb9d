// DBImpl::GetProperty: the "arenakv.*" properties (mvcc/include/arenakv/mvcc/db.h).
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>

#include "mvcc/db/db_impl.h"

namespace arenakv {

bool DBImpl::GetProperty(std::string_view name, std::string* value) {
  if (value == nullptr) return false;
  value->clear();
  const std::shared_ptr<const ReadView> v = view();
  if (name == "arenakv.memtable.arena-stats") {
    std::size_t live = 0, requested = 0, allocated = 0, reserved = 0;
    std::uint64_t released = 0;
    {
      std::lock_guard lock(arenas_->mu);
      live = arenas_->live.size();
      released = arenas_->released;
      for (const MemTable* mem : arenas_->live) {
        const ArenaStats stats = mem->arena_stats();
        requested += stats.requested;
        allocated += stats.allocated;
        reserved += stats.reserved;
      }
    }
    *value = "live_memtables: " + std::to_string(live) +
             "\nimmutable_memtables: " + std::to_string(v->imm.size()) +
             "\nrequested_bytes: " + std::to_string(requested) +
             "\nallocated_bytes: " + std::to_string(allocated) +
             "\nreserved_bytes: " + std::to_string(reserved) +
             "\nreleased_arenas: " + std::to_string(released) + "\n";
    return true;
  }
  constexpr std::string_view kFilesAtLevel = "arenakv.num-files-at-level";
  if (name.starts_with(kFilesAtLevel)) {
    const std::string_view digits = name.substr(kFilesAtLevel.size());
    int level = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), level);
    if (ec != std::errc() || end != digits.data() + digits.size() || level < 0 ||
        level >= kNumLevels) {
      return false;
    }
    *value = std::to_string(v->version->levels[level].size());
    return true;
  }
  if (name == "arenakv.total-sst-size") {
    *value = std::to_string(v->version->TotalFileSize());
    return true;
  }
  if (name == "arenakv.estimate-num-keys") {
    std::uint64_t total = v->mem->num_entries();
    for (const MemTableRef& mem : v->imm) total += mem->num_entries();
    for (const auto& level : v->version->levels) {
      for (const TableFileRef& f : level) total += f->table().properties().num_entries;
    }
    *value = std::to_string(total);
    return true;
  }
  std::lock_guard lock(mu_);
  if (name == "arenakv.compaction-pending") {
    *value = BackgroundWorkPending() ? "1" : "0";
    return true;
  }
  if (name == "arenakv.num-running-compactions") {
    *value = std::to_string(picker_->running());
    return true;
  }
  if (name == "arenakv.stats") {
    *value = StatsString(*v->version);
    return true;
  }
  return false;
}

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
std::string DBImpl::StatsString(const Version& version) const {
  const std::array<double, kNumLevels> scores = picker_->Scores(version);
  std::string out =
      "level files size_mib score read_mib read_n_mib read_n1_mib write_mib w_amp "
      "compactions moves dropped time_s\n";
  CompactionStats sum;
  std::uint64_t sum_files = 0, sum_bytes = 0;
  int sorted_runs = 0;
  for (int level = 0; level < kNumLevels; ++level) {
    const CompactionStats& c = compaction_stats_[level];
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
  line("flushes", flushes_);
  line("flush_bytes_written", flush_bytes_written_);
  line("flush_micros", flush_micros_);
  line("compactions", sum.count);
  line("compaction_bytes_read", sum.bytes_read_level + sum.bytes_read_output);
  line("compaction_bytes_written", sum.bytes_written);
  line("compaction_micros", sum.micros);
  line("running_compactions", static_cast<std::uint64_t>(picker_->running()));
  // Table bytes written per byte flushed (the WAL not counted), as RocksDB's
  // "Sum W-Amp" line.
  out += Format("write_amplification: %.2f\n",
                Ratio(flush_bytes_written_ + sum.bytes_written, flush_bytes_written_));
  // Sorted runs a point read may have to look into, memtables aside.
  line("read_amplification", static_cast<std::uint64_t>(sorted_runs));
  line("write_stalls", memtable_stalls_ + l0_slowdowns_ + l0_stops_);
  line("stalls_memtable_full", memtable_stalls_);
  line("stalls_level0_slowdown", l0_slowdowns_);
  line("stalls_level0_stop", l0_stops_);
  line("stall_micros", stall_micros_);
  line("immutable_memtables", imm_.size());
  line("last_sequence", last_sequence_.load());
  line("live_snapshots", snapshots_.size());
  if (cache_ != nullptr) {
    line("block_cache_usage", cache_->usage());
    line("block_cache_hits", cache_->hits());
    line("block_cache_misses", cache_->misses());
  }
  out += "background_error: " + bg_error_.ToString() + "\n";
  return out;
}

}  // namespace arenakv
