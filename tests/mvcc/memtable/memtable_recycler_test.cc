// SPDX-License-Identifier: Apache-2.0
// Specification of MemTableRecycler and MemTable::Recycle: a memtable whose
// last reference goes is made new (empty, writable, its pages kept) and
// handed to the next Create of the same size; a recycled memtable fills to
// ShouldFlush like a fresh one, on resident pages.
#include "mvcc/memtable/memtable_recycler.h"

#include <sys/resource.h>

#include <cstddef>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "mvcc/memtable/memtable.h"

namespace arenakv {
namespace {

constexpr std::size_t kBuffer = 1 << 20;
constexpr std::size_t kCapacity = 8 << 20;

std::string Key(int i) { return "key" + std::to_string(i * 7919 % 100000); }

MemTableRef Make(const std::shared_ptr<MemTableRecycler>& recycler) {
  return MemTable::Create(kBuffer, kCapacity, nullptr, nullptr, recycler);
}

// Adds entries until the memtable wants a flush; returns how many.
int FillUntilFull(MemTable& table, SequenceNumber* sequence) {
  const std::string value(100, 'v');
  int n = 0;
  while (!table.ShouldFlush()) {
    EXPECT_TRUE(table.Add(++*sequence, EntryKind::kPut, Key(n), value).ok());
    ++n;
  }
  return n;
}

long MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_minflt;
}

TEST(MemTableRecyclerTest, AFlushedMemtableComesBackEmptyAndFillsOnItsOwnPages) {
  auto recycler = std::make_shared<MemTableRecycler>(kBuffer, kCapacity, kCapacity, 1);
  SequenceNumber sequence = 0;
  const MemTable* first = nullptr;
  long cold_faults = 0;
  int cold_entries = 0;
  {
    MemTableRef table = Make(recycler);
    first = table.get();
    const long before = MinorFaults();
    cold_entries = FillUntilFull(*table, &sequence);
    cold_faults = MinorFaults() - before;
    table->MarkImmutable();
  }
  EXPECT_EQ(recycler->idle(), 1u);
  EXPECT_GT(recycler->idle_reserved_bytes(), kBuffer / 2);

  MemTableRef table = Make(recycler);
  EXPECT_EQ(table.get(), first);
  EXPECT_EQ(recycler->reused(), 1u);
  EXPECT_EQ(recycler->idle(), 0u);
  // New: empty, writable, and its kept pages do not count as used.
  EXPECT_FALSE(table->immutable());
  EXPECT_EQ(table->num_entries(), 0u);
  EXPECT_LT(table->ApproximateMemoryUsage(), kBuffer / 16);
  EXPECT_GT(table->arena_reserved_bytes(), kBuffer / 2);
  std::string value;
  EXPECT_EQ(table->Get(Key(0), kMaxSequenceNumber, &value), MemTable::LookupResult::kNotPresent);

  // It fills to the same point, on the pages it kept.
  const long before = MinorFaults();
  const int warm_entries = FillUntilFull(*table, &sequence);
  const long warm_faults = MinorFaults() - before;
  EXPECT_GT(warm_entries, cold_entries * 9 / 10);
  EXPECT_LT(warm_entries, cold_entries * 11 / 10);
  EXPECT_LT(warm_faults, cold_faults / 4) << "cold " << cold_faults;
  EXPECT_EQ(table->Get(Key(1), kMaxSequenceNumber, &value), MemTable::LookupResult::kFound);
}

TEST(MemTableRecyclerTest, KeepsOnlyItsOwnSizeAndAtMostMaxIdle) {
  auto recycler = std::make_shared<MemTableRecycler>(kBuffer, kCapacity, kCapacity, 1);
  {
    MemTableRef other = MemTable::Create(kBuffer, 2 * kCapacity, nullptr, nullptr, recycler);
    ASSERT_TRUE(other->Add(1, EntryKind::kPut, "k", "v").ok());
  }
  EXPECT_EQ(recycler->idle(), 0u);  // another capacity: destroyed
  {
    MemTableRef a = Make(recycler);
    MemTableRef b = Make(recycler);
    ASSERT_TRUE(a->Add(1, EntryKind::kPut, "a", "1").ok());
    ASSERT_TRUE(b->Add(2, EntryKind::kPut, "b", "2").ok());
  }
  EXPECT_EQ(recycler->idle(), 1u);
  EXPECT_EQ(recycler->reused(), 0u);
}

TEST(MemTableRecyclerTest, AMemtableOutlivingItsRecyclersOwnerIsStillRecycledSafely) {
  auto recycler = std::make_shared<MemTableRecycler>(kBuffer, kCapacity, kCapacity, 1);
  MemTableRef table = Make(recycler);
  recycler.reset();  // the table's deleter keeps it alive
  ASSERT_TRUE(table->Add(1, EntryKind::kPut, "k", "v").ok());
  table.reset();  // recycled into a recycler nobody else holds, then both go
}

}  // namespace
}  // namespace arenakv
