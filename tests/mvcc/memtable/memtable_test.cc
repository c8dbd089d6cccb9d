// SPDX-License-Identifier: Apache-2.0
// MemTable, single-threaded: every read path (Get, EntryIterator, SnapshotIterator
// forward, backward, Seek, SeekForPrev) agrees with a std::map model built from the
// same random operations, including binary keys, the empty key and empty values,
// and sequences added out of order. Then the error contract: Add after
// MarkImmutable, sequences above kMaxSequenceNumber, a full arena, ShouldFlush.
#include "mvcc/memtable/memtable.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "mvcc/memtable/memtable_iterator.h"
#include "tests/support/arena_test_util.h"

namespace arenakv {
namespace {

// Per key, its versions newest first; nullopt is a tombstone.
using Versions = std::map<SequenceNumber, std::optional<std::string>, std::greater<>>;
// std::string orders bytewise unsigned, shorter prefix first: the memtable's order.
using Model = std::map<std::string, Versions>;

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out + "\"";
}

// One entry of a visible view (or one version, for EntryIterator).
struct Entry {
  std::string key;
  SequenceNumber sequence;
  std::optional<std::string> value;  // nullopt: tombstone
  bool operator==(const Entry&) const = default;
};
void PrintTo(const Entry& e, std::ostream* os) {
  *os << "{" << Hex(e.key) << " @" << e.sequence << " "
      << (e.value ? Hex(*e.value) : std::string("DELETE")) << "}";
}

// The newest version <= snapshot, or nullptr.
const Versions::value_type* NewestAtOrBelow(const Versions& versions, SequenceNumber snapshot) {
  auto it = versions.lower_bound(snapshot);  // first sequence <= snapshot
  return it == versions.end() ? nullptr : &*it;
}

// What SnapshotIterator must show at `snapshot`: newest version per key, tombstones hidden.
std::vector<Entry> VisibleView(const Model& model, SequenceNumber snapshot) {
  std::vector<Entry> out;
  for (const auto& [key, versions] : model) {
    const auto* v = NewestAtOrBelow(versions, snapshot);
    if (v != nullptr && v->second.has_value()) out.push_back({key, v->first, v->second});
  }
  return out;
}

// What EntryIterator must show: every version, key ascending, sequence descending.
std::vector<Entry> AllVersions(const Model& model) {
  std::vector<Entry> out;
  for (const auto& [key, versions] : model) {
    for (const auto& [seq, value] : versions) out.push_back({key, seq, value});
  }
  return out;
}

// "found:<hex>", "deleted" or "absent", for the model and for the memtable.
std::string ExpectedGet(const Model& model, const std::string& key, SequenceNumber snapshot) {
  auto it = model.find(key);
  const auto* v = it == model.end() ? nullptr : NewestAtOrBelow(it->second, snapshot);
  if (v == nullptr) return "absent";
  return v->second ? "found:" + Hex(*v->second) : "deleted";
}
std::string ActualGet(const MemTable& table, const std::string& key, SequenceNumber snapshot) {
  std::string value = "garbage";
  switch (table.Get(key, snapshot, &value)) {
    case MemTable::LookupResult::kFound:
      return "found:" + Hex(value);
    case MemTable::LookupResult::kDeleted:
      return "deleted";
    case MemTable::LookupResult::kNotPresent:
      return "absent";
  }
  return "invalid LookupResult";
}

std::vector<Entry> ReadAllVersions(const MemTableRef& table) {
  std::vector<Entry> out;
  MemTable::EntryIterator it(table);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::optional<std::string> value;
    if (it.kind() == EntryKind::kPut) value.emplace(it.value());
    out.push_back({std::string(it.key()), it.sequence(), std::move(value)});
  }
  return out;
}

Entry Current(const MemTable::SnapshotIterator& it) {
  return {std::string(it.key()), it.sequence(), std::string(it.value())};
}

// Bytes drawn from an alphabet rich in NULs, 0x7f/0x80 and 0xff, so that keys
// share prefixes and compare on signedness-sensitive bytes.
std::string RandomBytes(std::mt19937_64& rng, std::size_t min_len, std::size_t max_len) {
  static constexpr char kAlphabet[] = {'\0', '\x01', 'a', 'b', '\x7f', '\x80', '\xff'};
  std::uniform_int_distribution<std::size_t> len(min_len, max_len);
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kAlphabet) - 1);
  std::string s(len(rng), '\0');
  for (char& c : s) c = kAlphabet[pick(rng)];
  return s;
}

class MemTableModelTest : public ::testing::Test {
 protected:
  static constexpr int kKeys = 2000;
  static constexpr int kOps = 20000 / test::kOpsScale;
  static constexpr int kShuffleWindow = 8;

  void SetUp() override {
    std::set<std::string> keys = {""};  // the empty key is an ordinary key
    while (keys.size() < kKeys) keys.insert(RandomBytes(rng_, 1, 8));
    keys_.assign(keys.begin(), keys.end());

    // Sequences 1..kOps, shuffled within small windows: concurrent writers
    // acknowledge in roughly, not exactly, sequence order.
    std::vector<SequenceNumber> seqs(kOps);
    for (int i = 0; i < kOps; ++i) seqs[i] = static_cast<SequenceNumber>(i) + 1;
    for (int w = 0; w < kOps; w += kShuffleWindow) {
      std::shuffle(seqs.begin() + w, seqs.begin() + std::min(w + kShuffleWindow, kOps), rng_);
    }
    std::uniform_int_distribution<std::size_t> pick_key(0, keys_.size() - 1);
    std::uniform_int_distribution<int> percent(0, 99);
    for (SequenceNumber seq : seqs) {
      const std::string& key = keys_[pick_key(rng_)];
      const int p = percent(rng_);
      if (p < 20) {
        ASSERT_TRUE(table_->Add(seq, EntryKind::kDelete, key, "").ok());
        model_[key][seq] = std::nullopt;
      } else {
        const std::string value = p < 30 ? std::string() : RandomBytes(rng_, 0, 40);
        ASSERT_TRUE(table_->Add(seq, EntryKind::kPut, key, value).ok());
        model_[key][seq] = value;
      }
    }

    snapshots_ = {0, 1, 2, kOps / 3, kOps / 2, kOps - 1, kOps, kOps + 1, kMaxSequenceNumber};
    std::uniform_int_distribution<SequenceNumber> pick_seq(1, kOps);
    for (int i = 0; i < 11; ++i) snapshots_.push_back(pick_seq(rng_));

    // Probes: table keys, random strings (mostly absent), and their neighbours.
    probes_ = keys_;
    for (int i = 0; i < 300; ++i) probes_.push_back(RandomBytes(rng_, 0, 10));
    for (int i = 0; i < 100; ++i) probes_.push_back(keys_[pick_key(rng_)] + '\0');
    // Iterator seeks cost O(log n) per Prev, and at low snapshots walk over many
    // invisible keys: a sample of the probes keeps these tests quick.
    std::sample(probes_.begin(), probes_.end(), std::back_inserter(seek_targets_),
                300 / test::kOpsScale / test::kOpsScale, rng_);
  }

  std::mt19937_64 rng_{20240601};
  MemTableRef table_ = MemTable::Create(64 << 20, 256 << 20);
  std::vector<std::string> keys_;
  Model model_;
  std::vector<SequenceNumber> snapshots_;
  std::vector<std::string> probes_;
  std::vector<std::string> seek_targets_;
};

TEST_F(MemTableModelTest, CountsEveryAcknowledgedAdd) {
  EXPECT_EQ(table_->num_entries(), static_cast<std::uint64_t>(kOps));
}

TEST_F(MemTableModelTest, GetReturnsNewestVersionAtOrBelowSnapshot) {
  for (SequenceNumber snapshot : snapshots_) {
    for (const std::string& key : probes_) {
      ASSERT_EQ(ActualGet(*table_, key, snapshot), ExpectedGet(model_, key, snapshot))
          << "key " << Hex(key) << " snapshot " << snapshot;
    }
  }
}

TEST_F(MemTableModelTest, EntryIteratorYieldsEveryVersionKeyAscendingSequenceDescending) {
  const std::vector<Entry> expected = AllVersions(model_);
  ASSERT_EQ(expected.size(), static_cast<std::size_t>(kOps));
  EXPECT_EQ(ReadAllVersions(table_), expected);
}

TEST_F(MemTableModelTest, EntryIteratorSeekLandsOnNewestVersionOfFirstKeyAtOrAfterTarget) {
  MemTable::EntryIterator it(table_);
  for (const std::string& target : probes_) {
    it.Seek(target);
    auto next = model_.lower_bound(target);
    if (next == model_.end()) {
      EXPECT_FALSE(it.Valid()) << Hex(target);
      continue;
    }
    ASSERT_TRUE(it.Valid()) << Hex(target);
    EXPECT_EQ(it.key(), next->first) << Hex(target);
    EXPECT_EQ(it.sequence(), next->second.begin()->first) << Hex(target);
  }
}

TEST_F(MemTableModelTest, EntryIteratorBackwardYieldsEveryVersionReversed) {
  std::vector<Entry> expected = AllVersions(model_);
  std::reverse(expected.begin(), expected.end());
  std::vector<Entry> actual;
  MemTable::EntryIterator it(table_);
  for (it.SeekToLast(); it.Valid(); it.Prev()) {
    std::optional<std::string> value;
    if (it.kind() == EntryKind::kPut) value.emplace(it.value());
    actual.push_back({std::string(it.key()), it.sequence(), std::move(value)});
  }
  EXPECT_EQ(actual, expected);
}

// Seek(key, seq) and SeekForPrev(key, seq) in internal key order (key ascending,
// sequence descending), checked against the flat list of every version, with a
// step in the other direction after each seek.
TEST_F(MemTableModelTest, EntryIteratorSeeksByKeyAndSequenceInInternalOrder) {
  const std::vector<Entry> all = AllVersions(model_);
  // Position of the first entry at or after (key, seq): key ascending, seq descending.
  auto first_at_or_after = [&](const std::string& key, SequenceNumber seq) {
    return std::partition_point(all.begin(), all.end(), [&](const Entry& e) {
      return e.key < key || (e.key == key && e.sequence > seq);
    });
  };
  auto same = [](const MemTable::EntryIterator& it, const Entry& e) {
    return it.Valid() && it.key() == e.key && it.sequence() == e.sequence;
  };
  MemTable::EntryIterator it(table_);
  std::uniform_int_distribution<SequenceNumber> pick_seq(0, kOps + 1);
  for (const std::string& key : seek_targets_) {
    for (SequenceNumber seq :
         {SequenceNumber{0}, pick_seq(rng_), pick_seq(rng_), kMaxSequenceNumber}) {
      auto pos = first_at_or_after(key, seq);
      it.Seek(key, seq);
      if (pos == all.end()) {
        EXPECT_FALSE(it.Valid()) << Hex(key) << " @" << seq;
      } else {
        ASSERT_TRUE(same(it, *pos)) << "Seek " << Hex(key) << " @" << seq;
        it.Prev();
        if (pos == all.begin()) {
          EXPECT_FALSE(it.Valid());
        } else {
          ASSERT_TRUE(same(it, *(pos - 1))) << "Prev after Seek " << Hex(key) << " @" << seq;
        }
      }
      // Last entry at or before (key, seq): the one before the first entry after it.
      auto after = std::partition_point(all.begin(), all.end(), [&](const Entry& e) {
        return e.key < key || (e.key == key && e.sequence >= seq);
      });
      it.SeekForPrev(key, seq);
      if (after == all.begin()) {
        EXPECT_FALSE(it.Valid()) << Hex(key) << " @" << seq;
      } else {
        ASSERT_TRUE(same(it, *(after - 1))) << "SeekForPrev " << Hex(key) << " @" << seq;
        it.Next();
        if (after == all.end()) {
          EXPECT_FALSE(it.Valid());
        } else {
          ASSERT_TRUE(same(it, *after)) << "Next after SeekForPrev " << Hex(key) << " @" << seq;
        }
      }
    }
  }
}

TEST_F(MemTableModelTest, InternalIteratorShowsEveryVersionAsInternalKeysBothWays) {
  std::vector<Entry> expected = AllVersions(model_);
  std::unique_ptr<InternalIterator> it = NewMemTableIterator(table_);
  auto current = [&] {
    ParsedInternalKey parsed;
    EXPECT_TRUE(ParseInternalKey(it->key(), &parsed));
    std::optional<std::string> value;
    if (parsed.kind == EntryKind::kPut) value.emplace(it->value());
    return Entry{std::string(parsed.user_key), parsed.sequence, std::move(value)};
  };
  std::vector<Entry> forward;
  for (it->SeekToFirst(); it->Valid(); it->Next()) forward.push_back(current());
  EXPECT_EQ(forward, expected);
  std::vector<Entry> backward;
  for (it->SeekToLast(); it->Valid(); it->Prev()) backward.push_back(current());
  std::reverse(backward.begin(), backward.end());
  EXPECT_EQ(backward, expected);
  ASSERT_FALSE(expected.empty());
  const Entry& middle = expected[expected.size() / 2];
  it->Seek(InternalKey(middle.key, middle.sequence, EntryKind::kPut));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(current(), middle);
  it->SeekForPrev(InternalKey(middle.key, middle.sequence, EntryKind::kDelete));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(current(), middle);
  EXPECT_TRUE(it->status().ok());
  it->Seek("short");  // not an internal key: the caller's bug, reported
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsInvalidArgument());
}

TEST_F(MemTableModelTest, SnapshotIteratorForwardShowsVisibleView) {
  for (SequenceNumber snapshot : snapshots_) {
    MemTable::SnapshotIterator it(table_, snapshot);
    std::vector<Entry> actual;
    for (it.SeekToFirst(); it.Valid(); it.Next()) actual.push_back(Current(it));
    EXPECT_EQ(actual, VisibleView(model_, snapshot)) << "snapshot " << snapshot;
  }
}

TEST_F(MemTableModelTest, SnapshotIteratorBackwardShowsVisibleViewReversed) {
  for (SequenceNumber snapshot : snapshots_) {
    MemTable::SnapshotIterator it(table_, snapshot);
    std::vector<Entry> actual;
    for (it.SeekToLast(); it.Valid(); it.Prev()) actual.push_back(Current(it));
    std::reverse(actual.begin(), actual.end());
    EXPECT_EQ(actual, VisibleView(model_, snapshot)) << "snapshot " << snapshot;
  }
}

TEST_F(MemTableModelTest, SnapshotIteratorSeekFindsFirstVisibleKeyAtOrAfterTarget) {
  constexpr int kSteps = 3;  // then Next, and Prev across the seek point
  for (SequenceNumber snapshot : snapshots_) {
    const std::vector<Entry> view = VisibleView(model_, snapshot);
    MemTable::SnapshotIterator it(table_, snapshot);
    for (const std::string& target : seek_targets_) {
      const auto pos = static_cast<std::size_t>(
          std::lower_bound(view.begin(), view.end(), target,
                           [](const Entry& e, const std::string& t) { return e.key < t; }) -
          view.begin());
      it.Seek(target);
      for (std::size_t i = pos; i < pos + kSteps; ++i, it.Next()) {
        if (i >= view.size()) {
          ASSERT_FALSE(it.Valid()) << Hex(target) << " snapshot " << snapshot;
          break;
        }
        ASSERT_TRUE(it.Valid()) << Hex(target) << " snapshot " << snapshot;
        ASSERT_EQ(Current(it), view[i]) << Hex(target) << " snapshot " << snapshot;
      }
      it.Seek(target);
      if (it.Valid()) {
        it.Prev();
        if (pos == 0) {
          EXPECT_FALSE(it.Valid()) << Hex(target);
        } else {
          ASSERT_TRUE(it.Valid()) << Hex(target);
          EXPECT_EQ(Current(it), view[pos - 1]) << Hex(target);
        }
      }
    }
  }
}

TEST_F(MemTableModelTest, SnapshotIteratorSeekForPrevFindsLastVisibleKeyAtOrBeforeTarget) {
  constexpr int kSteps = 3;  // then Prev, and Next across the seek point
  for (SequenceNumber snapshot : snapshots_) {
    const std::vector<Entry> view = VisibleView(model_, snapshot);
    MemTable::SnapshotIterator it(table_, snapshot);
    for (const std::string& target : seek_targets_) {
      // Entries with key <= target: view[0 .. end).
      const auto end = static_cast<std::size_t>(
          std::upper_bound(view.begin(), view.end(), target,
                           [](const std::string& t, const Entry& e) { return t < e.key; }) -
          view.begin());
      it.SeekForPrev(target);
      for (std::size_t n = end; n + kSteps > end; --n, it.Prev()) {
        if (n == 0) {
          ASSERT_FALSE(it.Valid()) << Hex(target) << " snapshot " << snapshot;
          break;
        }
        ASSERT_TRUE(it.Valid()) << Hex(target) << " snapshot " << snapshot;
        ASSERT_EQ(Current(it), view[n - 1]) << Hex(target) << " snapshot " << snapshot;
      }
      it.SeekForPrev(target);
      if (it.Valid()) {
        it.Next();
        if (end == view.size()) {
          EXPECT_FALSE(it.Valid()) << Hex(target);
        } else {
          ASSERT_TRUE(it.Valid()) << Hex(target);
          EXPECT_EQ(Current(it), view[end]) << Hex(target);
        }
      }
    }
  }
}

TEST(MemTableTest, EmptyKeyNulBytesAndEmptyValuesAreOrdinaryData) {
  MemTableRef table = MemTable::Create(1 << 20, 64 << 20);
  const std::vector<std::string> keys = {std::string("a\0", 2), std::string("\xff"),
                                         std::string(),         std::string("a"),
                                         std::string("\0", 1),  std::string("\0\0", 2)};
  SequenceNumber seq = 0;
  for (const std::string& key : keys) ASSERT_TRUE(table->Add(++seq, EntryKind::kPut, key, "").ok());
  ASSERT_TRUE(table->Add(++seq, EntryKind::kPut, "", std::string("\0v\0", 3)).ok());

  std::string value = "garbage";
  EXPECT_EQ(table->Get("", seq, &value), MemTable::LookupResult::kFound);
  EXPECT_EQ(value, std::string("\0v\0", 3));
  EXPECT_EQ(table->Get("", seq - 1, &value), MemTable::LookupResult::kFound);
  EXPECT_EQ(value, "");
  EXPECT_EQ(table->Get(std::string("\0\0\0", 3), seq, &value), MemTable::LookupResult::kNotPresent);

  std::vector<std::string> order;
  MemTable::SnapshotIterator it(table, seq);
  for (it.SeekToFirst(); it.Valid(); it.Next()) order.emplace_back(it.key());
  const std::vector<std::string> expected = {std::string(),          std::string("\0", 1),
                                             std::string("\0\0", 2), std::string("a"),
                                             std::string("a\0", 2),  std::string("\xff")};
  EXPECT_EQ(order, expected);
}

// A key with thousands of versions between two plain keys: a random walk of
// Next and Prev (direction changes inside the chain included) sees exactly
// the flat list of versions, and a version added during a reverse walk does
// not disturb it. (A reverse step inside the chain used to walk the chain
// from its newest version: quadratic over the walk; now a copy of the chain
// is taken once.)
TEST(MemTableTest, EntryIteratorWalksALongVersionChainBothWays) {
  MemTableRef table = MemTable::Create(8 << 20, 64 << 20);
  constexpr SequenceNumber kVersions = 3000;
  SequenceNumber seq = 0;
  ASSERT_TRUE(table->Add(++seq, EntryKind::kPut, "a", "a").ok());
  for (SequenceNumber i = 0; i < kVersions; ++i) {
    ++seq;
    ASSERT_TRUE(table->Add(seq, EntryKind::kPut, "k", std::to_string(seq)).ok());
  }
  ASSERT_TRUE(table->Add(++seq, EntryKind::kPut, "z", "z").ok());
  // Internal order: key ascending, sequence descending.
  std::vector<std::pair<std::string, SequenceNumber>> all = {{"a", 1}};
  for (SequenceNumber s = kVersions + 1; s >= 2; --s) all.emplace_back("k", s);
  all.emplace_back("z", seq);

  MemTable::EntryIterator it(table);
  it.SeekToLast();
  std::size_t pos = all.size() - 1;
  std::mt19937_64 rng(5);
  for (int step = 0; step < 20000; ++step) {
    ASSERT_TRUE(it.Valid()) << "step " << step;
    ASSERT_EQ(std::string(it.key()), all[pos].first) << "step " << step;
    ASSERT_EQ(it.sequence(), all[pos].second) << "step " << step;
    // Mostly backward, with runs forward, so the walk crosses the chain.
    const bool forward = pos == 0 || (pos + 1 < all.size() && rng() % 4 == 0);
    if (forward) {
      it.Next();
      ++pos;
    } else {
      it.Prev();
      --pos;
    }
  }
  // A reverse walk through the whole chain, with a newer version of "k"
  // added halfway: every version it started with, in order, once.
  it.Seek("k", kMaxSequenceNumber);
  it.Next();  // onto the second newest, then back: the chain copy is taken
  it.Prev();
  ASSERT_EQ(it.sequence(), kVersions + 1);
  for (SequenceNumber s = 0; s < kVersions / 2; ++s) it.Next();
  SequenceNumber expected = kVersions + 1 - kVersions / 2;
  ASSERT_EQ(it.sequence(), expected);
  ASSERT_TRUE(table->Add(++seq, EntryKind::kPut, "k", "late").ok());
  for (; expected < kVersions + 1; ++expected) {
    it.Prev();
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(std::string(it.key()), "k");
    ASSERT_EQ(it.sequence(), expected + 1);
  }
  it.Prev();  // past "k"'s versions the walk reaches "a", the late version or not
  ASSERT_TRUE(it.Valid());
  if (it.key() == "k") {
    EXPECT_EQ(it.sequence(), seq);
    it.Prev();
  }
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(std::string(it.key()), "a");
}

TEST(MemTableTest, TombstoneHidesOlderVersionsOnlyFromLaterSnapshots) {
  MemTableRef table = MemTable::Create(1 << 20, 64 << 20);
  ASSERT_TRUE(table->Add(2, EntryKind::kPut, "apple", "green").ok());
  ASSERT_TRUE(table->Add(9, EntryKind::kPut, "apple", "red").ok());
  ASSERT_TRUE(table->Add(4, EntryKind::kDelete, "apple", "").ok());  // out of order

  std::string value;
  EXPECT_EQ(table->Get("apple", 1, &value), MemTable::LookupResult::kNotPresent);
  EXPECT_EQ(table->Get("apple", 3, &value), MemTable::LookupResult::kFound);
  EXPECT_EQ(value, "green");
  EXPECT_EQ(table->Get("apple", 4, &value), MemTable::LookupResult::kDeleted);
  EXPECT_EQ(table->Get("apple", 8, &value), MemTable::LookupResult::kDeleted);
  EXPECT_EQ(table->Get("apple", 9, &value), MemTable::LookupResult::kFound);
  EXPECT_EQ(value, "red");

  MemTable::SnapshotIterator at5(table, 5);
  at5.SeekToFirst();
  EXPECT_FALSE(at5.Valid());
  at5.SeekToLast();
  EXPECT_FALSE(at5.Valid());
}

// --- Errors ---

TEST(MemTableErrorTest, AddAfterMarkImmutableIsInvalidArgumentAndChangesNothing) {
  MemTableRef table = MemTable::Create(1 << 20, 64 << 20);
  ASSERT_TRUE(table->Add(1, EntryKind::kPut, "k", "v1").ok());
  EXPECT_FALSE(table->immutable());
  table->MarkImmutable();
  EXPECT_TRUE(table->immutable());

  EXPECT_TRUE(table->Add(2, EntryKind::kPut, "k", "v2").IsInvalidArgument());
  EXPECT_TRUE(table->Add(3, EntryKind::kDelete, "other", "").IsInvalidArgument());

  EXPECT_EQ(table->num_entries(), 1u);
  std::string value;
  EXPECT_EQ(table->Get("k", kMaxSequenceNumber, &value), MemTable::LookupResult::kFound);
  EXPECT_EQ(value, "v1");
  EXPECT_EQ(table->Get("other", kMaxSequenceNumber, &value), MemTable::LookupResult::kNotPresent);
}

TEST(MemTableErrorTest, SequenceAboveMaxIsInvalidArgument) {
  MemTableRef table = MemTable::Create(1 << 20, 64 << 20);
  EXPECT_TRUE(table->Add(kMaxSequenceNumber + 1, EntryKind::kPut, "k", "v").IsInvalidArgument());
  EXPECT_TRUE(table->Add(UINT64_MAX, EntryKind::kPut, "k", "v").IsInvalidArgument());
  EXPECT_EQ(table->num_entries(), 0u);
  std::string value;
  EXPECT_EQ(table->Get("k", kMaxSequenceNumber, &value), MemTable::LookupResult::kNotPresent);

  ASSERT_TRUE(table->Add(kMaxSequenceNumber, EntryKind::kPut, "k", "max").ok());
  EXPECT_EQ(table->Get("k", kMaxSequenceNumber, &value), MemTable::LookupResult::kFound);
  EXPECT_EQ(value, "max");
  EXPECT_EQ(table->Get("k", kMaxSequenceNumber - 1, &value), MemTable::LookupResult::kNotPresent);
  MemTable::EntryIterator it(table);
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.sequence(), kMaxSequenceNumber);
  EXPECT_EQ(it.kind(), EntryKind::kPut);
}

TEST(MemTableErrorTest, FullArenaRefusesWithMemoryLimitAndKeepsEveryAcknowledgedAdd) {
  constexpr std::size_t kCapacity = 1 << 20;
  MemTableRef table = MemTable::Create(kCapacity, kCapacity);
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> key_id(1000, 4999);  // all keys 7 bytes
  // Few distinct sizes: the arena commits 64 KiB per slab, so many sizes would
  // spread 1 MiB over many part-filled pools.
  static constexpr std::size_t kValueSizes[] = {0, 16, 200};
  std::uniform_int_distribution<std::size_t> value_size(0, 2);

  Model model;
  std::uint64_t ok_adds = 0;
  int refusals = 0;
  // Keep adding past the first refusal: other slabs may still have room, and
  // whatever is acknowledged then must be kept too. Bounded in any case.
  for (SequenceNumber seq = 1; seq <= 1'000'000 && refusals < 200; ++seq) {
    const std::string key = "key" + std::to_string(key_id(rng));
    const std::string value(kValueSizes[value_size(rng)], static_cast<char>('a' + seq % 26));
    const EntryKind kind = seq % 10 == 0 ? EntryKind::kDelete : EntryKind::kPut;
    const Status s = table->Add(seq, kind, key, kind == EntryKind::kPut ? value : "");
    if (s.ok()) {
      ++ok_adds;
      model[key][seq] = kind == EntryKind::kPut ? std::optional(value) : std::nullopt;
    } else {
      ASSERT_TRUE(s.IsMemoryLimit()) << s.ToString();
      ++refusals;
    }
  }
  ASSERT_GT(refusals, 0) << "the arena never filled up";
  ASSERT_GT(ok_adds, 1000u);
  EXPECT_LE(table->ApproximateMemoryUsage(), kCapacity);
  EXPECT_TRUE(table->ShouldFlush());

  EXPECT_EQ(table->num_entries(), ok_adds);
  EXPECT_EQ(ReadAllVersions(table), AllVersions(model));  // sorted, nothing half-linked
  for (const auto& [key, versions] : model) {
    ASSERT_EQ(ActualGet(*table, key, kMaxSequenceNumber),
              ExpectedGet(model, key, kMaxSequenceNumber))
        << key;
  }
  // Refused Adds left no trace, not even an empty node for a new key.
  std::string value;
  for (int id = 1000; id < 5000; ++id) {
    const std::string key = "key" + std::to_string(id);
    if (model.count(key) == 0) {
      ASSERT_EQ(table->Get(key, kMaxSequenceNumber, &value), MemTable::LookupResult::kNotPresent);
    }
  }
  std::vector<Entry> forward;
  MemTable::SnapshotIterator it(table, kMaxSequenceNumber);
  for (it.SeekToFirst(); it.Valid(); it.Next()) forward.push_back(Current(it));
  EXPECT_EQ(forward, VisibleView(model, kMaxSequenceNumber));
}

TEST(MemTableErrorTest, ShouldFlushTurnsTrueOnceUsageReachesWriteBufferSize) {
  constexpr std::size_t kWriteBufferSize = 256 << 10;
  MemTableRef table = MemTable::Create(kWriteBufferSize, 64 << 20);
  EXPECT_FALSE(table->ShouldFlush());

  const std::string value(100, 'v');
  SequenceNumber seq = 0;
  while (!table->ShouldFlush() && seq < 1'000'000) {
    ++seq;
    ASSERT_TRUE(table->Add(seq, EntryKind::kPut, "key" + std::to_string(seq), value).ok());
    ASSERT_EQ(table->ShouldFlush(), table->ApproximateMemoryUsage() >= kWriteBufferSize);
  }
  ASSERT_TRUE(table->ShouldFlush());
  EXPECT_GE(table->ApproximateMemoryUsage(), kWriteBufferSize);
  // Advisory only: writes still succeed until the arena's capacity.
  EXPECT_TRUE(table->Add(++seq, EntryKind::kPut, "after", value).ok());
  EXPECT_TRUE(table->ShouldFlush());
}

}  // namespace
}  // namespace arenakv
