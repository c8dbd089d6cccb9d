// SPDX-License-Identifier: Apache-2.0
// The RocksDB adapter of kvbench's Engine interface, compiled only when
// RocksDB's CMake package is found (ARENAKV_KVBENCH_WITH_ROCKSDB). Configured
// like the arenakv side: the same write buffer size, WAL and sync settings, LSM
// shape and compression (bottommost level included), an LRU block cache of
// --cache-size, and a 10-bit bloom filter (arenakv's default
// bloom_bits_per_key) so point reads compare like for like. With
// --memory-budget, the closest RocksDB has to arenakv's Options::memory_budget
// replaces that cache: a strict-capacity LRU cache of the budget as block
// cache, a WriteBufferManager charging memtables to it, and index and filter
// blocks kept in it (level 0's pinned). RocksDB keeps
// --max-bytes-for-level-base under a budget (arenakv scales it with its
// memtables: mvcc/compaction/compaction.h).
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/optimistic_transaction_db.h>
#include <rocksdb/utilities/transaction.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "tools/kvbench/engine.h"

namespace arenakv::kvbench {

namespace {

Status FromRocksdb(const rocksdb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(s.ToString());
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  if (s.IsInvalidArgument()) return Status::InvalidArgument(s.ToString());
  if (s.IsNotSupported()) return Status::NotSupported(s.ToString());
  if (s.IsBusy()) return Status::Busy(s.ToString());
  return Status::IOError(s.ToString());
}

std::string_view View(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }
rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

class RocksdbCursor final : public Cursor {
 public:
  explicit RocksdbCursor(rocksdb::Iterator* it) : it_(it) {}
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(std::string_view target) override { it_->Seek(ToSlice(target)); }
  bool Valid() const override { return it_->Valid(); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return View(it_->key()); }
  std::string_view value() const override { return View(it_->value()); }
  Status status() const override { return FromRocksdb(it_->status()); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

// Owns the rocksdb::DB; see Engine for the thread-safety contract.
class RocksdbEngine final : public Engine {
 public:
  // txn_db: `db` itself when it was opened as an OptimisticTransactionDB
  // (for txn-transfer), else null.
  RocksdbEngine(rocksdb::DB* db, rocksdb::OptimisticTransactionDB* txn_db,
                const BenchOptions& options)
      : db_(db), txn_db_(txn_db) {
    write_options_.disableWAL = options.disable_wal;
    write_options_.sync = options.sync;
  }

  const char* name() const override { return "rocksdb"; }
  Status Put(std::string_view key, std::string_view value, bool sync) override {
    rocksdb::WriteOptions options = write_options_;
    options.sync = sync;
    return FromRocksdb(db_->Put(options, ToSlice(key), ToSlice(value)));
  }
  Status Delete(std::string_view key) override {
    return FromRocksdb(db_->Delete(write_options_, ToSlice(key)));
  }
  Status Get(std::string_view key, std::string* value) override {
    return FromRocksdb(db_->Get(rocksdb::ReadOptions(), ToSlice(key), value));
  }
  std::unique_ptr<Cursor> NewCursor() override {
    return std::make_unique<RocksdbCursor>(db_->NewIterator(rocksdb::ReadOptions()));
  }
  Status Transfer(std::string_view from, std::string_view to, std::int64_t amount,
                  bool* committed) override {
    *committed = false;
    if (txn_db_ == nullptr) return Status::NotSupported("not opened for transactions");
    // Reads at the snapshot taken at begin, as arenakv's transactions do.
    rocksdb::OptimisticTransactionOptions txn_options;
    txn_options.set_snapshot = true;
    std::unique_ptr<rocksdb::Transaction> txn(
        txn_db_->BeginTransaction(write_options_, txn_options));
    rocksdb::ReadOptions read_options;
    read_options.snapshot = txn->GetSnapshot();
    std::string a, b;
    std::int64_t balance_a = 0, balance_b = 0;
    Status s = FromRocksdb(txn->GetForUpdate(read_options, ToSlice(from), &a));
    if (s.ok()) s = ParseBalance(a, &balance_a);
    if (s.ok()) s = FromRocksdb(txn->GetForUpdate(read_options, ToSlice(to), &b));
    if (s.ok()) s = ParseBalance(b, &balance_b);
    if (s.ok()) s = FromRocksdb(txn->Put(ToSlice(from), std::to_string(balance_a - amount)));
    if (s.ok()) s = FromRocksdb(txn->Put(ToSlice(to), std::to_string(balance_b + amount)));
    if (!s.ok()) return s;
    const rocksdb::Status commit = txn->Commit();
    // Busy: a conflict; TryAgain: the memtables no longer hold the history
    // the check needs (RocksDB's max_write_buffer_size_to_maintain). Both
    // are aborts the caller retries.
    if (commit.IsBusy() || commit.IsTryAgain()) return Status::OK();
    *committed = commit.ok();
    return FromRocksdb(commit);
  }
  std::vector<std::pair<std::string, std::string>> Stats() override {
    std::string levels;
    for (int level = 0; level < db_->NumberLevels(); ++level) {
      std::string value;
      if (!db_->GetProperty("rocksdb.num-files-at-level" + std::to_string(level), &value)) break;
      levels += (levels.empty() ? "" : " ") + value;
    }
    return {{"files per level", levels}};
  }
  Status WaitForBackgroundWork(std::chrono::milliseconds limit) override {
    return PollUntilIdle(
        [this](bool* done) {
          *done = true;
          for (const char* name :
               {"rocksdb.compaction-pending", "rocksdb.num-running-compactions",
                "rocksdb.num-running-flushes", "rocksdb.mem-table-flush-pending"}) {
            std::uint64_t value = 0;
            if (!db_->GetIntProperty(name, &value)) {
              return Status::NotSupported(std::string("rocksdb has no property ") + name);
            }
            if (value != 0) *done = false;
          }
          return Status::OK();
        },
        limit);
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::OptimisticTransactionDB* const txn_db_;  // db_, or null
  rocksdb::WriteOptions write_options_;
};

rocksdb::CompressionType ToCompressionType(const std::string& name) {
  if (name == "lz4") return rocksdb::kLZ4Compression;
  if (name == "zstd") return rocksdb::kZSTD;
  return rocksdb::kNoCompression;  // ParseOptions admits only these three
}

}  // namespace

Status OpenRocksdbEngine(const BenchOptions& options, const std::string& path,
                         std::unique_ptr<Engine>* engine) {
  rocksdb::Options db_options;
  db_options.create_if_missing = !options.use_existing_db;
  db_options.compression = ToCompressionType(options.compression);
  db_options.bottommost_compression = db_options.compression;
  db_options.level0_file_num_compaction_trigger = options.level0_file_num_compaction_trigger;
  db_options.delayed_write_rate = options.delayed_write_rate;
  db_options.target_file_size_base = options.target_file_size_base;
  db_options.max_bytes_for_level_base = options.max_bytes_for_level_base;
  db_options.max_bytes_for_level_multiplier = options.max_bytes_for_level_multiplier;
  db_options.write_buffer_size = options.write_buffer_size;
  db_options.max_write_buffer_number = 2;  // arenakv's max_write_buffer_number
  db_options.max_background_jobs = 2;      // arenakv's max_background_jobs
  if (options.lower_background_priority) {
    // Process-wide: Env::Default()'s pools serve every RocksDB DB.
    for (const auto pool : {rocksdb::Env::Priority::LOW, rocksdb::Env::Priority::HIGH}) {
      (void)rocksdb::Env::Default()->LowerThreadPoolCPUPriority(pool, rocksdb::CpuPriority::kLow);
    }
  }
  db_options.max_open_files = options.max_open_files;
  rocksdb::BlockBasedTableOptions table_options;
  if (options.memory_budget > 0) {
    rocksdb::LRUCacheOptions cache_options;
    cache_options.capacity = options.memory_budget;
    cache_options.strict_capacity_limit = true;
    // The WriteBufferManager charges memtables in 1 MiB entries; with the
    // default shards (one per 512 KiB of capacity, at most 64) each shard
    // holds only a few of them and writes fail while other shards are free.
    // Shards of at least 16 MiB.
    cache_options.num_shard_bits = 0;
    while (cache_options.num_shard_bits < 6 &&
           (options.memory_budget >> (cache_options.num_shard_bits + 1)) >=
               (std::size_t{16} << 20)) {
      ++cache_options.num_shard_bits;
    }
    table_options.block_cache = rocksdb::NewLRUCache(cache_options);
    table_options.cache_index_and_filter_blocks = true;
    table_options.pin_l0_filter_and_index_blocks_in_cache = true;
    // Memtables may take half of it, each at most a quarter: charged to a
    // strict cache, memtables as large as the budget make writes fail once
    // blocks hold the rest ("Insert failed due to LRU cache being full"),
    // where arenakv flushes early.
    db_options.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(
        options.memory_budget / 2, table_options.block_cache, /*allow_stall=*/true);
    db_options.write_buffer_size =
        std::min<std::size_t>(db_options.write_buffer_size, options.memory_budget / 4);
  } else if (options.cache_size == 0) {
    table_options.no_block_cache = true;
  } else {
    table_options.block_cache = rocksdb::NewLRUCache(options.cache_size);
  }
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  if (!options.use_existing_db) {
    rocksdb::Status s = rocksdb::DestroyDB(path, db_options);
    if (!s.ok() && !s.IsNotFound()) return FromRocksdb(s);
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::OptimisticTransactionDB* txn_db = nullptr;
  rocksdb::Status s;
  if (std::find(options.benchmarks.begin(), options.benchmarks.end(), "txn-transfer") !=
      options.benchmarks.end()) {
    // A StackableDB over the same DB: other workloads run through it too.
    s = rocksdb::OptimisticTransactionDB::Open(db_options, path, &txn_db);
    raw = txn_db;
  } else {
    s = rocksdb::DB::Open(db_options, path, &raw);
  }
  if (!s.ok()) return FromRocksdb(s);
  *engine = std::make_unique<RocksdbEngine>(raw, txn_db, options);
  return Status::OK();
}

}  // namespace arenakv::kvbench
