// SPDX-License-Identifier: Apache-2.0
// DBImpl::GetProperty: the "arenakv.*" properties (mvcc/include/arenakv/mvcc/db.h).
#include <charconv>
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
             "\nreleased_arenas: " + std::to_string(released) +
             "\nrecycled_arenas: " + std::to_string(memtables_->reused()) +
             "\nidle_arenas: " + std::to_string(memtables_->idle()) +
             "\nidle_reserved_bytes: " + std::to_string(memtables_->idle_reserved_bytes()) + "\n";
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
      for (const TableFileRef& f : level) total += f->NumEntries();
    }
    *value = std::to_string(total);
    return true;
  }
  if (name == "arenakv.table-cache") {
    // Open table readers: the cache's, or every file's when none is kept.
    const TableCache* cache = versions_->table_cache();
    if (cache == nullptr) {
      *value = "capacity: unlimited\nopen: " + std::to_string(v->version->NumFiles()) +
               "\nopens: 0\nevictions: 0\n";
    } else {
      *value = "capacity: " +
               (cache->capacity() == TableCache::kUnlimited ? std::string("unlimited")
                                                            : std::to_string(cache->capacity())) +
               "\nopen: " + std::to_string(cache->size()) +
               "\nopens: " + std::to_string(cache->opens()) +
               "\nevictions: " + std::to_string(cache->evictions()) +
               "\nbudget_closes: " + std::to_string(cache->budget_closes()) + "\n";
    }
    return true;
  }
  if (name == "arenakv.recovery") {
    *value = RecoveryString();
    return true;
  }
  if (name == "arenakv.memory") {
    *value = MemoryString();
    return true;
  }
  MutexLock lock(&mu_);
  if (name == "arenakv.compaction-pending") {
    *value = BackgroundWorkPending() ? "1" : "0";
    return true;
  }
  if (name == "arenakv.num-running-compactions") {
    *value = std::to_string(picker_->running());
    return true;
  }
  if (name == "arenakv.background-error") {
    *value = std::string("severity: ") + SeverityName(bg_error_severity_) +
             "\nerror: " + bg_error_.ToString() + "\nresumes: " + std::to_string(resumes_) +
             "\nautomatic_resume_attempts: " + std::to_string(auto_resumes_) + "\n";
    return true;
  }
  if (name == "arenakv.stats") {
    *value = StatsString(*v->version);
    return true;
  }
  return false;
}

std::string_view WalRecoveryModeName(WALRecoveryMode mode) {
  switch (mode) {
    case WALRecoveryMode::kTolerateCorruptedTailRecords:
      return "tolerate-corrupted-tail-records";
    case WALRecoveryMode::kAbsoluteConsistency:
      return "absolute-consistency";
    case WALRecoveryMode::kPointInTimeRecovery:
      return "point-in-time";
    case WALRecoveryMode::kSkipAnyCorruptedRecords:
      return "skip-any-corrupted-records";
  }
  return "unknown";
}

// The text of "arenakv.recovery": what Open's WAL replay did.
std::string DBImpl::RecoveryString() const {
  const RecoveryReport& r = recovery_;
  std::string out;
  out += "wal_recovery_mode: " + std::string(WalRecoveryModeName(options_.wal_recovery_mode));
  out += "\nlogs_replayed: " + std::to_string(r.logs);
  out += "\nrecords_replayed: " + std::to_string(r.records);
  out += "\ntorn_tail_bytes: " + std::to_string(r.torn_tail_bytes);
  out += "\ndropped_records: " + std::to_string(r.dropped_records);
  out += "\ndropped_bytes: " + std::to_string(r.dropped_bytes);
  out += "\nstopped_at: " + (r.stopped_at.empty() ? std::string("-") : r.stopped_at) + "\n";
  return out;
}

// The text of "arenakv.memory": the budget's lines (shared with any other DB
// holding it), then what this DB holds and did for it.
std::string DBImpl::MemoryString() {
  const MemoryBudget* budget = options_.memory_budget.get();
  std::string out = budget != nullptr ? budget->ToString() : "limit: none\n";
  auto line = [&](const char* key, std::uint64_t n) {
    out.append(key).append(": ").append(std::to_string(n)).append("\n");
  };
  // Every live memtable arena: active, immutable, and flushed ones iterators
  // still hold (pages a recycled arena kept included); plus the active one's
  // reservation; plus the idle memtables waiting to be reused.
  const std::size_t idle_bytes = memtables_->idle_reserved_bytes();
  std::size_t memtable_bytes = idle_bytes;
  {
    std::lock_guard lock(arenas_->mu);
    for (const MemTable* mem : arenas_->live) {
      memtable_bytes += mem->arena_reserved_bytes() + mem->reserved();
    }
  }
  line("db_memtable_bytes", memtable_bytes);
  line("db_idle_memtable_bytes", idle_bytes);
  // The cache's entries (what the budget charges), and its arena's pages.
  const ArenaStats cache_stats = cache_ != nullptr ? cache_->arena_stats() : ArenaStats{};
  line("db_block_cache_bytes", cache_stats.allocated);
  line("db_block_cache_committed_bytes", cache_stats.reserved);
  line("db_block_cache_shed_bytes", cache_ != nullptr ? cache_->shed_bytes() : 0);
  // The table cache's readers; those closed to give memory back; and the
  // ones a Get, verification, flush or compaction opened uncharged because
  // the budget had no room (table_cache.h). Readers kept for life
  // (read-only) are not counted.
  const TableCache* readers = versions_->table_cache();
  line("db_table_reader_bytes", readers != nullptr ? readers->bytes() : 0);
  line("db_table_reader_closes", readers != nullptr ? readers->budget_closes() : 0);
  line("db_table_reader_uncharged_opens", readers != nullptr ? readers->uncharged_opens() : 0);
  // Flush and compaction builders' bytes the budget had no room for
  // (TableOutput), in all.
  line("db_job_uncharged_bytes", readers != nullptr ? readers->uncharged_job_bytes() : 0);
  MutexLock lock(&mu_);
  line("db_early_flushes", stats_.budget_flushes);
  line("db_budget_stalls", stats_.budget_stalls);
  return out;
}

// The text of "arenakv.stats": DBStats' lines, then the DB's own state.
std::string DBImpl::StatsString(const Version& version) const {
  std::string out;
  stats_.AppendTo(version, picker_->Scores(version), picker_->running(), &out);
  auto line = [&](const char* key, std::uint64_t n) {
    out += std::string(key) + ": " + std::to_string(n) + "\n";
  };
  // The rate writes are held to at the slowdown trigger: the last delayed
  // group's, until a write finds level 0 below the trigger again.
  line("delayed_write_rate", write_delay_.rate());
  line("immutable_memtables", imm_.size());
  line("last_sequence", last_sequence_.load());
  line("live_snapshots", snapshots_.size());
  // Iterators holding their sequence (ReadOptions::auto_refresh_iterator),
  // and how often one moved to a newer view.
  {
    MutexLock lock(&pins_mu_);
    line("refreshing_iterators", iterator_pins_.size());
  }
  line("iterator_refreshes", iterator_refreshes_.load(std::memory_order_relaxed));
  if (cache_ != nullptr) {
    line("block_cache_usage", cache_->usage());
    line("block_cache_hits", cache_->hits());
    line("block_cache_misses", cache_->misses());
  }
  out += "background_error: " + bg_error_.ToString() + "\n";
  return out;
}

}  // namespace arenakv
