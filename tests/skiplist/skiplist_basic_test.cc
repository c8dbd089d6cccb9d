// SPDX-License-Identifier: Apache-2.0
// Specification of SkipList used by one thread: Insert and Find, the order of
// binary keys, payload initialization, custom comparators, every iterator
// operation against a std::set model, node heights, and running out of arena.
// (Concurrent inserts and readers: skiplist_concurrency_test.cc.)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "arenakv/alloc/arena.h"
#include "arenakv/skiplist/skiplist.h"
#include "gtest/gtest.h"
#include "tests/skiplist/skiplist_test_util.h"
#include "tests/support/arena_test_util.h"

namespace arenakv {
namespace {

using namespace std::string_literals;  // "a\0"s keeps its NUL
using test::BackwardKeys;
using test::ForwardKeys;
using test::kOpsScale;

// A 64-bit payload; also used where the list is a plain set.
using List = SkipList<std::uint64_t>;
using Model = std::set<std::string>;  // std::string orders bytes as unsigned char

// Where an iterator must be after an operation, as a position in the model;
// end() stands for "not Valid".
Model::const_iterator ModelSeekForPrev(const Model& model, const std::string& target) {
  auto it = model.upper_bound(target);
  return it == model.begin() ? model.end() : std::prev(it);
}
Model::const_iterator ModelLast(const Model& model) {
  return model.empty() ? model.end() : std::prev(model.end());
}
Model::const_iterator ModelPrev(const Model& model, Model::const_iterator pos) {
  return pos == model.begin() ? model.end() : std::prev(pos);
}

testing::AssertionResult SamePosition(const List::Iterator& it, const Model& model,
                                      Model::const_iterator expected) {
  if (expected == model.end()) {
    if (!it.Valid()) return testing::AssertionSuccess();
    return testing::AssertionFailure()
           << "expected not Valid, at " << testing::PrintToString(it.key());
  }
  if (!it.Valid()) {
    return testing::AssertionFailure()
           << "expected " << testing::PrintToString(*expected) << ", not Valid";
  }
  if (it.key() != *expected) {
    return testing::AssertionFailure() << "expected " << testing::PrintToString(*expected)
                                       << ", at " << testing::PrintToString(it.key());
  }
  return testing::AssertionSuccess();
}

std::vector<std::string> Reversed(std::vector<std::string> keys) {
  std::reverse(keys.begin(), keys.end());
  return keys;
}

// 0..9 bytes from an alphabet with NUL, bytes >= 0x80 and shared prefixes.
std::string RandomKey(std::mt19937_64& rng) {
  static constexpr char kAlphabet[] = {'\x00', '\x01', 'a', 'b', '\x7f', '\x80', '\xff'};
  std::string key(rng() % 10, '\0');
  for (char& c : key) c = kAlphabet[rng() % sizeof(kAlphabet)];
  return key;
}

TEST(SkipListBasic, EmptyListHasNoPositions) {
  Arena arena;
  List list(&arena);
  auto it = list.NewIterator();
  EXPECT_FALSE(it.Valid());
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  it.Seek("");
  EXPECT_FALSE(it.Valid());
  it.Seek("k");
  EXPECT_FALSE(it.Valid());
  it.SeekForPrev("k");
  EXPECT_FALSE(it.Valid());
  it.SeekForPrev("\xff\xff"s);
  EXPECT_FALSE(it.Valid());
  EXPECT_EQ(list.Find(""), nullptr);
  EXPECT_EQ(list.Find("k"), nullptr);
}

TEST(SkipListBasic, InsertLinksANewNodeAndReturnsItAgainForADuplicate) {
  Arena arena;
  List list(&arena);
  const List::InsertResult first = list.Insert("k");
  ASSERT_NE(first.node, nullptr);
  EXPECT_TRUE(first.inserted);
  EXPECT_EQ(first.node->key(), "k");

  const List::InsertResult again = list.Insert("k");
  EXPECT_EQ(again.node, first.node);
  EXPECT_FALSE(again.inserted);
  EXPECT_EQ(ForwardKeys(list), std::vector<std::string>{"k"});
}

TEST(SkipListBasic, FindReturnsTheKeysNodeOrNullptr) {
  Arena arena;
  List list(&arena);
  List::Node* b = list.Insert("b").node;
  List::Node* d = list.Insert("d").node;
  EXPECT_EQ(list.Find("b"), b);
  EXPECT_EQ(list.Find("d"), d);
  for (const std::string& absent : {""s, "a"s, "b\0"s, "bb"s, "c"s, "e"s, "\xff"s}) {
    EXPECT_EQ(list.Find(absent), nullptr) << testing::PrintToString(absent);
  }
}

TEST(SkipListBasic, NewPayloadIsValueInitialized) {
  Arena arena;
  List list(&arena);
  // Dirty and free a chunk of every size a node of a 1-byte key can take, so that
  // the nodes below reuse garbage rather than fresh zero pages.
  for (int height = 1; height <= List::kMaxHeight; ++height) {
    const std::size_t bytes = List::NodeBytes(1, height);
    void* dirty = arena.Alloc(bytes);
    std::fill_n(static_cast<unsigned char*>(dirty), bytes, 0xab);
    arena.Free(dirty);
  }
  for (const char* key : {"a", "b", "c", "d"}) EXPECT_EQ(list.Insert(key).node->payload(), 0u);
}

TEST(SkipListBasic, InitRunsOnceForANewNodeBeforeFindCanSeeIt) {
  Arena arena;
  List list(&arena);
  int init_calls = 0;
  auto set_to = [&](std::uint64_t value) {
    return [&init_calls, value](std::uint64_t& payload) {
      ++init_calls;
      payload = value;
    };
  };
  ASSERT_TRUE(list.Insert("k", set_to(42)).inserted);
  EXPECT_EQ(init_calls, 1);
  ASSERT_NE(list.Find("k"), nullptr);
  EXPECT_EQ(list.Find("k")->payload(), 42u);

  // A key already present returns its node without running init (no race here).
  EXPECT_FALSE(list.Insert("k", set_to(7)).inserted);
  EXPECT_EQ(init_calls, 1);
  EXPECT_EQ(list.Find("k")->payload(), 42u);
}

TEST(SkipListBasic, OrdersBinaryKeysAsUnsignedBytes) {
  const std::vector<std::string> sorted = {
      "\x00"s, "\x00\x00"s, "\x00\xff"s, "\x01"s,     "A"s,    "a"s,        "a\0b"s,     "ab"s,
      "\x7f"s, "\x80"s,     "\x80\x00"s, "\xfe\xff"s, "\xff"s, "\xff\x00"s, "\xff\xff"s,
  };
  std::vector<std::string> shuffled = sorted;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(7));
  Arena arena;
  List list(&arena);
  for (const std::string& key : shuffled) ASSERT_TRUE(list.Insert(key).inserted);
  EXPECT_EQ(ForwardKeys(list), sorted);
  for (const std::string& key : sorted) {
    ASSERT_NE(list.Find(key), nullptr) << testing::PrintToString(key);
    EXPECT_EQ(list.Find(key)->key().size(), key.size());  // embedded NULs are kept
  }
}

TEST(SkipListBasic, EmptyKeyIsALegalKeyAndSortsFirst) {
  Arena arena;
  List list(&arena);
  list.Insert("a");
  const List::InsertResult empty = list.Insert("");
  ASSERT_NE(empty.node, nullptr);
  EXPECT_TRUE(empty.inserted);
  EXPECT_EQ(empty.node->key(), "");
  EXPECT_EQ(list.Insert("").node, empty.node);
  EXPECT_EQ(list.Find(""), empty.node);

  auto it = list.NewIterator();
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.node(), empty.node);
  it.Seek("");
  EXPECT_EQ(it.node(), empty.node);
  it.SeekForPrev("");
  EXPECT_EQ(it.node(), empty.node);
  it.Prev();
  EXPECT_FALSE(it.Valid());
  EXPECT_EQ(ForwardKeys(list), (std::vector<std::string>{"", "a"}));
}

TEST(SkipListBasic, OrdersAShorterPrefixFirst) {
  Arena arena;
  List list(&arena);
  for (const std::string& key : {"ab"s, "a\0"s, "a"s, "b"s, "a\0\0"s}) list.Insert(key);
  EXPECT_EQ(ForwardKeys(list), (std::vector<std::string>{"a"s, "a\0"s, "a\0\0"s, "ab"s, "b"s}));
}

struct ReverseBytewise {
  int operator()(std::string_view a, std::string_view b) const noexcept { return b.compare(a); }
};

TEST(SkipListBasic, CustomComparatorDefinesTheOrder) {
  Arena arena;
  SkipList<std::uint64_t, ReverseBytewise> list(&arena);
  for (const char* key : {"b", "a", "d", "c"}) ASSERT_TRUE(list.Insert(key).inserted);
  EXPECT_FALSE(list.Insert("c").inserted);
  EXPECT_EQ(ForwardKeys(list), (std::vector<std::string>{"d", "c", "b", "a"}));
  EXPECT_EQ(BackwardKeys(list), (std::vector<std::string>{"a", "b", "c", "d"}));
  ASSERT_NE(list.Find("b"), nullptr);
  EXPECT_EQ(list.Find("bb"), nullptr);

  // "Greater or equal" and "less or equal" are in the comparator's order.
  auto it = list.NewIterator();
  it.Seek("bb");
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "b");
  it.SeekForPrev("bb");
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "c");
}

TEST(SkipListBasic, IteratesForwardAndBackwardInModelOrder) {
  std::mt19937_64 rng(1);
  Arena arena;
  List list(&arena);
  Model model;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = RandomKey(rng);
    EXPECT_EQ(list.Insert(key).inserted, model.insert(key).second);
  }
  const std::vector<std::string> expected(model.begin(), model.end());
  EXPECT_EQ(ForwardKeys(list), expected);
  EXPECT_EQ(BackwardKeys(list), Reversed(expected));
}

TEST(SkipListBasic, SeekAndSeekForPrevMatchTheModelAtBetweenBeforeAndAfterKeys) {
  const Model model = {"b"s, "d"s, "d\0"s, "dd"s, "f"s};
  Arena arena;
  List list(&arena);
  for (const std::string& key : model) list.Insert(key);

  const std::vector<std::string> targets = {
      ""s,   "a"s,  "b"s,   "b\0"s, "c"s, "d"s,   "d\0"s, "d\0\0"s, "d\x01"s,
      "dc"s, "dd"s, "dda"s, "e"s,   "f"s, "f\0"s, "g"s,   "\xff"s,
  };
  auto it = list.NewIterator();
  for (const std::string& target : targets) {
    SCOPED_TRACE("target " + testing::PrintToString(target));
    it.Seek(target);
    auto pos = model.lower_bound(target);
    ASSERT_TRUE(SamePosition(it, model, pos)) << "Seek";
    if (pos != model.end()) {
      it.Next();
      EXPECT_TRUE(SamePosition(it, model, std::next(pos))) << "Next after Seek";
    }

    it.SeekForPrev(target);
    pos = ModelSeekForPrev(model, target);
    ASSERT_TRUE(SamePosition(it, model, pos)) << "SeekForPrev";
    if (pos != model.end()) {
      it.Prev();
      EXPECT_TRUE(SamePosition(it, model, ModelPrev(model, pos))) << "Prev after SeekForPrev";
    }
  }
}

TEST(SkipListBasic, IteratorSeesKeysInsertedAheadOfIt) {
  Arena arena;
  List list(&arena);
  list.Insert("b");
  auto it = list.NewIterator();
  it.Seek("b");
  list.Insert("c");
  list.Insert("a");
  it.Next();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "c");
  it.Prev();
  it.Prev();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "a");
}

// Inserts, Finds and iterator operations interleaved; after each step the list
// and an iterator on it must agree with a std::set and an iterator into it.
TEST(SkipListBasic, RandomOperationsMatchAStdSetModel) {
  const int kOps = 90000 / kOpsScale;
  std::mt19937_64 rng(20240611);
  Arena arena;
  List list(&arena);
  Model model;
  auto it = list.NewIterator();
  auto pos = model.cend();
  for (int op = 0; op < kOps; ++op) {
    const std::string key = RandomKey(rng);
    const unsigned choice = rng() % 10;
    if (choice < 4) {
      const List::InsertResult result = list.Insert(key);
      ASSERT_NE(result.node, nullptr);
      ASSERT_EQ(result.inserted, model.insert(key).second) << "op " << op;
      ASSERT_EQ(result.node->key(), key);
      ASSERT_EQ(list.Find(key), result.node);
      continue;  // `it` and `pos` stay where they were
    }
    switch (choice) {
      case 4:
        ASSERT_EQ(list.Find(key) != nullptr, model.contains(key)) << "op " << op;
        continue;
      case 5:
        it.Seek(key);
        pos = model.lower_bound(key);
        break;
      case 6:
        it.SeekForPrev(key);
        pos = ModelSeekForPrev(model, key);
        break;
      case 7:
        if (rng() % 2 == 0) {
          it.SeekToFirst();
          pos = model.begin();
        } else {
          it.SeekToLast();
          pos = ModelLast(model);
        }
        break;
      case 8:
        if (pos == model.end()) continue;
        it.Next();
        ++pos;
        break;
      default:
        if (pos == model.end()) continue;
        it.Prev();
        pos = ModelPrev(model, pos);
        break;
    }
    ASSERT_TRUE(SamePosition(it, model, pos)) << "op " << op << " (choice " << choice << ")";
  }
  EXPECT_GT(model.size(), 18000u / kOpsScale);  // about 20000 keys
  const std::vector<std::string> expected(model.begin(), model.end());
  EXPECT_EQ(ForwardKeys(list), expected);
  EXPECT_EQ(BackwardKeys(list), Reversed(expected));
}

TEST(SkipListBasic, EveryNodeHeightIsBetweenOneAndMaxHeight) {
  Arena arena;
  List list(&arena);
  for (int i = 0; i < 20000; ++i) list.Insert("key" + std::to_string(i));
  int taller_than_one = 0;
  auto it = list.NewIterator();
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const int height = it.node()->height();
    ASSERT_GE(height, 1);
    ASSERT_LE(height, List::kMaxHeight);
    taller_than_one += height > 1;
  }
  // With p = 1/4 per extra level, all 20000 at height 1 has probability 0.75^20000.
  EXPECT_GT(taller_than_one, 0);
}

// A key of `size` bytes whose first bytes make it unique.
std::string SizedKey(int i, std::size_t size) {
  std::string key = "key" + std::to_string(i) + ":";
  key.resize(std::max(size, key.size()), static_cast<char>('a' + i % 26));
  return key;
}

TEST(SkipListBasic, ExhaustedArenaRefusesNewKeysAndLeavesTheListIntact) {
  Arena arena({.capacity = 256 << 10});
  List list(&arena);
  Model model;
  std::vector<std::string> refused;
  // 20000 nodes of 60..300 bytes need far more than 256 KiB.
  for (int i = 0; i < 20000; ++i) {
    const std::string key = SizedKey(i, 16 + static_cast<std::size_t>(i % 200));
    const List::InsertResult result = list.Insert(key);
    if (result.node == nullptr) {
      EXPECT_FALSE(result.inserted);
      refused.push_back(key);
    } else {
      EXPECT_TRUE(result.inserted);
      model.insert(key);
    }
  }
  ASSERT_FALSE(refused.empty());
  ASSERT_FALSE(model.empty());
  EXPECT_LE(arena.Stats().reserved, 256u << 10);

  const std::vector<std::string> expected(model.begin(), model.end());
  EXPECT_EQ(ForwardKeys(list), expected);
  EXPECT_EQ(BackwardKeys(list), Reversed(expected));
  for (const std::string& key : refused) EXPECT_EQ(list.Find(key), nullptr) << key;
  // Keys already present need no memory: Insert still returns their node.
  for (const std::string& key : model) {
    const List::InsertResult again = list.Insert(key);
    ASSERT_NE(again.node, nullptr) << key;
    EXPECT_FALSE(again.inserted);
    EXPECT_EQ(again.node, list.Find(key));
  }
}

TEST(SkipListBasic, ConstructorThrowsWhenTheArenaHasNoRoomForTheHead) {
  Arena arena({.capacity = 64});
  EXPECT_THROW(List list(&arena), ArenaExhausted);
}

TEST(SkipListBasic, WorksAsASetWithTheDefaultNoPayload) {
  Arena arena;
  SkipList<> set(&arena);
  EXPECT_TRUE(set.Insert("b").inserted);
  EXPECT_TRUE(set.Insert("a").inserted);
  EXPECT_FALSE(set.Insert("b").inserted);
  auto it = set.NewIterator();
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "a");
  it.Next();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "b");
  it.Next();
  EXPECT_FALSE(it.Valid());
}

}  // namespace
}  // namespace arenakv

namespace arenakv {
namespace {

// Clear after the arena was reset (pages kept) or released (the range may
// move): the list is empty, and works again on the same arena.
TEST(SkipListClear, ForgetsEveryNodeAfterTheArenaWasResetOrReleased) {
  Arena arena(ArenaOptions{.capacity = 16 << 20});
  List list(&arena);
  for (bool release : {false, true}) {
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(list.Insert("key" + std::to_string(i)).inserted);
    if (release) {
      arena.Release();
    } else {
      arena.Reset();
    }
    ASSERT_TRUE(list.Clear());
    auto first = list.NewIterator();
    first.SeekToFirst();
    EXPECT_FALSE(first.Valid());
    EXPECT_EQ(list.Find("key7"), nullptr);
    Model model;
    for (int i = 0; i < 500; ++i) {
      const std::string key = "new" + std::to_string(i * 7919 % 500);
      ASSERT_TRUE(list.Insert(key).inserted);
      model.insert(key);
    }
    auto it = list.NewIterator();
    it.SeekToFirst();
    for (const std::string& key : model) {
      ASSERT_TRUE(it.Valid());
      EXPECT_EQ(it.key(), key);
      it.Next();
    }
    EXPECT_FALSE(it.Valid());
    arena.Reset();
    ASSERT_TRUE(list.Clear());
  }
}

}  // namespace
}  // namespace arenakv
