// SPDX-License-Identifier: Apache-2.0
// db_ops_fuzz: a differential test of the DB API against a std::map model.
//
// Feeds: the input as a program. The first byte picks option variations
// (compression, restart interval, bloom filter, memtable count, a 512 KiB
// memory budget); then each
// operation is an opcode byte and its operands: Put, Delete, a WriteBatch of
// 1-4 operations, a bulk load of up to 64 puts of 1 KiB values to keys
// spread over the alphabet (fills
// memtables, so they rotate and background flushes and compactions run),
// GetSnapshot / ReleaseSnapshot (at most 4 live; each snapshot comes with an
// iterator created beside it and held as long), Get at the latest state or
// a snapshot, a full scan forward or backward with optional bounds, a walk
// (Seek or SeekForPrev, then up to 8 Next/Prev; at a snapshot, of a new
// iterator or of the held one, which refreshes onto newer files), Flush, CompactRange with
// optional ends, and a clean Close and reopen. Writes use the WAL, sync it, or
// skip it. Keys are 0-3 characters from "abc" (40 keys, so operations
// collide), the empty key included. The DB lives on a MemFileSystem with a
// tiny tree shape (256 KiB write buffer, 16 KiB tables, 256-byte blocks,
// level-0 compaction at 2 files).
// Checks: every call returns OK (Get: OK or NotFound); every Get, scan and
// walk at the latest state matches the model, and at a snapshot matches the
// model as it was when the snapshot was taken; iterators end with an OK
// status (or, under the budget, MemoryLimit: the iterator found no room for
// a table reader); at the end VerifyChecksum is OK and, after a reopen, the whole DB
// still matches.
// A crash means the engine lost, resurrected or reordered a write, a snapshot
// saw a later write or lost an older one, an iterator misplaced itself after
// a seek or a change of direction, or a call failed (the message names the
// operation; rerun the input to see it).
#include <arenakv/mvcc/db.h>
#include <arenakv/mvcc/write_batch.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/fuzz/fuzz_util.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using KvMap = std::map<std::string, std::string>;
using fuzz::Printable;

constexpr const char* kDbPath = "/db";
constexpr std::size_t kMaxSnapshots = 4;

using Op = fuzz::DbOp;
using enum fuzz::DbOp;

class DbOpsFuzzer {
 public:
  explicit DbOpsFuzzer(fuzz::InputCursor* in) : in_(in) {
    options_ = test::TinyShapeOptions();
    options_.file_system = &fs_;
    options_.target_file_size_base = 16 << 10;
    options_.max_bytes_for_level_base = 64 << 10;
    options_.block_size = 256;
    options_.block_cache_size = 256 << 10;
    const std::uint8_t shape = in_->Byte();
    static constexpr CompressionType kCompressions[] = {
        CompressionType::kNone, CompressionType::kLz4, CompressionType::kZstd,
        CompressionType::kNone};
    options_.compression = kCompressions[shape & 3];
    // The second kNone runs under a memory budget smaller than two write
    // buffers plus the block cache: early flushes, cache sheds, reservations.
    if ((shape & 3) == 3) options_.memory_budget = MemoryBudget::Create(512 << 10);
    options_.block_restart_interval = 1 + ((shape >> 2) & 15);
    options_.bloom_bits_per_key = (shape & 0x40) != 0 ? 0 : 10;
    options_.max_write_buffer_number = 1 + ((shape >> 7) & 1);
    Check(DB::Open(options_, kDbPath, &db_), "Open");
  }

  ~DbOpsFuzzer() {
    for (SnapshotModel& snap : snapshots_) {
      snap.held.reset();
      db_->ReleaseSnapshot(snap.snapshot);
    }
    if (db_ != nullptr) Check(db_->Close(), "Close");
  }

  void Run() {
    while (!in_->empty()) {
      ++op_index_;
      const auto op = static_cast<Op>(in_->Byte() % kNumOps);
      switch (op) {
        case kPut: {
          const WriteOptions wo = NextWriteOptions();
          const std::string key = NextKey();
          const std::string value = NextValue(in_->Byte() % 32);
          Check(db_->Put(wo, key, value), "Put");
          model_[key] = value;
          break;
        }
        case kDelete: {
          const WriteOptions wo = NextWriteOptions();
          const std::string key = NextKey();
          Check(db_->Delete(wo, key), "Delete");
          model_.erase(key);
          break;
        }
        case kBatch:
          WriteBatchOp();
          break;
        case kBulkLoad: {
          const int count = 1 + in_->Byte() % 64;
          const std::uint8_t first = in_->Byte();
          for (int i = 0; i < count; ++i) {
            const std::string key = KeyFromByte(static_cast<std::uint8_t>(first + 7 * i));
            const std::string value = NextValue(1024);
            Check(db_->Put(WriteOptions(), key, value), "bulk Put");
            model_[key] = value;
          }
          break;
        }
        case kGetSnapshot:
          if (snapshots_.size() == kMaxSnapshots) ReleaseSnapshot(0);
          snapshots_.push_back({db_->GetSnapshot(), model_, nullptr});
          // Not under the budget: iterators that never move would pin its
          // memtables, and writes would wait for room that never comes.
          if (options_.memory_budget == nullptr) {
            snapshots_.back().held = db_->NewIterator(ReadOptions());
          }
          break;
        case kReleaseSnapshot:
          if (!snapshots_.empty()) ReleaseSnapshot(in_->Byte() % snapshots_.size());
          break;
        case kGet: {
          const auto [ro, model] = NextRead();
          CheckGet(ro, *model, NextKey());
          break;
        }
        case kScanForward:
        case kScanBackward:
          ScanOp(/*forward=*/op == kScanForward);
          break;
        case kWalk:
          WalkOp();
          break;
        case kFlush:
          Check(db_->Flush(), "Flush");
          break;
        case kCompactRange: {
          const std::uint8_t ends = in_->Byte();
          std::optional<std::string> begin, end;
          if ((ends & 1) != 0) begin = NextKey();
          if ((ends & 2) != 0) end = NextKey();
          Check(db_->CompactRange(begin, end), "CompactRange");
          break;
        }
        case kReopen:
          Reopen();
          break;
        case kNumOps:
          break;
      }
    }
    // Everything reads back, at each snapshot too, and from the files alone.
    CheckAll(ReadOptions(), model_);
    for (const SnapshotModel& snap : snapshots_) {
      ReadOptions ro;
      ro.snapshot = snap.snapshot;
      CheckAll(ro, snap.model);
    }
    Check(db_->VerifyChecksum(), "VerifyChecksum");
    Reopen();
    CheckAll(ReadOptions(), model_);
  }

 private:
  struct SnapshotModel {
    const Snapshot* snapshot;
    KvMap model;  // what the DB held when the snapshot was taken
    // An iterator created with it, at the latest state (no snapshot): it
    // reads at the same sequence and moves to newer views as flushes and
    // compactions replace its own (ReadOptions::auto_refresh_iterator).
    // None under a memory budget.
    std::unique_ptr<Iterator> held;
  };

  void Check(const Status& s, std::string_view what) {
    FUZZ_CHECK(s.ok(),
               "op " + std::to_string(op_index_) + " " + std::string(what) + ": " + s.ToString());
  }

  // 0-3 characters from "abc": the length in bits 0-1, then 2 bits per character.
  static std::string KeyFromByte(std::uint8_t b) {
    std::string key(b % 4, 'a');
    for (std::size_t i = 0; i < key.size(); ++i) {
      key[i] = static_cast<char>('a' + (b >> (2 + 2 * i)) % 3);
    }
    return key;
  }
  std::string NextKey() { return KeyFromByte(in_->Byte()); }

  // Unique per write, so a stale version never reads as the current one.
  std::string NextValue(std::size_t padding) {
    std::string value = "v" + std::to_string(++writes_);
    value.append(padding, static_cast<char>('a' + writes_ % 26));
    return value;
  }

  WriteOptions NextWriteOptions() {
    const std::uint8_t b = in_->Byte();
    WriteOptions wo;
    wo.sync = b % 4 == 1;
    wo.disable_wal = b % 4 == 2;
    return wo;
  }

  // The latest state, or one of the live snapshots, with its model.
  std::pair<ReadOptions, const KvMap*> NextRead() {
    const std::uint8_t b = in_->Byte();
    ReadOptions ro;
    ro.verify_checksums = (b & 0x80) == 0;
    const std::size_t pick = b & 7;
    if (pick < snapshots_.size()) {
      ro.snapshot = snapshots_[pick].snapshot;
      return {ro, &snapshots_[pick].model};
    }
    return {ro, &model_};
  }

  void ReleaseSnapshot(std::size_t i) {
    snapshots_[i].held.reset();
    db_->ReleaseSnapshot(snapshots_[i].snapshot);
    snapshots_.erase(snapshots_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  void WriteBatchOp() {
    const WriteOptions wo = NextWriteOptions();
    const int count = 1 + in_->Byte() % 4;
    WriteBatch batch;
    std::vector<std::pair<std::string, std::optional<std::string>>> ops;  // nullopt: delete
    for (int i = 0; i < count; ++i) {
      const std::string key = NextKey();
      if ((in_->Byte() & 1) != 0) {
        const std::string value = NextValue(in_->Byte() % 64);
        batch.Put(key, value);
        ops.emplace_back(key, value);
      } else {
        batch.Delete(key);
        ops.emplace_back(key, std::nullopt);
      }
    }
    Check(db_->Write(wo, &batch), "Write");
    for (auto& [key, value] : ops) {
      if (value.has_value()) {
        model_[key] = std::move(*value);
      } else {
        model_.erase(key);
      }
    }
  }

  void CheckGet(const ReadOptions& ro, const KvMap& model, const std::string& key) {
    std::string value;
    const Status s = db_->Get(ro, key, &value);
    const auto it = model.find(key);
    const std::string where = "op " + std::to_string(op_index_) + " Get(" + Printable(key) +
                              (ro.snapshot != nullptr ? ") at a snapshot: " : "): ");
    if (it == model.end()) {
      FUZZ_CHECK(s.IsNotFound(),
                 where + "expected NotFound, got " + s.ToString() + " " + Printable(value));
    } else {
      FUZZ_CHECK(s.ok(), where + "expected " + Printable(it->second) + ", got " + s.ToString());
      FUZZ_CHECK(value == it->second,
                 where + "expected " + Printable(it->second) + ", got " + Printable(value));
    }
  }

  // The model's entries within [lower, upper).
  static std::vector<std::pair<std::string, std::string>> InBounds(const KvMap& model,
                                                                   const ReadOptions& ro) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [key, value] : model) {
      if (ro.lower_bound && key < *ro.lower_bound) continue;
      if (ro.upper_bound && key >= *ro.upper_bound) continue;
      out.emplace_back(key, value);
    }
    return out;
  }

  void NextBounds(ReadOptions* ro) {
    const std::uint8_t b = in_->Byte();
    if ((b & 1) != 0) ro->lower_bound = NextKey();
    if ((b & 2) != 0) ro->upper_bound = NextKey();
  }

  void ScanOp(bool forward) {
    auto [ro, model] = NextRead();
    NextBounds(&ro);
    CheckScan(ro, *model, forward);
  }

  // Under a budget an iterator may find no room for a table reader: a clear
  // MemoryLimit, not wrong data (table_cache.h).
  bool OverBudget(const Status& s) const {
    return options_.memory_budget != nullptr && s.IsMemoryLimit();
  }

  void CheckScan(const ReadOptions& ro, const KvMap& model, bool forward) {
    const auto expected = InBounds(model, ro);
    std::unique_ptr<Iterator> iter = db_->NewIterator(ro);
    std::vector<std::pair<std::string, std::string>> got;
    if (forward) {
      for (iter->SeekToFirst(); iter->Valid() && got.size() <= expected.size(); iter->Next()) {
        got.emplace_back(iter->key(), iter->value());
      }
    } else {
      for (iter->SeekToLast(); iter->Valid() && got.size() <= expected.size(); iter->Prev()) {
        got.emplace_back(iter->key(), iter->value());
      }
      std::reverse(got.begin(), got.end());
    }
    const std::string where = "op " + std::to_string(op_index_) +
                              (forward ? " forward" : " backward") + " scan" +
                              (ro.snapshot != nullptr ? " at a snapshot" : "") +
                              (ro.lower_bound ? " from " + Printable(*ro.lower_bound) : "") +
                              (ro.upper_bound ? " to " + Printable(*ro.upper_bound) : "") + ": ";
    if (OverBudget(iter->status())) return;
    FUZZ_CHECK(iter->status().ok(), where + iter->status().ToString());
    FUZZ_CHECK(got.size() == expected.size(), where + std::to_string(got.size()) +
                                                  " entries, expected " +
                                                  std::to_string(expected.size()));
    for (std::size_t i = 0; i < got.size(); ++i) {
      FUZZ_CHECK(got[i] == expected[i],
                 where + "entry " + std::to_string(i) + " is " + Printable(got[i].first) + "=" +
                     Printable(got[i].second) + ", expected " + Printable(expected[i].first) + "=" +
                     Printable(expected[i].second));
    }
  }

  // A seek, then up to 8 steps in either direction, each position checked.
  // At a snapshot, bit 7 of the second byte walks the iterator held since
  // the snapshot was taken instead of a new one (and ignores the bounds).
  void WalkOp() {
    auto [ro, model] = NextRead();
    NextBounds(&ro);
    const std::uint8_t how = in_->Byte();
    Iterator* held = nullptr;
    for (SnapshotModel& snap : snapshots_) {
      if ((how & 0x80) != 0 && snap.snapshot == ro.snapshot) held = snap.held.get();
    }
    if (held != nullptr) ro.lower_bound = ro.upper_bound = std::nullopt;
    const auto expected = InBounds(*model, ro);
    const auto n = static_cast<std::ptrdiff_t>(expected.size());
    std::unique_ptr<Iterator> fresh = held == nullptr ? db_->NewIterator(ro) : nullptr;
    Iterator* iter = held != nullptr ? held : fresh.get();
    std::ptrdiff_t pos = 0;  // in expected; valid iff 0 <= pos < n
    std::string desc;
    switch (how & 3) {
      case 0:
        iter->SeekToFirst();
        pos = 0;
        desc = "SeekToFirst";
        break;
      case 1:
        iter->SeekToLast();
        pos = n - 1;
        desc = "SeekToLast";
        break;
      case 2: {
        const std::string target = NextKey();
        iter->Seek(target);
        pos = std::lower_bound(expected.begin(), expected.end(), target,
                               [](const auto& e, const std::string& t) { return e.first < t; }) -
              expected.begin();
        desc = "Seek(" + Printable(target) + ")";
        break;
      }
      default: {
        const std::string target = NextKey();
        iter->SeekForPrev(target);
        pos = std::upper_bound(expected.begin(), expected.end(), target,
                               [](const std::string& t, const auto& e) { return t < e.first; }) -
              expected.begin() - 1;
        desc = "SeekForPrev(" + Printable(target) + ")";
        break;
      }
    }
    const int steps = (how >> 2) & 7;
    const std::uint8_t directions = in_->Byte();
    for (int step = 0;; ++step) {
      const std::string where = "op " + std::to_string(op_index_) + " walk " + desc +
                                (held != nullptr          ? " of a held iterator"
                                 : ro.snapshot != nullptr ? " at a snapshot"
                                                          : "") +
                                (ro.lower_bound ? " from " + Printable(*ro.lower_bound) : "") +
                                (ro.upper_bound ? " to " + Printable(*ro.upper_bound) : "") +
                                ", step " + std::to_string(step) + ": ";
      if (OverBudget(iter->status())) return;
      FUZZ_CHECK(iter->status().ok(), where + iter->status().ToString());
      const bool valid = pos >= 0 && pos < n;
      FUZZ_CHECK(iter->Valid() == valid,
                 where + (valid ? "invalid, expected " + Printable(expected[pos].first)
                                : "valid at " + Printable(iter->key()) + ", expected the end"));
      if (!valid) break;
      FUZZ_CHECK(iter->key() == expected[pos].first && iter->value() == expected[pos].second,
                 where + "at " + Printable(iter->key()) + "=" + Printable(iter->value()) +
                     ", expected " + Printable(expected[pos].first) + "=" +
                     Printable(expected[pos].second));
      if (step == steps) break;
      if ((directions >> step) & 1) {
        iter->Next();
        ++pos;
        desc += " Next";
      } else {
        iter->Prev();
        --pos;
        desc += " Prev";
      }
    }
  }

  // Every key at the latest state and each snapshot, and a scan each way.
  void CheckAll(const ReadOptions& ro, const KvMap& model) {
    // Every key NextKey can make: 0-3 characters from "abc".
    std::vector<std::string> keys = {""};
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].size() == 3) continue;
      for (const char c : {'a', 'b', 'c'}) keys.push_back(keys[i] + c);
    }
    for (const std::string& key : keys) CheckGet(ro, model, key);
    CheckScan(ro, model, true);
    CheckScan(ro, model, false);
  }

  // A clean close and reopen: snapshots do not survive it.
  void Reopen() {
    while (!snapshots_.empty()) ReleaseSnapshot(snapshots_.size() - 1);
    Check(db_->Close(), "Close");
    db_.reset();
    Check(DB::Open(options_, kDbPath, &db_), "reopen");
  }

  fuzz::InputCursor* in_;
  MemFileSystem fs_;  // outlives db_
  Options options_;
  std::unique_ptr<DB> db_;
  KvMap model_;
  std::vector<SnapshotModel> snapshots_;
  std::uint64_t writes_ = 0;
  int op_index_ = 0;
};

}  // namespace
}  // namespace arenakv

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;  // long programs only slow the search down
  arenakv::fuzz::InputCursor in(data, size);
  arenakv::DbOpsFuzzer fuzzer(&in);
  fuzzer.Run();
  return 0;
}
