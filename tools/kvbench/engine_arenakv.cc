// SPDX-License-Identifier: Apache-2.0
// The arenakv adapter of kvbench's Engine interface.
#include <arenakv/mvcc/db.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "tools/kvbench/engine.h"

namespace arenakv::kvbench {

namespace {

// Calls f(name, value) for each "name: value" line of a property's text, in
// order; lines without ": " are skipped.
template <typename F>
void ForEachPropertyLine(std::string_view text, F&& f) {
  for (std::size_t begin = 0, end; begin < text.size(); begin = end + 1) {
    end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(begin, end - begin);
    const std::size_t colon = line.find(": ");
    if (colon != std::string_view::npos) f(line.substr(0, colon), line.substr(colon + 2));
  }
}

// The "name: value" lines of a property's text, by name.
std::map<std::string, std::string, std::less<>> PropertyLines(std::string_view text) {
  std::map<std::string, std::string, std::less<>> lines;
  ForEachPropertyLine(text, [&lines](std::string_view name, std::string_view value) {
    lines.emplace(name, value);
  });
  return lines;
}

class ArenakvCursor final : public Cursor {
 public:
  explicit ArenakvCursor(std::unique_ptr<Iterator> it) : it_(std::move(it)) {}
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(std::string_view target) override { it_->Seek(target); }
  bool Valid() const override { return it_->Valid(); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return it_->key(); }
  std::string_view value() const override { return it_->value(); }
  Status status() const override { return it_->status(); }

 private:
  std::unique_ptr<Iterator> it_;
};

// Owns the DB; see Engine for the thread-safety contract.
class ArenakvEngine final : public Engine {
 public:
  ArenakvEngine(std::unique_ptr<DB> db, bool disable_wal) : db_(std::move(db)) {
    write_options_.disable_wal = disable_wal;
  }

  const char* name() const override { return "arenakv"; }
  Status Put(std::string_view key, std::string_view value, bool sync) override {
    WriteOptions options = write_options_;
    options.sync = sync;
    return db_->Put(options, key, value);
  }
  Status Delete(std::string_view key) override {
    WriteOptions options = write_options_;
    options.sync = sync_;
    return db_->Delete(options, key);
  }
  Status Get(std::string_view key, std::string* value) override {
    return db_->Get(ReadOptions(), key, value);
  }
  std::unique_ptr<Cursor> NewCursor() override {
    return std::make_unique<ArenakvCursor>(db_->NewIterator(ReadOptions()));
  }
  Status Transfer(std::string_view from, std::string_view to, std::int64_t amount,
                  bool* committed) override {
    WriteOptions options = write_options_;
    options.sync = sync_;
    std::unique_ptr<Transaction> txn = db_->BeginTransaction(options, TransactionOptions());
    std::string a, b;
    std::int64_t balance_a = 0, balance_b = 0;
    Status s = txn->GetForUpdate(ReadOptions(), from, &a);
    if (s.ok()) s = ParseBalance(a, &balance_a);
    if (s.ok()) s = txn->GetForUpdate(ReadOptions(), to, &b);
    if (s.ok()) s = ParseBalance(b, &balance_b);
    if (s.ok()) s = txn->Put(from, std::to_string(balance_a - amount));
    if (s.ok()) s = txn->Put(to, std::to_string(balance_b + amount));
    if (s.ok()) s = txn->Commit();
    *committed = s.ok();
    return s.IsBusy() ? Status::OK() : s;
  }
  std::vector<std::pair<std::string, std::string>> Stats() override {
    std::vector<std::pair<std::string, std::string>> out;
    std::string value;
    if (db_->GetProperty("arenakv.memtable.arena-stats", &value)) {
      // Keep the two the report asks for.
      const auto lines = PropertyLines(value);
      for (const char* field : {"reserved_bytes", "requested_bytes"}) {
        if (auto it = lines.find(field); it != lines.end()) {
          out.emplace_back(std::string("arena ") + field, it->second);
        }
      }
    }
    if (db_->GetProperty("arenakv.stats", &value)) {
      // What the background work did, for reading the write amplification.
      const auto lines = PropertyLines(value);
      for (const char* field : {"flushes", "flush_bytes_written", "compactions",
                                "compaction_bytes_written", "write_stalls", "stalls_memtable_full",
                                "stalls_level0_slowdown", "stalls_level0_stop", "stall_micros"}) {
        if (auto it = lines.find(field); it != lines.end()) out.emplace_back(field, it->second);
      }
    }
    if (db_->GetProperty("arenakv.memory", &value) && !value.starts_with("limit: none")) {
      // Under a budget, where its bytes are: every line, in order.
      ForEachPropertyLine(value, [&out](std::string_view name, std::string_view field) {
        out.emplace_back("memory " + std::string(name), std::string(field));
      });
    }
    std::string levels;
    for (int level = 0;; ++level) {
      if (!db_->GetProperty("arenakv.num-files-at-level" + std::to_string(level), &value)) break;
      levels += (levels.empty() ? "" : " ") + value;
    }
    out.emplace_back("files per level", levels);
    return out;
  }
  Status WaitForBackgroundWork(std::chrono::milliseconds limit) override {
    return PollUntilIdle(
        [this](bool* done) {
          std::string pending, running;
          if (!db_->GetProperty("arenakv.compaction-pending", &pending) ||
              !db_->GetProperty("arenakv.num-running-compactions", &running)) {
            return Status::NotSupported("arenakv has no compaction-pending property");
          }
          *done = pending == "0" && running == "0";
          return Status::OK();
        },
        limit);
  }

  void set_sync(bool sync) { sync_ = sync; }

 private:
  std::unique_ptr<DB> db_;
  WriteOptions write_options_;
  bool sync_ = false;
};

CompressionType ToCompressionType(const std::string& name) {
  if (name == "lz4") return CompressionType::kLz4;
  if (name == "zstd") return CompressionType::kZstd;
  return CompressionType::kNone;  // ParseOptions admits only these three
}

}  // namespace

Status OpenArenakvEngine(const BenchOptions& options, const std::string& path,
                         std::unique_ptr<Engine>* engine) {
  Options db_options;
  db_options.create_if_missing = !options.use_existing_db;
  db_options.write_buffer_size = options.write_buffer_size;
  db_options.recycle_memtables = options.recycle_memtables;
  db_options.memtable_huge_pages = options.memtable_huge_pages;
  db_options.lower_background_priority = options.lower_background_priority;
  db_options.block_cache_size = options.cache_size;
  db_options.max_open_files = options.max_open_files;
  if (options.memory_budget > 0) {
    // A hard limit on top of the write buffer and block cache sizes above.
    db_options.memory_budget = MemoryBudget::Create(options.memory_budget);
  }
  db_options.max_key_size = std::max(db_options.max_key_size, options.key_size);
  db_options.max_value_size = std::max(db_options.max_value_size, options.value_size);
  db_options.level0_file_num_compaction_trigger = options.level0_file_num_compaction_trigger;
  db_options.delayed_write_rate = options.delayed_write_rate;
  db_options.target_file_size_base = options.target_file_size_base;
  db_options.max_bytes_for_level_base = options.max_bytes_for_level_base;
  db_options.max_bytes_for_level_multiplier = options.max_bytes_for_level_multiplier;
  db_options.compression = ToCompressionType(options.compression);
  if (!options.use_existing_db) {
    Status s = DestroyDB(path, db_options);
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  std::unique_ptr<DB> db;
  Status s = DB::Open(db_options, path, &db);
  if (!s.ok()) return s;
  auto adapter = std::make_unique<ArenakvEngine>(std::move(db), options.disable_wal);
  adapter->set_sync(options.sync);
  *engine = std::move(adapter);
  return Status::OK();
}

}  // namespace arenakv::kvbench
