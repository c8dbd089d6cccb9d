// SPDX-License-Identifier: Apache-2.0
// KeyHistoryGc (mvcc/compaction/key_history_gc.h): which versions a flush or compaction keeps,
// entry by entry, for given snapshot sequences and bottommost answers.
#include "mvcc/compaction/key_history_gc.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace arenakv {
namespace {

struct Entry {
  std::string key;
  SequenceNumber sequence;
  EntryKind kind;
};

// The entries KeyHistoryGc keeps, fed in InternalKeyCompare order.
std::vector<SequenceNumber> Kept(std::vector<SequenceNumber> sequences, bool bottommost,
                                 const std::vector<Entry>& entries) {
  KeyHistoryGc gc(std::move(sequences), bottommost ? std::function<bool(std::string_view)>(
                                                         [](std::string_view) { return true; })
                                                   : nullptr);
  std::vector<SequenceNumber> kept;
  for (const Entry& e : entries) {
    if (gc.Keep({e.key, e.sequence, e.kind})) kept.push_back(e.sequence);
  }
  return kept;
}

constexpr EntryKind kPut = EntryKind::kPut;
constexpr EntryKind kDel = EntryKind::kDelete;

TEST(KeyHistoryGcTest, WithoutSnapshotsOnlyTheNewestVersionOfEachKeyStays) {
  EXPECT_EQ(Kept({100}, false, {{"a", 9, kPut}, {"a", 5, kPut}, {"a", 1, kPut}, {"b", 3, kPut}}),
            (std::vector<SequenceNumber>{9, 3}));
}

TEST(KeyHistoryGcTest, EachSnapshotKeepsTheNewestVersionItSees) {
  // Snapshots at 4 and 7: stripes (..4], (4..7], (7..100].
  EXPECT_EQ(Kept({7, 4, 100}, false,
                 {{"a", 9, kPut},
                  {"a", 8, kPut},  // hidden by 9: no reader between 8 and 9
                  {"a", 6, kPut},  // seen by snapshot 7
                  {"a", 5, kPut},  // hidden by 6
                  {"a", 4, kPut},  // seen by snapshot 4
                  {"a", 2, kPut}}),
            (std::vector<SequenceNumber>{9, 6, 4}));
}

TEST(KeyHistoryGcTest, TombstoneEveryoneSeesVanishesAtTheBottomWithWhatItHides) {
  EXPECT_EQ(Kept({100}, true, {{"a", 9, kDel}, {"a", 5, kPut}, {"b", 3, kPut}}),
            (std::vector<SequenceNumber>{3}));
}

TEST(KeyHistoryGcTest, TombstoneStaysAboveTheBottom) {
  EXPECT_EQ(Kept({100}, false, {{"a", 9, kDel}, {"a", 5, kPut}}), (std::vector<SequenceNumber>{9}));
}

TEST(KeyHistoryGcTest, TombstoneNewerThanASnapshotStaysWithTheValueTheSnapshotSees) {
  // Snapshot 6 still reads a@5: the tombstone at 9 is in the newest stripe.
  EXPECT_EQ(Kept({6, 100}, true, {{"a", 9, kDel}, {"a", 5, kPut}, {"a", 4, kPut}}),
            (std::vector<SequenceNumber>{9, 5}));
}

TEST(KeyHistoryGcTest, VisibleToAllMeansAtOrBelowTheOldestSequence) {
  KeyHistoryGc gc({50, 20, 100}, nullptr);
  EXPECT_TRUE(gc.VisibleToAll(20));
  EXPECT_TRUE(gc.VisibleToAll(0));
  EXPECT_FALSE(gc.VisibleToAll(21));
}

TEST(KeyHistoryGcTest, CountsWhatItDrops) {
  KeyHistoryGc gc({100}, [](std::string_view) { return true; });
  EXPECT_TRUE(gc.Keep({"a", 9, kPut}));
  EXPECT_FALSE(gc.Keep({"a", 8, kPut}));
  EXPECT_FALSE(gc.Keep({"b", 7, kDel}));
  EXPECT_FALSE(gc.Keep({"b", 6, kPut}));
  EXPECT_EQ(gc.dropped_hidden(), 2u);
  EXPECT_EQ(gc.dropped_tombstones(), 1u);
}

}  // namespace
}  // namespace arenakv
