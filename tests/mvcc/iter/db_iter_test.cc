// SPDX-License-Identifier: Apache-2.0
// NewDBIterator: at every snapshot, with and without bounds, every move agrees
// with a std::map model of the user keys visible at that snapshot; then the
// bound edge cases, hidden keys (only a delete visible, every version too new),
// binary and empty keys and values, the cost of Prev, and errors (a corrupt
// internal key, an error of the internal iterator).
#include "mvcc/iter/db_iter.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "mvcc/iter/merging_iterator.h"
#include "mvcc/util/dbformat.h"
#include "tests/mvcc/iter/vector_iterator.h"

namespace arenakv {
namespace {

using Entries = VectorIterator::Entries;
using namespace std::string_literals;

std::string Printable(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out + "\"";
}

struct Op {
  SequenceNumber sequence;
  std::string key;
  std::optional<std::string> value;  // nullopt: a delete
};

// A tiny history builder: each Put/Delete takes the next sequence.
struct History {
  std::vector<Op> ops;
  SequenceNumber last = 0;

  History& Put(std::string key, std::string value) {
    ops.push_back({++last, std::move(key), std::move(value)});
    return *this;
  }
  History& Delete(std::string key) {
    ops.push_back({++last, std::move(key), std::nullopt});
    return *this;
  }

  Entries ToEntries() const {
    Entries entries;
    for (const Op& op : ops) {
      entries.emplace_back(
          InternalKey(op.key, op.sequence, op.value ? EntryKind::kPut : EntryKind::kDelete),
          op.value.value_or(""));
    }
    return entries;
  }

  std::map<std::string, std::string> Visible(SequenceNumber snapshot,
                                             const std::optional<std::string>& lower,
                                             const std::optional<std::string>& upper) const {
    std::map<std::string, std::string> visible;
    for (const Op& op : ops) {  // ops are in sequence order
      if (op.sequence > snapshot) continue;
      if (op.value) {
        visible[op.key] = *op.value;
      } else {
        visible.erase(op.key);
      }
    }
    if (lower) visible.erase(visible.begin(), visible.lower_bound(*lower));
    if (upper) visible.erase(visible.lower_bound(*upper), visible.end());
    return visible;
  }
};

// The entries dealt at random over `num_children` children, merged.
std::unique_ptr<InternalIterator> Source(const Entries& entries, std::size_t num_children,
                                         std::mt19937_64& rng) {
  std::vector<Entries> parts(num_children);
  for (const auto& entry : entries) parts[rng() % num_children].push_back(entry);
  std::vector<std::unique_ptr<InternalIterator>> children;
  for (auto& part : parts) children.push_back(std::make_unique<VectorIterator>(std::move(part)));
  return NewMergingIterator(std::move(children));
}

std::unique_ptr<Iterator> NewIter(const History& history, SequenceNumber snapshot,
                                  std::optional<std::string> lower = std::nullopt,
                                  std::optional<std::string> upper = std::nullopt) {
  return NewDBIterator(std::make_unique<VectorIterator>(history.ToEntries()), snapshot,
                       std::move(lower), std::move(upper));
}

// Collects key=value pairs by a full scan in one direction.
std::vector<std::pair<std::string, std::string>> Scan(Iterator* iter, bool forward) {
  std::vector<std::pair<std::string, std::string>> out;
  if (forward) {
    for (iter->SeekToFirst(); iter->Valid(); iter->Next())
      out.emplace_back(iter->key(), iter->value());
  } else {
    for (iter->SeekToLast(); iter->Valid(); iter->Prev())
      out.emplace_back(iter->key(), iter->value());
  }
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The model cursor over the visible map.
struct ModelCursor {
  const std::map<std::string, std::string>* map;
  std::map<std::string, std::string>::const_iterator it;
  bool valid = false;

  void Set(std::map<std::string, std::string>::const_iterator pos) {
    it = pos;
    valid = pos != map->end();
  }
  void SeekToFirst() { Set(map->begin()); }
  void SeekToLast() {
    if (map->empty()) {
      valid = false;
    } else {
      Set(std::prev(map->end()));
    }
  }
  void Seek(const std::string& t) { Set(map->lower_bound(t)); }
  void SeekForPrev(const std::string& t) {
    auto pos = map->upper_bound(t);
    if (pos == map->begin()) {
      valid = false;
    } else {
      Set(std::prev(pos));
    }
  }
  void Next() { Set(std::next(it)); }
  void Prev() {
    if (it == map->begin()) {
      valid = false;
    } else {
      Set(std::prev(it));
    }
  }
};

const std::vector<std::string>& KeySpace() {
  static const std::vector<std::string> keys = {""s,   "\0"s, "\0\0"s, "a"s, "a\0"s,  "a\0b"s,
                                                "ab"s, "b"s,  "ba"s,   "c"s, "\xff"s, "\xff\0"s};
  return keys;
}

// Keys for seeks and bounds: the key space plus keys between and around them.
std::string RandomProbe(std::mt19937_64& rng) {
  static const std::vector<std::string> extra = {"\x01"s, "a\x01"s,    "aa"s,  "bb"s,
                                                 "d"s,    "\xff\xff"s, "\xfe"s};
  const auto& keys = KeySpace();
  const std::size_t i = rng() % (keys.size() + extra.size());
  return i < keys.size() ? keys[i] : extra[i - keys.size()];
}

TEST(DBIteratorTest, AgreesWithModelAtEverySnapshotWithAndWithoutBounds) {
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    std::mt19937_64 rng(seed);
    History history;
    const std::size_t num_ops = rng() % 120;
    for (std::size_t i = 0; i < num_ops; ++i) {
      std::string key = KeySpace()[rng() % KeySpace().size()];
      if (rng() % 3 == 0) {
        history.Delete(std::move(key));
      } else {
        std::string value(rng() % 4, static_cast<char>('A' + rng() % 26));
        history.Put(std::move(key), std::move(value));
      }
    }
    const Entries entries = history.ToEntries();
    for (int config = 0; config < 8; ++config) {
      SequenceNumber snapshot;
      switch (rng() % 5) {
        case 0:
          snapshot = 0;
          break;
        case 1:
          snapshot = history.last;
          break;
        case 2:
          snapshot = UINT64_MAX;
          break;
        default:
          snapshot = rng() % (history.last + 2);
      }
      std::optional<std::string> lower;
      std::optional<std::string> upper;
      if (rng() % 2 == 0) lower = RandomProbe(rng);
      if (rng() % 2 == 0) upper = RandomProbe(rng);
      const auto visible = history.Visible(snapshot, lower, upper);
      auto iter = NewDBIterator(Source(entries, 1 + rng() % 3, rng), snapshot, lower, upper);
      ModelCursor model{&visible, visible.end(), false};
      const std::string where =
          "seed " + std::to_string(seed) + " snapshot " + std::to_string(snapshot) + " lower " +
          (lower ? Printable(*lower) : "-") + " upper " + (upper ? Printable(*upper) : "-");
      for (int step = 0; step < 150; ++step) {
        const int choice = static_cast<int>(rng() % 10);
        if (choice >= 6 && !model.valid) continue;
        std::string op;
        if (choice == 0) {
          op = "SeekToFirst";
          model.SeekToFirst();
          iter->SeekToFirst();
        } else if (choice == 1) {
          op = "SeekToLast";
          model.SeekToLast();
          iter->SeekToLast();
        } else if (choice <= 3) {
          const std::string target = RandomProbe(rng);
          op = "Seek " + Printable(target);
          model.Seek(target);
          iter->Seek(target);
        } else if (choice <= 5) {
          const std::string target = RandomProbe(rng);
          op = "SeekForPrev " + Printable(target);
          model.SeekForPrev(target);
          iter->SeekForPrev(target);
        } else if (choice <= 7) {
          op = "Next";
          model.Next();
          iter->Next();
        } else {
          op = "Prev";
          model.Prev();
          iter->Prev();
        }
        const std::string context = where + " step " + std::to_string(step) + " " + op;
        ASSERT_EQ(model.valid, iter->Valid()) << context;
        ASSERT_TRUE(iter->status().ok()) << context;
        if (model.valid) {
          ASSERT_EQ(Printable(model.it->first), Printable(iter->key())) << context;
          ASSERT_EQ(model.it->second, iter->value()) << context;
        }
      }
    }
  }
}

TEST(DBIteratorTest, ShowsOnlyTheNewestVersionVisibleAtTheSnapshot) {
  History h;
  h.Put("a", "a1").Put("b", "b2").Put("a", "a3").Delete("b").Put("c", "c5").Put("b", "b6");
  EXPECT_EQ((Pairs{{"a", "a1"}, {"b", "b2"}}), Scan(NewIter(h, 2).get(), true));
  EXPECT_EQ((Pairs{{"a", "a3"}, {"c", "c5"}}), Scan(NewIter(h, 5).get(), true));
  EXPECT_EQ((Pairs{{"c", "c5"}, {"a", "a3"}}), Scan(NewIter(h, 5).get(), false));
  EXPECT_EQ((Pairs{{"a", "a3"}, {"b", "b6"}, {"c", "c5"}}), Scan(NewIter(h, 6).get(), true));
  EXPECT_EQ((Pairs{{"c", "c5"}, {"b", "b6"}, {"a", "a3"}}),
            Scan(NewIter(h, kMaxSequenceNumber).get(), false));
  EXPECT_EQ((Pairs{{"a", "a3"}, {"b", "b6"}, {"c", "c5"}}),
            Scan(NewIter(h, UINT64_MAX).get(), true));
}

TEST(DBIteratorTest, KeyWhoseOnlyVisibleVersionIsADeleteIsHidden) {
  History h;
  h.Put("a", "A").Delete("b").Put("c", "C").Put("b", "too new");
  auto iter = NewIter(h, 3);
  EXPECT_EQ((Pairs{{"a", "A"}, {"c", "C"}}), Scan(iter.get(), true));
  EXPECT_EQ((Pairs{{"c", "C"}, {"a", "A"}}), Scan(iter.get(), false));
  iter->Seek("b");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("c", iter->key());
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("a", iter->key());
  iter->SeekForPrev("b");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("a", iter->key());
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("c", iter->key());
}

TEST(DBIteratorTest, EveryVersionNewerThanTheSnapshotShowsNothing) {
  History h;
  h.Put("a", "1").Put("b", "2").Delete("a").Put("c", "4");
  auto iter = NewIter(h, 0);
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  iter->SeekToLast();
  EXPECT_FALSE(iter->Valid());
  iter->Seek("b");
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev("b");
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());

  // Only the middle key is old enough.
  EXPECT_EQ((Pairs{{"a", "1"}, {"b", "2"}}), Scan(NewIter(h, 2).get(), true));
  History late;
  late.Put("x", "old");
  for (int i = 0; i < 50; ++i) late.Put("m", "new" + std::to_string(i));
  EXPECT_EQ((Pairs{{"x", "old"}}), Scan(NewIter(late, 1).get(), true));
  EXPECT_EQ((Pairs{{"x", "old"}}), Scan(NewIter(late, 1).get(), false));
}

TEST(DBIteratorTest, EmptyKeyBinaryKeysAndEmptyValues) {
  History h;
  h.Put("", "empty key")
      .Put("\0"s, "")
      .Put("a\0b"s, "nul inside")
      .Put("a"s, "")
      .Put("\xff\0"s, "x");
  h.Put("\0\0"s, "v\0v"s);
  const Pairs expected = {{"", "empty key"},       {"\0"s, ""},     {"\0\0"s, "v\0v"s}, {"a", ""},
                          {"a\0b"s, "nul inside"}, {"\xff\0"s, "x"}};
  auto iter = NewIter(h, h.last);
  EXPECT_EQ(expected, Scan(iter.get(), true));
  EXPECT_EQ(Pairs(expected.rbegin(), expected.rend()), Scan(iter.get(), false));
  iter->Seek("");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("", iter->key());
  iter->SeekForPrev("\0"s);
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("\0"s, iter->key());
  EXPECT_EQ("", iter->value());
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("", iter->key());
  iter->Prev();
  EXPECT_FALSE(iter->Valid());
}

TEST(DBIteratorTest, LargeValuesSurviveBothDirections) {
  History h;
  const std::string big(1 << 20, 'z');
  const std::string bigger(3 << 20, 'y');
  h.Put("a", big).Put("b", "small").Put("a", bigger).Put("c", big);
  auto iter = NewIter(h, h.last);
  iter->SeekToLast();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(big, iter->value());
  iter->Prev();
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("a", iter->key());
  EXPECT_EQ(bigger, iter->value());
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("small", iter->value());
}

class DBIteratorBoundsTest : public ::testing::Test {
 protected:
  DBIteratorBoundsTest() {
    h_.Put("a", "A").Put("b", "B").Put("c", "C").Put("d", "D").Put("e", "E");
  }
  std::unique_ptr<Iterator> Bounded(std::optional<std::string> lower,
                                    std::optional<std::string> upper) {
    return NewIter(h_, h_.last, std::move(lower), std::move(upper));
  }
  History h_;
};

TEST_F(DBIteratorBoundsTest, ScansStopAtTheBounds) {
  auto iter = Bounded("b", "d");
  EXPECT_EQ((Pairs{{"b", "B"}, {"c", "C"}}), Scan(iter.get(), true));
  EXPECT_EQ((Pairs{{"c", "C"}, {"b", "B"}}), Scan(iter.get(), false));
  // Bounds between keys.
  iter = Bounded("aa", "cc");
  EXPECT_EQ((Pairs{{"b", "B"}, {"c", "C"}}), Scan(iter.get(), true));
  EXPECT_EQ((Pairs{{"c", "C"}, {"b", "B"}}), Scan(iter.get(), false));
  // Only one side.
  EXPECT_EQ((Pairs{{"d", "D"}, {"e", "E"}}), Scan(Bounded("d", std::nullopt).get(), true));
  EXPECT_EQ((Pairs{{"a", "A"}}), Scan(Bounded(std::nullopt, "b").get(), false));
}

TEST_F(DBIteratorBoundsTest, SeekBelowLowerClampsToLower) {
  auto iter = Bounded("b", "d");
  iter->Seek("a");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b", iter->key());
  iter->Seek("");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b", iter->key());
  iter->Prev();
  EXPECT_FALSE(iter->Valid());
}

TEST_F(DBIteratorBoundsTest, SeekAtOrAboveUpperIsInvalid) {
  auto iter = Bounded("b", "d");
  iter->Seek("d");
  EXPECT_FALSE(iter->Valid());
  iter->Seek("z");
  EXPECT_FALSE(iter->Valid());
  iter->Seek("c");
  ASSERT_TRUE(iter->Valid());
  iter->Next();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST_F(DBIteratorBoundsTest, SeekForPrevAtOrAboveUpperClampsBelowUpper) {
  auto iter = Bounded("b", "d");
  iter->SeekForPrev("d");  // "d" exists but is excluded
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("c", iter->key());
  iter->SeekForPrev("zzz");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("c", iter->key());
  iter->Next();
  EXPECT_FALSE(iter->Valid());
}

TEST_F(DBIteratorBoundsTest, SeekForPrevBelowLowerIsInvalid) {
  auto iter = Bounded("b", "d");
  iter->SeekForPrev("a");
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev("b");
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b", iter->key());
}

TEST_F(DBIteratorBoundsTest, SeekToFirstAndLastStartAtTheBounds) {
  auto iter = Bounded("b", "d");
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b", iter->key());
  iter->SeekToLast();  // the key at upper itself is excluded
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("c", iter->key());
  iter->Next();
  EXPECT_FALSE(iter->Valid());
}

TEST_F(DBIteratorBoundsTest, EmptyOrInvertedRangeShowsNothing) {
  for (auto [lower, upper] : {std::pair{"c", "c"}, std::pair{"d", "b"}, std::pair{"", ""}}) {
    auto iter = Bounded(lower, upper);
    EXPECT_TRUE(Scan(iter.get(), true).empty()) << lower << " " << upper;
    EXPECT_TRUE(Scan(iter.get(), false).empty()) << lower << " " << upper;
    iter->Seek("c");
    EXPECT_FALSE(iter->Valid());
    iter->SeekForPrev("c");
    EXPECT_FALSE(iter->Valid());
  }
}

TEST_F(DBIteratorBoundsTest, UpperBoundStopsWithoutReadingPastIt) {
  History h;
  h.Put("a", "A").Put("b", "B");
  for (int i = 0; i < 100; ++i) h.Put("c" + std::to_string(i), "x");
  std::uint64_t moves = 0;
  auto internal = std::make_unique<VectorIterator>(h.ToEntries());
  internal->CountMovesIn(&moves);
  auto iter = NewDBIterator(std::move(internal), h.last, std::nullopt, "c");
  EXPECT_EQ((Pairs{{"a", "A"}, {"b", "B"}}), Scan(iter.get(), true));
  EXPECT_LE(moves, 4u);  // SeekToFirst, two Nexts, stopping on the first "c..."
}

TEST(DBIteratorTest, PrevWalksManyVersionsAndTombstonesWithoutRescanning) {
  History h;
  constexpr int kKeys = 100;
  constexpr int kVersions = 20;
  for (int v = 0; v < kVersions; ++v) {
    for (int k = 0; k < kKeys; ++k) {
      const std::string key = "key" + std::to_string(1000 + k);
      // Odd keys end with a delete; even keys with a put.
      if (v % 2 == 1 && (k % 2 == 1 || v != kVersions - 1)) {
        h.Delete(key);
      } else {
        h.Put(key, key + "@" + std::to_string(v));
      }
    }
  }
  const Entries entries = h.ToEntries();
  const auto visible = h.Visible(h.last, std::nullopt, std::nullopt);
  ASSERT_EQ(static_cast<std::size_t>(kKeys / 2), visible.size());

  std::uint64_t moves = 0;
  auto internal = std::make_unique<VectorIterator>(entries);
  internal->CountMovesIn(&moves);
  auto iter = NewDBIterator(std::move(internal), h.last, std::nullopt, std::nullopt);
  Pairs backward = Scan(iter.get(), false);
  EXPECT_EQ(Pairs(visible.rbegin(), visible.rend()), backward);
  EXPECT_LE(moves, entries.size() + 2);  // each entry passed once

  // Zig-zag: Next then Prev on every key costs a bounded number of moves per key.
  moves = 0;
  std::size_t count = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    const std::string key(iter->key());
    iter->Prev();
    if (count > 0) {
      ASSERT_TRUE(iter->Valid());
      iter->Next();
    } else {
      EXPECT_FALSE(iter->Valid());
      iter->Seek(key);
    }
    ASSERT_TRUE(iter->Valid());
    ASSERT_EQ(key, iter->key());
    ++count;
  }
  EXPECT_EQ(visible.size(), count);
  EXPECT_LE(moves, 6 * entries.size());

  // And at an old snapshot, where the newest versions are invisible.
  const auto old_visible = h.Visible(kKeys * 3, std::nullopt, std::nullopt);
  auto old_iter = NewIter(h, kKeys * 3);
  EXPECT_EQ(Pairs(old_visible.rbegin(), old_visible.rend()), Scan(old_iter.get(), false));
  EXPECT_EQ(Pairs(old_visible.begin(), old_visible.end()), Scan(old_iter.get(), true));
}

TEST(DBIteratorTest, SeekToTheCurrentKeyWorksInBothDirections) {
  History h;
  h.Put("a", "1").Put("b", "2").Put("c", "3");
  auto iter = NewIter(h, h.last);
  iter->SeekToLast();
  iter->Prev();  // reverse state: key() is an owned copy
  ASSERT_TRUE(iter->Valid());
  iter->Seek(iter->key());
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b", iter->key());
  iter->SeekForPrev(iter->key());  // forward state: key() points into the source
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("b", iter->key());
  EXPECT_EQ("2", iter->value());
}

TEST(DBIteratorTest, MalformedInternalKeyIsCorruption) {
  History h;
  h.Put("a", "A").Put("z", "Z");
  Entries entries = h.ToEntries();
  std::string bad_kind = InternalKey("m", 5, EntryKind::kPut);
  bad_kind[bad_kind.size() - kTrailerSize] = 7;  // the kind byte
  entries.emplace_back(bad_kind, "?");

  auto iter =
      NewDBIterator(std::make_unique<VectorIterator>(entries), 10, std::nullopt, std::nullopt);
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("a", iter->key());
  iter->Next();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsCorruption());

  // Backward, "z" is final only once the entry before it is read: the bad one.
  iter->SeekToLast();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsCorruption());

  iter->Seek("z");
  ASSERT_TRUE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());  // a new seek clears it
  EXPECT_EQ("z", iter->key());
  iter->Prev();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsCorruption());

  iter->Seek("b");
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsCorruption());
}

TEST(DBIteratorTest, KeysShorterThanATrailerAreCorruption) {
  for (const std::string& short_key : {""s, "\0"s, "abc"s, "1234567"s}) {
    History h;
    h.Put("b", "B");
    Entries entries = h.ToEntries();
    entries.emplace_back(short_key, "short");
    // Through a merge as in the engine: the merging iterator orders it safely.
    std::vector<std::unique_ptr<InternalIterator>> children;
    children.push_back(std::make_unique<VectorIterator>(entries));
    children.push_back(std::make_unique<VectorIterator>(Entries{}));
    auto iter =
        NewDBIterator(NewMergingIterator(std::move(children)), 10, std::nullopt, std::nullopt);
    for (bool forward : {true, false}) {
      Pairs seen = Scan(iter.get(), forward);
      EXPECT_TRUE(iter->status().IsCorruption()) << Printable(short_key);
      EXPECT_FALSE(iter->Valid());
      EXPECT_LE(seen.size(), 1u);
    }
  }
}

TEST(DBIteratorTest, InternalErrorIsReportedAndEndsIteration) {
  History h;
  for (int i = 0; i < 10; ++i) h.Put("k" + std::to_string(i), "v");
  for (bool forward : {true, false}) {
    auto internal = std::make_unique<VectorIterator>(h.ToEntries());
    internal->FailAfter(4, Status::IOError("read failed"));
    auto iter = NewDBIterator(std::move(internal), h.last, std::nullopt, std::nullopt);
    const Pairs seen = Scan(iter.get(), forward);
    EXPECT_FALSE(iter->Valid());
    EXPECT_TRUE(iter->status().IsIOError());
    EXPECT_EQ("read failed", iter->status().message());
    EXPECT_LT(seen.size(), 10u);
  }
}

TEST(DBIteratorTest, ErrorBeforeTheNewestVersionIsSeenHidesTheStaleCandidate) {
  // Backward, "b"'s old version is read, then the read of its newer version
  // fails: the old value must not be shown as current.
  History h;
  h.Put("b", "old").Put("b", "new");
  auto internal = std::make_unique<VectorIterator>(h.ToEntries());
  internal->FailAfter(1, Status::IOError("torn"));  // SeekToLast works, the Prev fails
  auto iter = NewDBIterator(std::move(internal), h.last, std::nullopt, std::nullopt);
  iter->SeekToLast();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsIOError());
}

}  // namespace
}  // namespace arenakv
