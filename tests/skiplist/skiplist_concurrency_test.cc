// SPDX-License-Identifier: Apache-2.0
// Specification of SkipList under concurrent use: writers inserting overlapping
// keys while readers iterate forward and backward and Find, and many threads
// racing to insert the same keys.
//
// Self-validating keys (after LevelDB's skiplist_test): a key is <id, hash(id),
// filler>, and its node's payload carries a stamp of the id written by Insert's
// init. A reader can therefore check every key and payload it meets on its own,
// whatever the writers are doing: a torn key, an uninitialized payload or a
// node published before its bytes would fail the check.
//
// Why "published before the scan began" keys must be seen: a writer stores its
// count of finished Inserts with release after each Insert returns; a reader
// loads the counts with acquire before it starts a scan. Each of those Inserts
// linked its key at level 0 (or found it there) before returning, nodes are
// never removed, and a forward scan walks all of level 0 (a backward scan asks
// for the greatest key below the current one, which level 0 also answers), so
// the scan and Find must meet every such key.
//
// Every thread does a fixed amount of work; readers stop after one full scan
// that began once all writers had finished. Nothing sleeps or waits on time.
// Threads record what they find; verdicts are checked after the joins.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "arenakv/alloc/arena.h"
#include "arenakv/skiplist/skiplist.h"
#include "gtest/gtest.h"
#include "tests/skiplist/skiplist_test_util.h"
#include "tests/support/arena_test_util.h"

namespace arenakv {
namespace {

using test::ForwardKeys;
using test::kOpsScale;

#ifdef ARENAKV_TEST_SANITIZED
constexpr int kWriters = 2;
#else
constexpr int kWriters = 4;
#endif
constexpr int kReaders = 2;
constexpr std::uint32_t kKeySpace = 1 << 15;
// Writers draw ids from kKeySpace at random, so they overlap: with 4 writers
// most ids are inserted by more than one of them.
constexpr std::size_t kInsertsPerWriter = 20000 / kOpsScale;

std::uint64_t Hash(std::uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

char FillerByte(std::uint32_t id, std::size_t i) { return static_cast<char>(Hash(id + i) >> 56); }

// <id: 4 bytes big-endian, so keys sort by id> <Hash(id): 8 bytes> <id % 13 filler bytes>.
std::string EncodeKey(std::uint32_t id) {
  std::string key;
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>(id >> shift));
  const std::uint64_t hash = Hash(id);
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(hash >> shift));
  for (std::size_t i = 0; i < id % 13; ++i) key.push_back(FillerByte(id, i));
  return key;
}

// The id of a well-formed key, or nullopt.
std::optional<std::uint32_t> DecodeKey(std::string_view key) {
  if (key.size() < 12) return std::nullopt;
  std::uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id = id << 8 | static_cast<unsigned char>(key[i]);
  if (id >= kKeySpace || key != EncodeKey(id)) return std::nullopt;
  return id;
}

struct Counted {
  std::atomic<std::uint64_t> inserts;  // Insert calls for this key, by any thread
  std::uint64_t stamp;                 // Stamp(id), written by Insert's init
};
std::uint64_t Stamp(std::uint32_t id) { return ~Hash(id); }
using CountedList = SkipList<Counted>;

// Inserts id's key and counts the call in its payload; counts init calls in
// `inits` if given (init also runs for a node that loses a race and is dropped).
CountedList::InsertResult InsertCounted(CountedList& list, std::uint32_t id,
                                        std::atomic<std::uint64_t>* inits = nullptr) {
  const CountedList::InsertResult result = list.Insert(EncodeKey(id), [&](Counted& payload) {
    payload.stamp = Stamp(id);
    if (inits != nullptr) inits->fetch_add(1, std::memory_order_relaxed);
  });
  if (result.node != nullptr)
    result.node->payload().inserts.fetch_add(1, std::memory_order_relaxed);
  return result;
}

// What one thread saw go wrong; checked after the joins.
struct Findings {
  std::uint64_t refused = 0;       // Insert returned no node (the arena is large enough)
  std::uint64_t bad_keys = 0;      // a key that does not decode
  std::uint64_t bad_stamps = 0;    // a payload whose init was not visible
  std::uint64_t out_of_order = 0;  // a key not strictly after (before) the previous one
  std::uint64_t missed = 0;        // published before the scan began, not met by it
  std::uint64_t not_found = 0;     // published before the scan began, Find returned nullptr
  std::uint64_t scans = 0;
  std::uint64_t backward_scans = 0;

  bool Clean() const {
    return refused + bad_keys + bad_stamps + out_of_order + missed + not_found == 0;
  }
};

std::ostream& operator<<(std::ostream& os, const Findings& f) {
  return os << "refused=" << f.refused << " bad_keys=" << f.bad_keys
            << " bad_stamps=" << f.bad_stamps << " out_of_order=" << f.out_of_order
            << " missed=" << f.missed << " not_found=" << f.not_found << " scans=" << f.scans;
}

using Plans = std::array<std::vector<std::uint32_t>, kWriters>;    // each writer's ids, in order
using Published = std::array<std::atomic<std::size_t>, kWriters>;  // Inserts returned so far

void Write(CountedList& list, const std::vector<std::uint32_t>& plan,
           std::atomic<std::size_t>& published, Findings& findings) {
  for (std::size_t i = 0; i < plan.size(); ++i) {
    findings.refused += InsertCounted(list, plan[i]).node == nullptr;
    published.store(i + 1, std::memory_order_release);
  }
}

// One scan of the whole list, forward or backward, with the checks described at
// the top of the file, plus Find of a sample of the published keys.
void Scan(const CountedList& list, const Plans& plans, const Published& published, bool backward,
          std::mt19937_64& rng, Findings& f) {
  std::array<std::size_t, kWriters> before;
  for (int w = 0; w < kWriters; ++w) before[w] = published[w].load(std::memory_order_acquire);

  std::vector<bool> seen(kKeySpace);
  std::optional<std::string_view> previous;  // nodes never move: the view stays valid
  auto it = list.NewIterator();
  for (backward ? it.SeekToLast() : it.SeekToFirst(); it.Valid();
       backward ? it.Prev() : it.Next()) {
    const std::string_view key = it.key();
    if (previous && (backward ? key >= *previous : key <= *previous)) ++f.out_of_order;
    previous = key;
    const std::optional<std::uint32_t> id = DecodeKey(key);
    if (!id) {
      ++f.bad_keys;
      continue;
    }
    f.bad_stamps += it.node()->payload().stamp != Stamp(*id);
    seen[*id] = true;
  }

  for (int w = 0; w < kWriters; ++w) {
    for (std::size_t i = 0; i < before[w]; ++i) f.missed += !seen[plans[w][i]];
    if (before[w] == 0) continue;
    for (int sample = 0; sample < 32; ++sample) {
      // The latest published key, then random earlier ones.
      const std::size_t i = sample == 0 ? before[w] - 1 : rng() % before[w];
      f.not_found += list.Find(EncodeKey(plans[w][i])) == nullptr;
    }
  }
  ++f.scans;
  f.backward_scans += backward;
}

TEST(SkipListConcurrency, SelfValidatingKeysCheckThemselves) {
  for (std::uint32_t id : {0u, 1u, 12u, 255u, 256u, kKeySpace - 1}) {
    EXPECT_EQ(DecodeKey(EncodeKey(id)), id);
    std::string torn = EncodeKey(id);
    torn.back() ^= 1;
    EXPECT_EQ(DecodeKey(torn), std::nullopt);
    EXPECT_EQ(DecodeKey(EncodeKey(id).substr(0, 11)), std::nullopt);
  }
  EXPECT_EQ(DecodeKey(EncodeKey(kKeySpace)), std::nullopt);
  EXPECT_LT(EncodeKey(255), EncodeKey(256));  // ids order keys
}

// The scaffold without threads: the scan of a quiet list finds nothing wrong.
TEST(SkipListConcurrency, ScanOfAQuietListFindsNothingWrong) {
  Arena arena;
  CountedList list(&arena);
  Plans plans;
  Published published{};
  for (int w = 0; w < kWriters; ++w) {
    plans[w] = {static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(w + 100), 7};
    for (std::uint32_t id : plans[w]) InsertCounted(list, id);
    published[w].store(plans[w].size());
  }
  std::mt19937_64 rng(1);
  for (bool backward : {false, true}) {
    Findings findings;
    Scan(list, plans, published, backward, rng, findings);
    EXPECT_TRUE(findings.Clean()) << findings;
  }
  EXPECT_EQ(list.Find(EncodeKey(7))->payload().inserts.load(),
            static_cast<std::uint64_t>(kWriters));
}

TEST(SkipListConcurrency, ReadersSeeAConsistentListWhileWritersInsertOverlappingKeys) {
  Plans plans;
  std::vector<std::uint64_t> insert_calls(kKeySpace);  // per id, over all plans
  for (int w = 0; w < kWriters; ++w) {
    std::mt19937_64 rng(1000 + w);
    for (std::size_t i = 0; i < kInsertsPerWriter; ++i) {
      const auto id = static_cast<std::uint32_t>(rng() % kKeySpace);
      plans[w].push_back(id);
      ++insert_calls[id];
    }
  }

  Arena arena;
  CountedList list(&arena);
  Published published{};
  std::atomic<int> writers_finished{0};
  std::array<Findings, kWriters + kReaders> findings;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      Write(list, plans[w], published[w], findings[w]);
      writers_finished.fetch_add(1, std::memory_order_release);
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      Findings& f = findings[kWriters + r];
      std::mt19937_64 rng(2000 + r);
      for (bool last = false; !last;) {
        last = writers_finished.load(std::memory_order_acquire) == kWriters;
        Scan(list, plans, published, /*backward=*/(r + f.scans) % 2 == 1, rng, f);
      }
    });
  }
  for (std::thread& t : threads) t.join();

  for (int i = 0; i < kWriters + kReaders; ++i) {
    EXPECT_TRUE(findings[i].Clean())
        << (i < kWriters ? "writer " : "reader ") << i << ": " << findings[i];
  }
  std::uint64_t scans = 0;
  std::uint64_t backward_scans = 0;
  for (int r = 0; r < kReaders; ++r) {
    EXPECT_GE(findings[kWriters + r].scans, 1u);
    scans += findings[kWriters + r].scans;
    backward_scans += findings[kWriters + r].backward_scans;
  }
  RecordProperty("reader_scans", std::to_string(scans));  // varies from run to run
  RecordProperty("reader_backward_scans", std::to_string(backward_scans));

  // The list holds exactly the union of the plans, once each, and every key's
  // counter saw every Insert call of that key, whichever thread linked it.
  std::vector<std::string> expected;
  for (std::uint32_t id = 0; id < kKeySpace; ++id) {
    if (insert_calls[id] > 0) expected.push_back(EncodeKey(id));
  }
  EXPECT_EQ(ForwardKeys(list), expected);
  for (std::uint32_t id = 0; id < kKeySpace; ++id) {
    if (insert_calls[id] == 0) continue;
    const CountedList::Node* node = list.Find(EncodeKey(id));
    ASSERT_NE(node, nullptr) << id;
    EXPECT_EQ(node->payload().inserts.load(), insert_calls[id]) << id;
    EXPECT_EQ(node->payload().stamp, Stamp(id)) << id;
  }
  // Nodes that lost a race were given back: the arena holds the head and one node per key.
  EXPECT_EQ(arena.Stats().live_chunks, expected.size() + 1);
}

// Threads insert the same few keys at the same moment, round after round, each
// round into a fresh list: the level-0 CAS is contended on the same key, and
// each key must still end with exactly one node, linked by exactly one thread.
TEST(SkipListConcurrency, ThreadsInsertingTheSameKeysEndWithOneNodePerKey) {
#ifdef ARENAKV_TEST_SANITIZED
  constexpr int kThreads = 4;
#else
  constexpr int kThreads = 8;
#endif
  constexpr int kKeys = 32;
  const int kRounds = 400 / kOpsScale;

  struct Outcome {
    const CountedList::Node* node;
    bool inserted;
  };
  Arena arena;
  std::vector<std::unique_ptr<CountedList>> lists;
  for (int r = 0; r < kRounds; ++r) lists.push_back(std::make_unique<CountedList>(&arena));
  // outcomes[round][thread][key]
  std::vector<std::array<std::array<Outcome, kKeys>, kThreads>> outcomes(kRounds);
  std::atomic<int> arrivals{0};
  std::atomic<std::uint64_t> inits{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        // Wait, spinning, until every thread has arrived at round r.
        arrivals.fetch_add(1, std::memory_order_acq_rel);
        while (arrivals.load(std::memory_order_acquire) < (r + 1) * kThreads) {
          std::this_thread::yield();
        }
        for (int k = 0; k < kKeys; ++k) {
          const int key = t % 2 == 0 ? k : kKeys - 1 - k;  // half the threads run backwards
          const CountedList::InsertResult result =
              InsertCounted(*lists[r], static_cast<std::uint32_t>(key), &inits);
          outcomes[r][t][key] = {result.node, result.inserted};
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::vector<std::string> expected;
  for (int k = 0; k < kKeys; ++k) expected.push_back(EncodeKey(static_cast<std::uint32_t>(k)));
  for (int r = 0; r < kRounds; ++r) {
    SCOPED_TRACE("round " + std::to_string(r));
    ASSERT_EQ(ForwardKeys(*lists[r]), expected);
    for (int k = 0; k < kKeys; ++k) {
      const CountedList::Node* node = lists[r]->Find(expected[k]);
      int linked_by = 0;
      for (int t = 0; t < kThreads; ++t) {
        EXPECT_EQ(outcomes[r][t][k].node, node) << "key " << k << " thread " << t;
        linked_by += outcomes[r][t][k].inserted;
      }
      EXPECT_EQ(linked_by, 1) << "key " << k;
      EXPECT_EQ(node->payload().inserts.load(), static_cast<std::uint64_t>(kThreads));
      EXPECT_EQ(node->payload().stamp, Stamp(static_cast<std::uint32_t>(k)));
    }
  }
  // Losing nodes were given back: one head per list and one node per key remain.
  EXPECT_EQ(arena.Stats().live_chunks, static_cast<std::size_t>(kRounds) * (kKeys + 1));
  // How often the lost-race path ran (varies from run to run; not a verdict).
  RecordProperty("nodes_dropped_after_losing_a_race",
                 std::to_string(inits.load() - static_cast<std::uint64_t>(kRounds) * kKeys));
}

}  // namespace
}  // namespace arenakv
