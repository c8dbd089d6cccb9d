// SPDX-License-Identifier: Apache-2.0
// MemTable lifetime: iterators hold a MemTableRef, so they keep reading correctly
// after the engine drops its reference; the memtable (and with it the whole
// arena) goes exactly when the last reference does, in whichever thread that is.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "mvcc/memtable/memtable.h"
#include "tests/support/arena_test_util.h"

namespace arenakv {
namespace {

constexpr int kKeys = 1000;

std::string KeyOf(int i) { return "key" + std::to_string(10000 + i); }
std::string ValueOf(int i) {
  return std::string(static_cast<std::size_t>(i % 50), 'v') + "#" + std::to_string(i);
}

// kKeys keys, each put at sequence 2i+1; every third key deleted at 2i+2.
MemTableRef Populated() {
  MemTableRef table = MemTable::Create(64 << 20, 256 << 20);
  for (int i = 0; i < kKeys; ++i) {
    const SequenceNumber seq = 2 * static_cast<SequenceNumber>(i) + 1;
    EXPECT_TRUE(table->Add(seq, EntryKind::kPut, KeyOf(i), ValueOf(i)).ok());
    if (i % 3 == 0) {
      EXPECT_TRUE(table->Add(seq + 1, EntryKind::kDelete, KeyOf(i), "").ok());
    }
  }
  return table;
}

// Number of keys SnapshotIterator shows at kMaxSequenceNumber, checking each.
int CountVisibleChecked(MemTable::SnapshotIterator& it) {
  int n = 0, i = 1;  // key 0 is deleted
  for (it.SeekToFirst(); it.Valid(); it.Next(), ++n, ++i) {
    if (i % 3 == 0) ++i;
    if (it.key() != KeyOf(i) || it.value() != ValueOf(i)) return -1;
  }
  return n;
}
constexpr int kVisibleKeys = kKeys - (kKeys + 2) / 3;

TEST(MemTableLifecycleTest, IteratorsReadCorrectlyAfterEngineDropsItsReference) {
  MemTableRef table = Populated();
  const std::weak_ptr<MemTable> watch = table;
  std::optional<MemTable::EntryIterator> entries(std::in_place, table);
  std::optional<MemTable::SnapshotIterator> snapshot(std::in_place, table, kMaxSequenceNumber);
  table.reset();  // the engine moves on; only the iterators hold the memtable now
  ASSERT_FALSE(watch.expired());

  int versions = 0;
  for (entries->SeekToFirst(); entries->Valid(); entries->Next()) ++versions;
  EXPECT_EQ(versions, kKeys + (kKeys + 2) / 3);
  EXPECT_EQ(CountVisibleChecked(*snapshot), kVisibleKeys);

  entries.reset();
  EXPECT_FALSE(watch.expired()) << "the snapshot iterator still holds it";
  EXPECT_EQ(CountVisibleChecked(*snapshot), kVisibleKeys);
  snapshot.reset();
  EXPECT_TRUE(watch.expired()) << "released with the last iterator";
}

TEST(MemTableLifecycleTest, ArenaStatsAccountForEveryRecordAndNode) {
  MemTableRef table = Populated();
  std::size_t value_bytes = 0, key_bytes = 0;
  for (int i = 0; i < kKeys; ++i) {
    value_bytes += ValueOf(i).size();
    key_bytes += KeyOf(i).size();
  }
  const std::uint64_t versions = table->num_entries();
  ASSERT_EQ(versions, static_cast<std::uint64_t>(kKeys + (kKeys + 2) / 3));

  const ArenaStats stats = table->arena_stats();
  // Each key is a node of height >= 1 holding its first version (two varints
  // and the value); each later version a chunk with a 4-byte link, two
  // varints and the value.
  const std::size_t lower_bound = kKeys * MemTable::Index::NodeBytes(0, 1) + key_bytes +
                                  (versions - kKeys) * 4 + versions * 2 + value_bytes;
  EXPECT_GT(stats.requested, value_bytes);
  EXPECT_GE(stats.requested, lower_bound);
  EXPECT_GE(stats.allocated, stats.requested);
  EXPECT_EQ(stats.live_chunks,
            versions + 1);  // a node per key, a chunk per later version, the head
  EXPECT_GE(stats.reserved, stats.allocated);
  EXPECT_LE(stats.reserved, stats.capacity);
  EXPECT_EQ(table->ApproximateMemoryUsage(), stats.reserved);
}

TEST(MemTableLifecycleTest, ReadersInOtherThreadsKeepMemTableAliveAfterMainDropsIt) {
  constexpr int kThreads = 3;
  MemTableRef table = Populated();
  table->MarkImmutable();  // as a flushed-away memtable would be
  const std::weak_ptr<MemTable> watch = table;

  std::latch main_dropped(1);
  std::vector<int> visible(kThreads, 0);
  std::vector<int> found(kThreads, 0);
  std::vector<std::thread> readers;
  for (int t = 0; t < kThreads; ++t) {
    // Each reader gets its own reference (for Get) and an iterator (its own too).
    readers.emplace_back(
        [&, t, ref = table, it = MemTable::SnapshotIterator(table, kMaxSequenceNumber)]() mutable {
          main_dropped.wait();
          visible[t] = CountVisibleChecked(it);
          std::string value;
          for (int i = 0; i < kKeys; ++i) {
            if (ref->Get(KeyOf(i), kMaxSequenceNumber, &value) == MemTable::LookupResult::kFound &&
                value == ValueOf(i)) {
              ++found[t];
            }
          }
          ref.reset();  // the last of these drops destroy the memtable in this thread
        });
  }
  table.reset();
  main_dropped.count_down();
  for (auto& r : readers) r.join();

  EXPECT_TRUE(watch.expired());  // the thread lambdas (and their iterators) are gone
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(visible[t], kVisibleKeys) << "reader " << t;
    EXPECT_EQ(found[t], kVisibleKeys) << "reader " << t;
  }
}

// The arena is released whole with the last reference: its pages go back to
// the OS, so a pointer kept past that point faults instead of reading stale
// data (under ASan the fault is reported as a SEGV on an unknown address).
TEST(MemTableLifecycleDeathTest, ReadingAVersionAfterTheLastReferenceIsGoneFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        MemTableRef table = MemTable::Create(1 << 20, 8 << 20);
        if (!table->Add(1, EntryKind::kPut, "key", "value").ok()) std::exit(0);
        std::string_view kept;
        {
          MemTable::SnapshotIterator it(table, 1);
          it.SeekToFirst();
          kept = it.value();
        }
        table.reset();  // last reference: arena released
        volatile char c = kept[0];
        (void)c;
        std::exit(0);  // not reached: the read above faults
      },
      "");
}

}  // namespace
}  // namespace arenakv
