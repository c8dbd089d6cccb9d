// SPDX-License-Identifier: Apache-2.0
// NewMergingIterator: every move, in both directions and across direction
// switches, agrees with a sorted-vector model of the union of the children;
// then edge cases (no child, one child, duplicates, short keys) and error
// propagation from a child.
#include "mvcc/iter/merging_iterator.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "mvcc/util/dbformat.h"
#include "tests/mvcc/iter/vector_iterator.h"

namespace arenakv {
namespace {

using Entries = VectorIterator::Entries;

std::string Printable(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::unique_ptr<InternalIterator> Merge(const std::vector<Entries>& children) {
  std::vector<std::unique_ptr<InternalIterator>> iters;
  for (const auto& entries : children) iters.push_back(std::make_unique<VectorIterator>(entries));
  return NewMergingIterator(std::move(iters));
}

std::string RandomUserKey(std::mt19937_64& rng) {
  static constexpr char kAlphabet[] = {'\0', 'a', 'b', '\xff'};
  std::string key;
  const std::size_t length = rng() % 4;
  for (std::size_t i = 0; i < length; ++i) key += kAlphabet[rng() % 4];
  return key;
}

EntryKind RandomKind(std::mt19937_64& rng) {
  return rng() % 2 == 0 ? EntryKind::kPut : EntryKind::kDelete;
}

// The model: the union of the children, sorted; a cursor index where
// entries.size() (or any value out of range) means !Valid().
struct Model {
  Entries entries;
  std::size_t pos = SIZE_MAX;

  bool Valid() const { return pos < entries.size(); }
  void SeekToFirst() { pos = 0; }
  void SeekToLast() { pos = entries.empty() ? SIZE_MAX : entries.size() - 1; }
  std::size_t LowerBound(std::string_view target) const {
    return static_cast<std::size_t>(std::lower_bound(entries.begin(), entries.end(), target,
                                                     [](const auto& e, std::string_view t) {
                                                       return InternalKeyCompare(e.first, t) < 0;
                                                     }) -
                                    entries.begin());
  }
  void Seek(std::string_view target) { pos = LowerBound(target); }
  void SeekForPrev(std::string_view target) {
    std::size_t i = LowerBound(target);
    if (i < entries.size() && InternalKeyCompare(entries[i].first, target) == 0) {
      pos = i;
    } else {
      pos = i == 0 ? SIZE_MAX : i - 1;
    }
  }
  void Next() { ++pos; }
  void Prev() { pos = pos == 0 ? SIZE_MAX : pos - 1; }
};

void ExpectSame(const Model& model, const InternalIterator& iter, const std::string& context) {
  ASSERT_EQ(model.Valid(), iter.Valid()) << context;
  EXPECT_TRUE(iter.status().ok()) << context;
  if (!model.Valid()) return;
  ASSERT_EQ(Printable(model.entries[model.pos].first), Printable(iter.key())) << context;
  ASSERT_EQ(model.entries[model.pos].second, iter.value()) << context;
}

// A random set of unique internal keys (unique sequences), dealt at random to
// `num_children` children.
void BuildRandom(std::mt19937_64& rng, std::size_t num_children, std::size_t num_entries,
                 std::vector<Entries>* children, Model* model) {
  children->assign(num_children, {});
  std::vector<SequenceNumber> sequences(num_entries);
  std::iota(sequences.begin(), sequences.end(), SequenceNumber{1});
  std::shuffle(sequences.begin(), sequences.end(), rng);
  for (std::size_t i = 0; i < num_entries; ++i) {
    std::string key = InternalKey(RandomUserKey(rng), sequences[i], RandomKind(rng));
    std::string value = "v" + std::to_string(i);
    if (num_children > 0) (*children)[rng() % num_children].emplace_back(key, value);
    model->entries.emplace_back(std::move(key), std::move(value));
  }
  if (num_children == 0) model->entries.clear();
  std::sort(model->entries.begin(), model->entries.end(),
            [](const auto& a, const auto& b) { return InternalKeyCompare(a.first, b.first) < 0; });
}

TEST(MergingIteratorTest, AgreesWithModelUnderRandomMovesAndDirectionSwitches) {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    std::mt19937_64 rng(seed);
    const std::size_t num_children = rng() % 7;
    const std::size_t num_entries = rng() % 60;
    std::vector<Entries> children;
    Model model;
    BuildRandom(rng, num_children, num_entries, &children, &model);
    auto iter = Merge(children);
    for (int step = 0; step < 200; ++step) {
      std::string op;
      const int choice = static_cast<int>(rng() % 10);
      if ((choice >= 6) && !model.Valid()) continue;
      switch (choice) {
        case 0:
          op = "SeekToFirst";
          model.SeekToFirst();
          iter->SeekToFirst();
          break;
        case 1:
          op = "SeekToLast";
          model.SeekToLast();
          iter->SeekToLast();
          break;
        case 2:
        case 3:
        case 4:
        case 5: {
          // Half the targets are present keys, half arbitrary.
          std::string target =
              (rng() % 2 == 0 && !model.entries.empty())
                  ? model.entries[rng() % model.entries.size()].first
                  : InternalKey(RandomUserKey(rng), rng() % (num_entries + 2), RandomKind(rng));
          if (choice % 2 == 0) {
            op = "Seek " + Printable(target);
            model.Seek(target);
            iter->Seek(target);
          } else {
            op = "SeekForPrev " + Printable(target);
            model.SeekForPrev(target);
            iter->SeekForPrev(target);
          }
          break;
        }
        case 6:
        case 7:
          op = "Next";
          model.Next();
          iter->Next();
          break;
        default:
          op = "Prev";
          model.Prev();
          iter->Prev();
          break;
      }
      ASSERT_NO_FATAL_FAILURE(
          ExpectSame(model, *iter,
                     "seed " + std::to_string(seed) + " step " + std::to_string(step) + " " + op));
    }
  }
}

TEST(MergingIteratorTest, FullScansInBothDirectionsYieldTheSortedUnion) {
  std::mt19937_64 rng(42);
  std::vector<Entries> children;
  Model model;
  BuildRandom(rng, 5, 500, &children, &model);
  auto iter = Merge(children);
  std::size_t i = 0;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next(), ++i) {
    ASSERT_LT(i, model.entries.size());
    ASSERT_EQ(model.entries[i].first, iter->key());
  }
  EXPECT_EQ(i, model.entries.size());
  for (iter->SeekToLast(); iter->Valid(); iter->Prev()) {
    ASSERT_GT(i, 0u);
    --i;
    ASSERT_EQ(model.entries[i].first, iter->key());
  }
  EXPECT_EQ(i, 0u);
  EXPECT_TRUE(iter->status().ok());
}

TEST(MergingIteratorTest, SwitchesDirectionAfterSeekAndSeekForPrev) {
  const std::string a = InternalKey("a", 1, EntryKind::kPut);
  const std::string b = InternalKey("b", 2, EntryKind::kPut);
  const std::string c = InternalKey("c", 3, EntryKind::kPut);
  const std::string d = InternalKey("d", 4, EntryKind::kPut);
  auto iter = Merge({{{a, "A"}, {c, "C"}}, {{b, "B"}, {d, "D"}}, {}});

  iter->Seek(c);
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("C", iter->value());
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("B", iter->value());
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("C", iter->value());
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("D", iter->value());

  iter->SeekForPrev(InternalKey("c", 0, EntryKind::kDelete));  // last entry of "c"
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("C", iter->value());
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("D", iter->value());
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("C", iter->value());
  iter->Prev();
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("A", iter->value());
  iter->Prev();
  EXPECT_FALSE(iter->Valid());

  // Off the end, then back: a seek is needed, and works.
  iter->SeekToLast();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("D", iter->value());
  iter->Next();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST(MergingIteratorTest, NoChildrenIsEmptyAndOk) {
  auto iter = NewMergingIterator({});
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  iter->SeekToLast();
  EXPECT_FALSE(iter->Valid());
  iter->Seek(InternalKey("a", 1, EntryKind::kPut));
  EXPECT_FALSE(iter->Valid());
  iter->SeekForPrev(InternalKey("a", 1, EntryKind::kPut));
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST(MergingIteratorTest, OneChildIsReturnedItself) {
  auto child =
      std::make_unique<VectorIterator>(Entries{{InternalKey("k", 1, EntryKind::kPut), "v"}});
  InternalIterator* const raw = child.get();
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(std::move(child));
  auto iter = NewMergingIterator(std::move(children));
  EXPECT_EQ(raw, iter.get());
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("v", iter->value());
}

TEST(MergingIteratorTest, EmptyChildrenAmongOthersAreIgnored) {
  const std::string k = InternalKey("", 7, EntryKind::kDelete);  // empty user key
  auto iter = Merge({{}, {{k, ""}}, {}});
  iter->SeekToLast();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(k, iter->key());
  EXPECT_EQ("", iter->value());
  iter->Prev();
  EXPECT_FALSE(iter->Valid());
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  iter->Next();
  EXPECT_FALSE(iter->Valid());
}

TEST(MergingIteratorTest, DuplicateEntriesAcrossChildrenDoNotBreakOrder) {
  const std::string a = InternalKey("a", 1, EntryKind::kPut);
  const std::string b = InternalKey("b", 1, EntryKind::kPut);
  const std::string c = InternalKey("c", 1, EntryKind::kPut);
  auto iter = Merge({{{a, "1"}, {b, "1"}}, {{b, "2"}, {c, "2"}}});
  std::vector<std::string> forward;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) forward.emplace_back(iter->key());
  EXPECT_TRUE(std::is_sorted(forward.begin(), forward.end(), [](const auto& x, const auto& y) {
    return InternalKeyCompare(x, y) < 0;
  }));
  EXPECT_EQ((std::set<std::string>{a, b, c}),
            std::set<std::string>(forward.begin(), forward.end()));
  std::vector<std::string> backward;
  for (iter->SeekToLast(); iter->Valid(); iter->Prev()) backward.emplace_back(iter->key());
  EXPECT_EQ((std::set<std::string>{a, b, c}),
            std::set<std::string>(backward.begin(), backward.end()));
  // Switching direction on a duplicated key moves past it, not into a loop.
  iter->Seek(b);
  ASSERT_TRUE(iter->Valid());
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(a, iter->key());
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(b, iter->key());
  EXPECT_TRUE(iter->status().ok());
}

TEST(MergingIteratorTest, KeysShorterThanATrailerAreOrderedWithoutCrashing) {
  const std::string good = InternalKey("ab", 5, EntryKind::kPut);
  auto iter = Merge({{{"ab", "short"}, {"z", "z"}}, {{good, "good"}, {"", "empty"}}});
  std::vector<std::string> values;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) values.emplace_back(iter->value());
  EXPECT_EQ((std::vector<std::string>{"empty", "short", "good", "z"}), values);
  values.clear();
  for (iter->SeekToLast(); iter->Valid(); iter->Prev()) values.emplace_back(iter->value());
  EXPECT_EQ((std::vector<std::string>{"z", "good", "short", "empty"}), values);
}

TEST(MergingIteratorTest, ChildErrorDuringForwardScanStopsTheMerge) {
  std::vector<std::unique_ptr<InternalIterator>> children;
  Entries first;
  Entries second;
  for (int i = 0; i < 10; ++i) {
    first.emplace_back(InternalKey("a" + std::to_string(i), 1, EntryKind::kPut), "x");
    second.emplace_back(InternalKey("b" + std::to_string(i), 1, EntryKind::kPut), "y");
  }
  auto failing = std::make_unique<VectorIterator>(second);
  failing->FailAfter(1, Status::IOError("disk gone"));  // the SeekToFirst succeeds
  children.push_back(std::make_unique<VectorIterator>(first));
  children.push_back(std::move(failing));
  auto iter = NewMergingIterator(std::move(children));
  iter->SeekToFirst();
  int seen = 0;
  for (; iter->Valid(); iter->Next()) ++seen;
  // a0..a9 come from the healthy child; b0 is current until its child's next
  // move fails.
  EXPECT_EQ(11, seen);
  EXPECT_TRUE(iter->status().IsIOError());
  EXPECT_EQ("disk gone", iter->status().message());
  // The child keeps failing: a new seek is still not Valid.
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsIOError());
}

TEST(MergingIteratorTest, ErrorOnSwitchFromForwardToReverse) {
  Entries left = {{InternalKey("a", 1, EntryKind::kPut), "a"},
                  {InternalKey("c", 1, EntryKind::kPut), "c"}};
  Entries right = {{InternalKey("b", 1, EntryKind::kPut), "b"}};
  auto failing = std::make_unique<VectorIterator>(right);
  failing->FailAfter(1, Status::Corruption("bad block"));
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(std::make_unique<VectorIterator>(left));
  children.push_back(std::move(failing));
  auto iter = NewMergingIterator(std::move(children));
  iter->Seek(InternalKey("c", 1, EntryKind::kPut));  // current "c" (left); right is past its end
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("c", iter->value());
  iter->Prev();  // the switch re-seeks right, which fails
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsCorruption());
  EXPECT_EQ("bad block", iter->status().message());
}

TEST(MergingIteratorTest, ErrorOnSwitchFromReverseToForward) {
  Entries left = {{InternalKey("a", 1, EntryKind::kPut), "a"},
                  {InternalKey("c", 1, EntryKind::kPut), "c"}};
  Entries right = {{InternalKey("b", 1, EntryKind::kPut), "b"},
                   {InternalKey("d", 1, EntryKind::kPut), "d"}};
  auto failing = std::make_unique<VectorIterator>(right);
  failing->FailAfter(1, Status::IOError("read failed"));
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(std::make_unique<VectorIterator>(left));
  children.push_back(std::move(failing));
  auto iter = NewMergingIterator(std::move(children));
  iter->SeekForPrev(InternalKey("c", 1, EntryKind::kPut));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ("c", iter->value());
  iter->Next();  // the switch re-seeks right, which fails
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsIOError());
}

TEST(MergingIteratorTest, StatusIsTheFirstFailingChildInOrder) {
  const Entries one = {{InternalKey("a", 1, EntryKind::kPut), "a"}};
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(std::make_unique<VectorIterator>(one));
  auto second = std::make_unique<VectorIterator>(one);
  second->FailAfter(0, Status::IOError("second"));
  auto third = std::make_unique<VectorIterator>(one);
  third->FailAfter(0, Status::Corruption("third"));
  children.push_back(std::move(second));
  children.push_back(std::move(third));
  auto iter = NewMergingIterator(std::move(children));
  EXPECT_TRUE(iter->status().ok());
  iter->SeekToFirst();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().IsIOError());
  EXPECT_EQ("second", iter->status().message());
}

}  // namespace
}  // namespace arenakv
