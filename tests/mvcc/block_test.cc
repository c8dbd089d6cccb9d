#include "mvcc/block.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mvcc/block_builder.h"
#include "mvcc/coding.h"
#include "mvcc/dbformat.h"

namespace arenakv {
namespace {

using Entry = std::pair<std::string, std::string>;

// Sorted internal keys sharing long prefixes (so prefix compression matters),
// some user keys with several versions, binary bytes and empty values.
std::vector<Entry> MakeEntries(int n) {
  std::vector<Entry> entries;
  for (int i = 0; i < n; ++i) {
    std::string user_key = "user/" + std::to_string(100000 + i / 3);
    user_key.push_back('\0');
    user_key.push_back(static_cast<char>(i % 7));
    const SequenceNumber sequence = 1000 - i % 3;  // descending within a user key
    const EntryKind kind = i % 5 == 0 ? EntryKind::kDelete : EntryKind::kPut;
    entries.emplace_back(InternalKey(user_key, sequence, kind),
                         i % 4 == 0 ? std::string() : std::string(i % 50, 'v'));
  }
  // Different i % 7 bytes break the order of user keys sharing i / 3: sort.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return InternalKeyCompare(a.first, b.first) < 0;
  });
  return entries;
}

std::string BuildBlock(const std::vector<Entry>& entries, int restart_interval) {
  BlockBuilder builder(restart_interval);
  for (const auto& [key, value] : entries) builder.Add(key, value);
  EXPECT_EQ(builder.num_entries(), entries.size());
  const std::size_t estimate = builder.CurrentSizeEstimate();
  std::string block(builder.Finish());
  EXPECT_EQ(block.size(), estimate);
  return block;
}

// A key sorting just after `key` and before any larger entry key: same user
// key, next lower trailer.
std::string JustAfter(std::string_view key) {
  std::string after(ExtractUserKey(key));
  PutFixed64(&after, ExtractTrailer(key) - 1);
  return after;
}

TEST(BlockTest, EmptyBlockHasNoEntries) {
  BlockBuilder builder(16);
  EXPECT_TRUE(builder.empty());
  const std::string block(builder.Finish());
  EXPECT_EQ(block.size(), 8u);
  BlockIterator iter(BlockContents::Owned(block));
  iter.SeekToFirst();
  EXPECT_FALSE(iter.Valid());
  iter.SeekToLast();
  EXPECT_FALSE(iter.Valid());
  iter.Seek(InternalKey("a", 1, EntryKind::kPut));
  EXPECT_FALSE(iter.Valid());
  iter.SeekForPrev(InternalKey("a", 1, EntryKind::kPut));
  EXPECT_FALSE(iter.Valid());
  EXPECT_TRUE(iter.status().ok());
}

TEST(BlockTest, RoundTripsEveryPositionAtManyRestartIntervals) {
  const std::vector<Entry> entries = MakeEntries(300);
  for (const int interval : {1, 2, 3, 7, 16, 64, 1000}) {
    SCOPED_TRACE("restart interval " + std::to_string(interval));
    BlockIterator iter(BlockContents::Owned(BuildBlock(entries, interval)));

    std::size_t i = 0;
    for (iter.SeekToFirst(); iter.Valid(); iter.Next(), ++i) {
      ASSERT_LT(i, entries.size());
      ASSERT_EQ(iter.key(), entries[i].first);
      ASSERT_EQ(iter.value(), entries[i].second);
    }
    EXPECT_EQ(i, entries.size());
    EXPECT_TRUE(iter.status().ok());

    i = entries.size();
    for (iter.SeekToLast(); iter.Valid(); iter.Prev()) {
      ASSERT_GT(i, 0u);
      --i;
      ASSERT_EQ(iter.key(), entries[i].first);
    }
    EXPECT_EQ(i, 0u);

    for (std::size_t j = 0; j < entries.size(); ++j) {
      const std::string& key = entries[j].first;
      iter.Seek(key);
      ASSERT_TRUE(iter.Valid());
      ASSERT_EQ(iter.key(), key);
      ASSERT_EQ(iter.value(), entries[j].second);

      iter.Prev();
      if (j == 0) {
        EXPECT_FALSE(iter.Valid());
      } else {
        ASSERT_TRUE(iter.Valid());
        EXPECT_EQ(iter.key(), entries[j - 1].first);
        iter.Next();
        ASSERT_TRUE(iter.Valid());
        EXPECT_EQ(iter.key(), key);
      }

      // Between entry j and j + 1: Seek finds j + 1, SeekForPrev finds j.
      const std::string between = JustAfter(key);
      iter.Seek(between);
      if (j + 1 == entries.size()) {
        EXPECT_FALSE(iter.Valid());
      } else {
        ASSERT_TRUE(iter.Valid());
        EXPECT_EQ(iter.key(), entries[j + 1].first);
      }
      iter.SeekForPrev(between);
      ASSERT_TRUE(iter.Valid());
      EXPECT_EQ(iter.key(), key);

      iter.SeekForPrev(key);
      ASSERT_TRUE(iter.Valid());
      EXPECT_EQ(iter.key(), key);
    }
    // Before the first and after the last entry.
    iter.Seek(InternalKey("", kMaxSequenceNumber, kKindForSeek));
    ASSERT_TRUE(iter.Valid());
    EXPECT_EQ(iter.key(), entries.front().first);
    iter.SeekForPrev(InternalKey("", kMaxSequenceNumber, kKindForSeek));
    EXPECT_FALSE(iter.Valid());
    iter.Seek(InternalKey("zzz", 0, EntryKind::kDelete));
    EXPECT_FALSE(iter.Valid());
    iter.SeekForPrev(InternalKey("zzz", 0, EntryKind::kDelete));
    ASSERT_TRUE(iter.Valid());
    EXPECT_EQ(iter.key(), entries.back().first);
    EXPECT_TRUE(iter.status().ok());
  }
}

TEST(BlockTest, PrefixCompressionShrinksTheBlock) {
  const std::vector<Entry> entries = MakeEntries(200);
  EXPECT_LT(BuildBlock(entries, 16).size(), BuildBlock(entries, 1).size() * 3 / 4);
}

TEST(BlockTest, ResetStartsAFreshBlock) {
  BlockBuilder builder(4);
  builder.Add(InternalKey("x", 1, EntryKind::kPut), "1");
  builder.Finish();
  builder.Reset();
  EXPECT_TRUE(builder.empty());
  builder.Add(InternalKey("a", 1, EntryKind::kPut), "2");
  BlockIterator iter(BlockContents::Owned(std::string(builder.Finish())));
  iter.SeekToFirst();
  ASSERT_TRUE(iter.Valid());
  EXPECT_EQ(iter.key(), InternalKey("a", 1, EntryKind::kPut));
  EXPECT_EQ(iter.value(), "2");
  iter.Next();
  EXPECT_FALSE(iter.Valid());
}

TEST(BlockTest, HoldsLargeValuesAndEmptyUserKeys) {
  const std::vector<Entry> entries = {
      {InternalKey("", 5, EntryKind::kPut), std::string(1 << 20, 'L')},
      {InternalKey("", 4, EntryKind::kDelete), ""},
      {InternalKey(std::string("\0\0", 2), 9, EntryKind::kPut), std::string("\0v", 2)},
  };
  BlockIterator iter(BlockContents::Owned(BuildBlock(entries, 2)));
  std::size_t i = 0;
  for (iter.SeekToFirst(); iter.Valid(); iter.Next(), ++i) {
    EXPECT_EQ(iter.key(), entries[i].first);
    EXPECT_EQ(iter.value(), entries[i].second);
  }
  EXPECT_EQ(i, entries.size());
}

TEST(BlockTest, MovedContentsStillPointAtTheirBytes) {
  // A short owned string may live inline; the move must re-point the view.
  BlockBuilder builder(1);
  builder.Add(InternalKey("k", 1, EntryKind::kPut), "v");
  const std::string block(builder.Finish());
  BlockContents first = BlockContents::Owned(block);
  BlockContents second = std::move(first);
  EXPECT_TRUE(first.data().empty());
  EXPECT_EQ(second.data(), block);
  BlockContents third;
  third = std::move(second);
  EXPECT_EQ(third.data(), block);
  BlockIterator iter(std::move(third));
  iter.SeekToFirst();
  ASSERT_TRUE(iter.Valid());
  EXPECT_EQ(iter.value(), "v");
}

void ExpectCorruptLayout(std::string block) {
  BlockIterator iter(BlockContents::Owned(std::move(block)));
  iter.SeekToFirst();
  EXPECT_FALSE(iter.Valid());
  EXPECT_TRUE(iter.status().IsCorruption()) << iter.status().ToString();
}

TEST(BlockTest, RejectsBadLayouts) {
  ExpectCorruptLayout("");
  ExpectCorruptLayout("abc");
  // A restart count larger than the block.
  std::string block;
  PutFixed32(&block, 0);
  PutFixed32(&block, 5);
  ExpectCorruptLayout(block);
  // Entries but no restart point.
  block = BuildBlock(MakeEntries(3), 16);
  block.resize(block.size() - 8);
  PutFixed32(&block, 0);
  ExpectCorruptLayout(block);
  // A restart offset past the entries.
  block = BuildBlock(MakeEntries(3), 16);
  EncodeFixed32(block.data() + block.size() - 8, static_cast<std::uint32_t>(block.size()));
  ExpectCorruptLayout(block);
}

TEST(BlockTest, RejectsKeysShorterThanATrailer) {
  BlockBuilder builder(16);
  builder.Add("short", "v");
  ExpectCorruptLayout(std::string(builder.Finish()));
}

TEST(BlockTest, RejectsAnEntryRunningPastTheEntries) {
  BlockBuilder builder(16);
  builder.Add(InternalKey("key", 1, EntryKind::kPut), "value");
  std::string block(builder.Finish());
  block[2] = 100;  // value_length
  ExpectCorruptLayout(block);
}

TEST(BlockTest, RejectsASharedPrefixLongerThanThePreviousKey) {
  BlockBuilder builder(16);
  builder.Add(InternalKey("key", 1, EntryKind::kPut), "value");
  builder.Add(InternalKey("kez", 1, EntryKind::kPut), "value");
  std::string block(builder.Finish());
  const std::size_t second = 3 + 11 + 5;
  ASSERT_EQ(block[second], 2);  // shared
  block[second] = 60;
  BlockIterator iter(BlockContents::Owned(block));
  iter.SeekToFirst();
  ASSERT_TRUE(iter.Valid());
  iter.Next();
  EXPECT_FALSE(iter.Valid());
  EXPECT_TRUE(iter.status().IsCorruption());
  // The error is sticky: no later move makes the iterator valid again.
  iter.SeekToFirst();
  EXPECT_FALSE(iter.Valid());
  EXPECT_TRUE(iter.status().IsCorruption());
}

// Walks a (possibly corrupt) block in every way; any outcome but a crash or
// an out-of-bounds read (caught by ASan) is acceptable.
void ExerciseBlock(const std::string& block, const std::vector<Entry>& entries) {
  BlockIterator iter(BlockContents::View(block));
  int steps = 0;
  for (iter.SeekToFirst(); iter.Valid() && steps < 10000; iter.Next()) ++steps;
  for (iter.SeekToLast(); iter.Valid() && steps < 20000; iter.Prev()) ++steps;
  for (std::size_t i = 0; i < entries.size(); i += 7) {
    iter.Seek(entries[i].first);
    if (iter.Valid()) iter.Prev();
    iter.SeekForPrev(entries[i].first);
    if (iter.Valid()) iter.Next();
  }
}

TEST(BlockTest, CorruptBytesNeverCrash) {
  const std::vector<Entry> entries = MakeEntries(60);
  const std::string good = BuildBlock(entries, 4);
  for (std::size_t pos = 0; pos < good.size(); ++pos) {
    for (const unsigned char delta : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[pos] = static_cast<char>(static_cast<unsigned char>(bad[pos]) ^ delta);
      ExerciseBlock(bad, entries);
    }
  }
  for (std::size_t length = 0; length < good.size(); ++length) {
    ExerciseBlock(good.substr(0, length), entries);
  }
  std::mt19937 rng(42);
  for (int round = 0; round < 500; ++round) {
    std::string bad = good;
    for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    ExerciseBlock(bad, entries);
  }
}

}  // namespace
}  // namespace arenakv
