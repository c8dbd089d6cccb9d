// SPDX-License-Identifier: Apache-2.0
// MemTable under concurrent writers and readers.
//
// Writers add versions of overlapping keys (a few hot keys, new keys racing to
// be created) with globally unique sequences: op i of writer t has sequence
// base + i * kWriters + t + 1, so writers reach each key out of sequence order.
// Every op is a pure function of (t, i), so the full model is known up front.
//
// Why the readers' verdicts are deterministic:
//   - A snapshot taken before the writers start (the base) sees exactly the base
//     contents, however far the writers have got: later sequences are invisible.
//   - Each writer publishes how many of its ops have returned (release store after
//     each batch). If m is the minimum over writers, every op with sequence
//     <= base + m * kWriters has returned (op i of writer t has sequence
//     <= base + m * kWriters iff i < m), and the acquire load orders those Adds
//     before the read: reads at that "safe snapshot" equal the model exactly,
//     whatever else is in flight. Visibility is monotonic: the version a reader
//     verified for a key is never followed by an older one.
//   - EntryIterator shows some subset of the versions, but always sorted: keys
//     strictly ascending, sequences strictly descending within a key.
// Readers loop until the writers are done, then make one last pass: bounded.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "arenakv/mvcc/memory_budget.h"
#include "gtest/gtest.h"
#include "mvcc/memtable/memtable.h"
#include "tests/support/arena_test_util.h"

namespace arenakv {
namespace {

constexpr int kWriters = test::kOpsScale == 1 ? 4 : 2;
constexpr int kReaders = 2;
constexpr int kOpsPerWriter = 20000 / test::kOpsScale;
constexpr int kBatch = 64;                 // ops between two publications
constexpr int kBaseKeys = 512;             // present before the writers start
constexpr int kAllKeys = kBaseKeys + 128;  // the rest are created by racing writers
constexpr int kHotKeys = 8;
constexpr int kMaxErrorsPerReader = 10;

// Fixed width: numeric order is byte order.
std::string KeyOf(int id) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%05d", id);
  return buf;
}

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Op {
  int key;
  SequenceNumber sequence;
  EntryKind kind;
  std::string value;  // ends in "@<sequence>" for a put
};

using Versions = std::map<SequenceNumber, std::optional<std::string>, std::greater<>>;

class MemTableConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Base: every base key put; every 5th then deleted; every 7th put again.
    auto base_add = [&](int key, EntryKind kind) {
      ++base_seq_;
      const std::string value =
          kind == EntryKind::kPut ? "base@" + std::to_string(base_seq_) : std::string();
      ASSERT_TRUE(table_->Add(base_seq_, kind, KeyOf(key), value).ok());
      Record(key, base_seq_, kind, value);
    };
    for (int k = 0; k < kBaseKeys; ++k) base_add(k, EntryKind::kPut);
    for (int k = 0; k < kBaseKeys; k += 5) base_add(k, EntryKind::kDelete);
    for (int k = 0; k < kBaseKeys; k += 7) base_add(k, EntryKind::kPut);
    base_view_ = VisibleView(base_seq_);
    for (int t = 0; t < kWriters; ++t) {
      for (int i = 0; i < kOpsPerWriter; ++i) {
        const Op op = WriterOp(t, i);
        Record(op.key, op.sequence, op.kind, op.value);
      }
    }
  }

  Op WriterOp(int writer, int i) const {
    const std::uint64_t h = SplitMix64(static_cast<std::uint64_t>(writer) << 32 | i);
    Op op;
    op.key = static_cast<int>((h >> 40) % 8 == 0 ? h % kHotKeys : h % kAllKeys);
    op.sequence = base_seq_ + static_cast<SequenceNumber>(i) * kWriters + writer + 1;
    op.kind = (h >> 20) % 8 == 0 ? EntryKind::kDelete : EntryKind::kPut;
    if (op.kind == EntryKind::kPut) {
      // Appended piece by piece: GCC 12 warns (-Wrestrict) on "lit" + std::string&&.
      op.value.append("w").append(std::to_string(writer));
      op.value.append("@").append(std::to_string(op.sequence));
    }
    return op;
  }

  void Record(int key, SequenceNumber seq, EntryKind kind, const std::string& value) {
    model_[key][seq] = kind == EntryKind::kPut ? std::optional(value) : std::nullopt;
  }

  // Newest model version of `key` at or below `snapshot`: (sequence, value), or sequence 0.
  std::pair<SequenceNumber, const std::optional<std::string>*> Expected(
      int key, SequenceNumber snapshot) const {
    const Versions& versions = model_[key];
    auto it = versions.lower_bound(snapshot);
    if (it == versions.end()) return {0, nullptr};
    return {it->first, &it->second};
  }

  std::vector<std::string> VisibleView(SequenceNumber snapshot) const {
    std::vector<std::string> out;
    for (int k = 0; k < kAllKeys; ++k) {
      auto [seq, value] = Expected(k, snapshot);
      if (seq != 0 && value->has_value()) out.push_back(KeyOf(k) + "=" + **value);
    }
    return out;
  }

  static std::vector<std::string> ReadView(const MemTableRef& table, SequenceNumber snapshot,
                                           bool backward) {
    std::vector<std::string> out;
    MemTable::SnapshotIterator it(table, snapshot);
    if (backward) {
      for (it.SeekToLast(); it.Valid(); it.Prev()) {
        out.push_back(std::string(it.key()) + "=" + std::string(it.value()));
      }
      std::reverse(out.begin(), out.end());
    } else {
      for (it.SeekToFirst(); it.Valid(); it.Next()) {
        out.push_back(std::string(it.key()) + "=" + std::string(it.value()));
      }
    }
    return out;
  }

  SequenceNumber SafeSnapshot() const {
    std::uint64_t m = kOpsPerWriter;
    for (const auto& p : published_) m = std::min(m, p.load(std::memory_order_acquire));
    return base_seq_ + m * kWriters;
  }

  // One reader pass; appends what it finds wrong to *errors.
  void ReaderPass(int reader, int pass, std::vector<SequenceNumber>* last_verified,
                  SequenceNumber* last_snapshot, std::vector<std::string>* errors) const {
    auto fail = [&](std::string what) {
      if (errors->size() < kMaxErrorsPerReader) errors->push_back(std::move(what));
    };
    // 1. The base snapshot is stable while writes continue.
    if (ReadView(table_, base_seq_, pass % 2 == 1) != base_view_) {
      fail("pass " + std::to_string(pass) + ": base snapshot view changed");
    }
    // 2. EntryIterator stays sorted, and never loses a base version.
    {
      MemTable::EntryIterator it(table_);
      std::string prev_key;
      SequenceNumber prev_seq = 0;
      std::uint64_t base_versions = 0;
      bool first = true;
      for (it.SeekToFirst(); it.Valid(); it.Next()) {
        const std::string key(it.key());
        if (!first && (key < prev_key || (key == prev_key && it.sequence() >= prev_seq))) {
          fail("EntryIterator out of order at " + key + " @" + std::to_string(it.sequence()));
          break;
        }
        if (it.sequence() <= base_seq_) ++base_versions;
        prev_key = key;
        prev_seq = it.sequence();
        first = false;
      }
      if (base_versions != base_seq_) fail("EntryIterator lost base versions");
    }
    // 3. Exact, monotonic reads at the safe snapshot.
    const SequenceNumber snapshot = SafeSnapshot();
    if (snapshot < *last_snapshot) fail("safe snapshot went backwards");
    *last_snapshot = snapshot;
    std::string value;
    for (int j = 0; j < 64; ++j) {
      const int key = (pass * 64 + j + reader * 31) % kAllKeys;
      const auto [seq, expected] = Expected(key, snapshot);
      const MemTable::LookupResult r = table_->Get(KeyOf(key), snapshot, &value);
      const bool match = seq == 0 ? r == MemTable::LookupResult::kNotPresent
                         : !expected->has_value()
                             ? r == MemTable::LookupResult::kDeleted
                             : r == MemTable::LookupResult::kFound && value == **expected;
      if (!match) {
        fail("Get(" + KeyOf(key) + ", " + std::to_string(snapshot) + ") expected @" +
             std::to_string(seq));
      }
      if (seq < (*last_verified)[key]) fail("visibility went backwards for " + KeyOf(key));
      (*last_verified)[key] = seq;
    }
    if (pass % 4 == 0 && ReadView(table_, snapshot, pass % 8 == 4) != VisibleView(snapshot)) {
      fail("view at safe snapshot " + std::to_string(snapshot) + " differs from the model");
    }
  }

  MemTableRef table_ = MemTable::Create(64 << 20, 512 << 20);
  SequenceNumber base_seq_ = 0;
  mutable std::array<Versions, kAllKeys> model_;  // read-only once threads start
  std::vector<std::string> base_view_;
  std::array<std::atomic<std::uint64_t>, kWriters> published_{};
};

TEST_F(MemTableConcurrencyTest, ReadersSeeStableSnapshotsAndSortedVersionsWhileWritersAdd) {
  std::atomic<bool> writers_done{false};
  std::array<std::vector<std::string>, kReaders> reader_errors;
  std::array<int, kReaders> reader_passes{};
  std::atomic<int> failed_adds{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      std::vector<SequenceNumber> last_verified(kAllKeys, 0);
      SequenceNumber last_snapshot = 0;
      int pass = 0;
      bool last = false;
      while (!last) {
        last = writers_done.load(std::memory_order_acquire);  // one pass after the writers
        ReaderPass(r, pass++, &last_verified, &last_snapshot, &reader_errors[r]);
      }
      reader_passes[r] = pass;
    });
  }
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kOpsPerWriter; ++i) {
        const Op op = WriterOp(t, i);
        if (!table_->Add(op.sequence, op.kind, KeyOf(op.key), op.value).ok()) {
          failed_adds.fetch_add(1, std::memory_order_relaxed);
        }
        if ((i + 1) % kBatch == 0 || i + 1 == kOpsPerWriter) {
          published_[t].store(i + 1, std::memory_order_release);
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  writers_done.store(true, std::memory_order_release);
  for (auto& r : readers) r.join();

  EXPECT_EQ(failed_adds.load(), 0);
  for (int r = 0; r < kReaders; ++r) {
    EXPECT_GE(reader_passes[r], 1);
    EXPECT_TRUE(reader_errors[r].empty()) << "reader " << r << ": " << reader_errors[r].front();
  }
  EXPECT_EQ(SafeSnapshot(), base_seq_ + SequenceNumber{kOpsPerWriter} * kWriters);

  // Quiescent: everything, exactly.
  EXPECT_EQ(table_->num_entries(), base_seq_ + std::uint64_t{kOpsPerWriter} * kWriters);
  std::vector<std::string> expected, actual;
  for (int k = 0; k < kAllKeys; ++k) {
    for (const auto& [seq, value] : model_[k]) {
      expected.push_back(KeyOf(k) + "@" + std::to_string(seq) + "=" + value.value_or("<del>"));
    }
  }
  MemTable::EntryIterator it(table_);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    actual.push_back(std::string(it.key()) + "@" + std::to_string(it.sequence()) + "=" +
                     (it.kind() == EntryKind::kPut ? std::string(it.value()) : "<del>"));
  }
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(ReadView(table_, kMaxSequenceNumber, false), VisibleView(kMaxSequenceNumber));
  EXPECT_EQ(ReadView(table_, kMaxSequenceNumber, true), VisibleView(kMaxSequenceNumber));
}

}  // namespace
}  // namespace arenakv

namespace arenakv {
namespace {

// The arena fills up while several writers insert: every Add either is
// acknowledged and then fully there, or is refused with MemoryLimit and left
// no trace (no entry, no half-linked node), whichever writer hit the wall.
TEST(MemTableExhaustionTest, ConcurrentWritersHittingAFullArenaKeepExactlyTheAcknowledged) {
  constexpr std::size_t kCapacity = 1 << 20;
  constexpr int kThreads = 4;
  MemTableRef table = MemTable::Create(kCapacity, kCapacity);
  // (key, sequence) -> value of every acknowledged Add, per writer.
  std::vector<std::map<std::pair<std::string, SequenceNumber>, std::string>> acked(kThreads);
  std::vector<int> refused(kThreads, 0);
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (std::uint64_t i = 0; i < 200000 && refused[t] < 100; ++i) {
        const SequenceNumber seq = i * kThreads + static_cast<std::uint64_t>(t) + 1;
        const std::string key =
            "key" + std::to_string(1000 + (i * 7 + static_cast<std::uint64_t>(t)) % 4000);
        const std::string value(i % 3 == 0 ? 200 : 16, static_cast<char>('a' + t));
        const Status s = table->Add(seq, EntryKind::kPut, key, value);
        if (s.ok()) {
          acked[t][{key, seq}] = value;
        } else {
          EXPECT_TRUE(s.IsMemoryLimit()) << s.ToString();
          ++refused[t];
        }
      }
    });
  }
  for (std::thread& w : writers) w.join();
  std::map<std::pair<std::string, SequenceNumber>, std::string> all;
  int total_refused = 0;
  for (int t = 0; t < kThreads; ++t) {
    all.insert(acked[t].begin(), acked[t].end());
    total_refused += refused[t];
  }
  ASSERT_GT(total_refused, 0) << "the arena never filled up";
  EXPECT_EQ(table->num_entries(), all.size());
  std::map<std::pair<std::string, SequenceNumber>, std::string> found;
  MemTable::EntryIterator it(table);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    found[{std::string(it.key()), it.sequence()}] = std::string(it.value());
  }
  EXPECT_EQ(found.size(), all.size());
  EXPECT_TRUE(found == all) << "the table holds other versions than the acknowledged ones";
  std::string value;
  for (const auto& [key_seq, expected] : all) {
    ASSERT_EQ(table->Get(key_seq.first, key_seq.second, &value), MemTable::LookupResult::kFound);
    ASSERT_EQ(value, expected);
  }
}

// With a memory budget, a reservation of InsertBound() is enough for any
// group of concurrent Adds: here the rest of the budget is taken by another
// consumer before every round, so the inserts can only draw on what was
// reserved, and none may fail. The budget's memtable charge is the arena's
// committed bytes plus the reservation, and all of it comes back.
TEST(MemTableBudgetTest, ReservedGroupsNeverFailAndChargesMatchTheArena) {
  // Values of 0 to 3 KiB reach about 60 slab classes: each thread may open
  // a 64 KiB step in each, so a round's bound is about 16 MiB.
  constexpr std::size_t kLimit = 64 << 20;
  constexpr int kThreads = 4;
  constexpr int kOpsPerThread = 40;
  MemoryBudget budget(kLimit);
  MemTableRef table = MemTable::Create(64 << 20, 256 << 20, nullptr, &budget);
  const auto memtables = MemoryBudget::Consumer::kMemtables;
  const auto other = MemoryBudget::Consumer::kOther;
  SequenceNumber next = 1;
  int rounds = 0;
  for (;; ++rounds) {
    // Each op: a fresh key or one of 16 hot keys (a version chunk), values
    // from 0 to 3 KiB, so nodes and versions of many slabs are allocated.
    std::vector<std::vector<std::pair<std::string, std::string>>> ops(kThreads);
    std::size_t need = 0;
    std::size_t pools = 0;
    for (int t = 0; t < kThreads; ++t) {
      MemTable::InsertPools thread_pools;
      for (int i = 0; i < kOpsPerThread; ++i) {
        const int n = rounds * kThreads * kOpsPerThread + t * kOpsPerThread + i;
        std::string key = n % 3 == 0 ? "hot" + std::to_string(n % 16) : "k" + std::to_string(n);
        std::string value(static_cast<std::size_t>(n * 7919 % 3072), 'v');
        need += MemTable::AddBound(key.size() + value.size(), 1, /*racing=*/true);
        thread_pools.Add(key.size(), value.size());
        ops[t].emplace_back(std::move(key), std::move(value));
      }
      pools += thread_pools.pools();
    }
    const std::size_t bound = table->InsertBound(need, pools);
    const std::size_t reserved_before = table->reserved();
    if (!table->Reserve(bound)) {
      EXPECT_EQ(table->reserved(), reserved_before);  // a refusal changes nothing
      break;
    }
    const std::size_t rest = kLimit - budget.charged();
    ASSERT_TRUE(budget.TryCharge(other, rest));  // nothing left beyond the reservation
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t, first = next + static_cast<SequenceNumber>(t * kOpsPerThread)] {
        for (int i = 0; i < kOpsPerThread; ++i) {
          const Status s = table->Add(first + static_cast<SequenceNumber>(i), EntryKind::kPut,
                                      ops[t][i].first, ops[t][i].second);
          if (!s.ok()) failures.fetch_add(1);
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    next += kThreads * kOpsPerThread;
    budget.Release(other, rest);
    ASSERT_EQ(failures.load(), 0) << "round " << rounds;
    ASSERT_EQ(budget.charged(memtables), table->ApproximateMemoryUsage() + table->reserved());
  }
  EXPECT_GT(rounds, 5);  // the budget, not the test, ended it
  EXPECT_GT(table->ApproximateMemoryUsage(), kLimit / 2);
  table->MarkImmutable();
  EXPECT_EQ(table->reserved(), 0u);
  EXPECT_EQ(budget.charged(memtables), table->ApproximateMemoryUsage());
  table.reset();
  EXPECT_EQ(budget.charged(), 0u);
}

// An Add that no other thread races needs no more than AddBound(racing =
// false): one chunk, a node or a version, rounded up to its slab. Each Add
// here draws only on its own reservation (the rest of the budget is taken),
// for values from empty to 10 MB (slabs of every range, dedicated pools
// above 128 KiB), new keys (nodes) and overwrites (version chunks).
TEST(MemTableBudgetTest, AnAddAloneNeedsNoMoreThanItsBound) {
  constexpr std::size_t kLimit = 128 << 20;
  MemoryBudget budget(kLimit);
  MemTableRef table = MemTable::Create(64 << 20, 256 << 20, nullptr, &budget);
  const auto other = MemoryBudget::Consumer::kOther;
  const std::size_t value_sizes[] = {0,      1,       7,      100,     497,     505,
                                     513,    1000,    4095,   65536,   131072,  131073,
                                     200000, 1 << 20, 999999, 4 << 20, 10000000};
  SequenceNumber sequence = 1;
  for (const bool overwrite : {false, true}) {
    for (const std::size_t value_size : value_sizes) {
      for (const std::size_t key_size : {std::size_t{1}, std::size_t{300}}) {
        const std::string key = std::to_string(value_size) + std::string(key_size, 'k');
        const std::string value(value_size, 'v');
        MemTable::InsertPools pools;
        pools.Add(key.size(), value.size());
        const std::size_t need = MemTable::AddBound(key.size() + value.size(), 1, false);
        ASSERT_TRUE(table->Reserve(table->InsertBound(need, pools.pools())));
        const std::size_t rest = kLimit - budget.charged();
        ASSERT_TRUE(budget.TryCharge(other, rest));
        const std::size_t before = table->ApproximateMemoryUsage();
        ASSERT_TRUE(table->Add(sequence++, EntryKind::kPut, key, value).ok())
            << "value " << value_size << ", key " << key.size() << ", overwrite " << overwrite;
        budget.Release(other, rest);
        EXPECT_LE(table->ApproximateMemoryUsage() - before, table->InsertBound(need, 1));
        ASSERT_TRUE(table->Reserve(0));
      }
    }
  }
  // The bound is the slab rounding (under an eighth) and a node's fixed
  // bytes, not twice the value: a 10 MB value reserves 11.25 MB and change.
  EXPECT_LT(MemTable::AddBound(10'000'000, 1, false), 11'250'000u + 256);
  EXPECT_EQ(MemTable::AddBound(10'000'000, 1, true), 2 * MemTable::AddBound(10'000'000, 1, false));
}

}  // namespace
}  // namespace arenakv
