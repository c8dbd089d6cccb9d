// SPDX-License-Identifier: Apache-2.0
#include "mvcc/table/block.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mvcc/table/block_builder.h"
#include "mvcc/util/coding.h"
#include "mvcc/util/dbformat.h"

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

// A value larger than a block is the block: the builder holds its size once
// (no doubling when Finish appends the restarts) and gives it back at Reset.
TEST(BlockTest, ALargeEntryCostsItsSizeOnceAndGoesAtReset) {
  constexpr std::size_t kValue = 3 << 20;
  BlockBuilder builder(16);
  builder.Add(InternalKey("small", 2, EntryKind::kPut), "s");
  builder.Add(InternalKey("xl", 1, EntryKind::kPut), std::string(kValue, 'x'));
  const std::size_t size = builder.Finish().size();
  EXPECT_GT(size, kValue);
  EXPECT_LE(builder.MemoryUsage(), size + 4096);
  builder.Reset();
  EXPECT_LE(builder.MemoryUsage(), BlockBuilder::kKeptCapacity);
  // Small blocks keep their buffer across Reset.
  builder.Add(InternalKey("a", 1, EntryKind::kPut), std::string(3000, 'a'));
  builder.Finish();
  const std::size_t small = builder.MemoryUsage();
  builder.Reset();
  EXPECT_EQ(builder.MemoryUsage(), small);
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

TEST(BlockTest, RejectsAnEntryRunningPastTheEntries) {
  BlockBuilder builder(16);
  builder.Add(InternalKey("key", 1, EntryKind::kPut), "value");
  std::string block(builder.Finish());
  block[2] = 100;  // value_length
  ExpectCorruptLayout(block);
}

TEST(BlockTest, RejectsASharedPrefixLongerThanThePreviousUserKey) {
  BlockBuilder builder(16);
  builder.Add(InternalKey("key", 1, EntryKind::kPut), "value");
  builder.Add(InternalKey("kez", 1, EntryKind::kPut), "value");
  std::string block(builder.Finish());
  // The first entry: 3 length bytes, trailer 1 << 8 | 1 = 81 02, "key", "value".
  const std::size_t second = 3 + 2 + 3 + 5;
  ASSERT_EQ(block[second], 2);  // shared
  // 4 bytes would fit in the previous internal key but not in its user key.
  block[second] = 4;
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

// A block of hand-written entry bytes, each a restart entry at the given
// offsets.
std::string RawBlock(std::string_view entries, const std::vector<std::uint32_t>& restarts) {
  std::string block(entries);
  for (const std::uint32_t restart : restarts) PutFixed32(&block, restart);
  PutFixed32(&block, static_cast<std::uint32_t>(restarts.size()));
  return block;
}

TEST(BlockTest, RejectsAMalformedTrailerVarint) {
  // "a" sequence 0 put -> "v": shared 0, non_shared 1, value_length 1, trailer 1.
  const std::string good_entry = std::string("\x00\x01\x01\x01", 4) + "av";
  // An entry for "b" -> "w" whose trailer never ends, overflows 64 bits, or
  // runs into the restart array.
  const std::string header("\x00\x01\x01", 3);
  const std::string bad_trailers[] = {
      std::string(11, '\x80') + "bw",
      std::string(9, '\xff') + '\x02' + "bw",
      std::string(4, '\x80'),
  };
  for (const std::string& trailer : bad_trailers) {
    SCOPED_TRACE(trailer.size());
    const std::string entries = good_entry + header + trailer;
    // As the only entry: SeekToFirst decodes it.
    ExpectCorruptLayout(RawBlock(header + trailer, {0}));
    // As a second restart entry: found by a seek's binary search.
    BlockIterator iter(BlockContents::Owned(RawBlock(entries, {0, 6})));
    iter.Seek(InternalKey("z", 0, EntryKind::kPut));
    EXPECT_FALSE(iter.Valid());
    EXPECT_TRUE(iter.status().IsCorruption()) << iter.status().ToString();
    // As a second entry of one restart run: found by Next.
    BlockIterator run(BlockContents::Owned(RawBlock(entries, {0})));
    run.SeekToFirst();
    ASSERT_TRUE(run.Valid());
    EXPECT_EQ(run.key(), InternalKey("a", 0, EntryKind::kPut));
    run.Next();
    EXPECT_FALSE(run.Valid());
    EXPECT_TRUE(run.status().IsCorruption()) << run.status().ToString();
  }
}

TEST(BlockTest, EncodesTheDocumentedEntryLayout) {
  // docs/FORMATS.md, "Data and index blocks": the example block.
  BlockBuilder builder(16);
  builder.Add(InternalKey("a", 1, EntryKind::kPut), "v");
  builder.Add(InternalKey("ab", 0, EntryKind::kPut), "w");
  const std::string expected(
      "\x00\x01\x01\x81\x02"
      "av"
      "\x01\x01\x01\x01"
      "bw"
      "\x00\x00\x00\x00\x01\x00\x00\x00",
      21);
  EXPECT_EQ(std::string(builder.Finish()), expected);
}

TEST(BlockTest, SequenceZeroTrailerTakesOneByte) {
  // The same user keys and values, once with sequence 0 (trailer 1 byte) and
  // once with sequence 2^41 (trailer 2^49 | kind: 8 varint bytes, as large as
  // a fixed64 trailer).
  constexpr int kEntries = 100;
  std::vector<Entry> zero;
  std::vector<Entry> large;
  for (int i = 0; i < kEntries; ++i) {
    const std::string user_key = "key" + std::to_string(1000 + i);
    const EntryKind kind = i % 3 == 0 ? EntryKind::kDelete : EntryKind::kPut;
    zero.emplace_back(InternalKey(user_key, 0, kind), "value");
    large.emplace_back(InternalKey(user_key, SequenceNumber{1} << 41, kind), "value");
  }
  const std::string zero_block = BuildBlock(zero, 16);
  const std::string large_block = BuildBlock(large, 16);
  EXPECT_EQ(zero_block.size() + 7 * kEntries, large_block.size());

  BlockIterator iter(BlockContents::Owned(zero_block));
  std::size_t i = 0;
  for (iter.SeekToFirst(); iter.Valid(); iter.Next(), ++i) {
    ASSERT_EQ(iter.key(), zero[i].first);
    ASSERT_EQ(iter.value(), zero[i].second);
  }
  EXPECT_EQ(i, zero.size());
  EXPECT_TRUE(iter.status().ok());
}

TEST(BlockTest, RoundTripsVersionsOfOneUserKey) {
  // Newest first, down to sequence 0, with the largest trailer (an index
  // separator's, a 10-byte varint) in front.
  std::vector<Entry> entries;
  entries.emplace_back(InternalKey("k", kMaxSequenceNumber, kKindForSeek), "max");
  for (SequenceNumber sequence = 40; sequence-- > 0;) {
    const EntryKind kind = sequence % 4 == 0 ? EntryKind::kDelete : EntryKind::kPut;
    entries.emplace_back(InternalKey("k", sequence, kind), std::to_string(sequence));
  }
  for (const int interval : {1, 3, 16}) {
    SCOPED_TRACE("restart interval " + std::to_string(interval));
    BlockIterator iter(BlockContents::Owned(BuildBlock(entries, interval)));
    std::size_t i = 0;
    for (iter.SeekToFirst(); iter.Valid(); iter.Next(), ++i) {
      ASSERT_EQ(iter.key(), entries[i].first);
      ASSERT_EQ(iter.value(), entries[i].second);
    }
    EXPECT_EQ(i, entries.size());
    for (iter.SeekToLast(); iter.Valid(); iter.Prev()) {
      ASSERT_GT(i, 0u);
      --i;
      ASSERT_EQ(iter.key(), entries[i].first);
    }
    EXPECT_EQ(i, 0u);
    EXPECT_TRUE(iter.status().ok());
  }
}

// Seek and SeekForPrev of every (user key, sequence, kind) near the entries
// land where a scan of the sorted entries says, whatever the restart interval:
// the versions of "b" span several restart points.
TEST(BlockTest, SeeksAcrossRestartPointsWithinOneUserKey) {
  std::vector<Entry> entries;
  entries.emplace_back(InternalKey("a", 5, EntryKind::kPut), "a5");
  for (SequenceNumber sequence = 30; sequence >= 11; --sequence) {
    if (sequence % 3 == 0) continue;  // gaps between versions
    const EntryKind kind = sequence % 5 == 0 ? EntryKind::kDelete : EntryKind::kPut;
    entries.emplace_back(InternalKey("b", sequence, kind), "b" + std::to_string(sequence));
  }
  entries.emplace_back(InternalKey("bb", 0, EntryKind::kPut), "bb0");
  entries.emplace_back(InternalKey("c", 7, EntryKind::kPut), "c7");

  std::vector<std::string> targets;
  for (const std::string user_key : {"", "a", "b", "ba", "bb", "c", "d"}) {
    for (SequenceNumber sequence = 0; sequence <= 32; ++sequence) {
      for (const EntryKind kind : {EntryKind::kDelete, EntryKind::kPut}) {
        targets.push_back(InternalKey(user_key, sequence, kind));
      }
    }
  }
  for (const int interval : {1, 2, 3, 4, 5, 16}) {
    SCOPED_TRACE("restart interval " + std::to_string(interval));
    BlockIterator iter(BlockContents::Owned(BuildBlock(entries, interval)));
    for (const std::string& target : targets) {
      // First entry >= target, and last entry <= target.
      std::size_t first_at_or_after = 0;
      while (first_at_or_after < entries.size() &&
             InternalKeyCompare(entries[first_at_or_after].first, target) < 0) {
        ++first_at_or_after;
      }
      std::size_t after_last_at_or_before = first_at_or_after;
      if (after_last_at_or_before < entries.size() &&
          InternalKeyCompare(entries[after_last_at_or_before].first, target) == 0) {
        ++after_last_at_or_before;
      }

      iter.Seek(target);
      if (first_at_or_after == entries.size()) {
        EXPECT_FALSE(iter.Valid());
      } else {
        ASSERT_TRUE(iter.Valid());
        EXPECT_EQ(iter.key(), entries[first_at_or_after].first);
        EXPECT_EQ(iter.value(), entries[first_at_or_after].second);
      }
      iter.SeekForPrev(target);
      if (after_last_at_or_before == 0) {
        EXPECT_FALSE(iter.Valid());
      } else {
        ASSERT_TRUE(iter.Valid());
        EXPECT_EQ(iter.key(), entries[after_last_at_or_before - 1].first);
        EXPECT_EQ(iter.value(), entries[after_last_at_or_before - 1].second);
      }
      ASSERT_TRUE(iter.status().ok());
    }
  }
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
