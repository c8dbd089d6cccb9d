// SPDX-License-Identifier: Apache-2.0
// Leveled compaction under concurrency, black-box through
// mvcc/include/arenakv/mvcc/db.h: writers, snapshot readers and a CompactRange loop
// run at once on the tiny tree of test::TinyShapeOptions (plus three
// background jobs and a small block cache), so flushes and compactions
// overlap every read and write.
//
// Writer t owns keys "w<t>/<jjjj>" and gives key j generations 1, 2, ... (a
// put, or a batch of puts to several of its keys); the value of generation g
// is a function of (key, g), so every value read checks itself. After a write
// returns OK the writer publishes the new generations. Readers, each in a
// loop:
//   - read the published generations, then take a snapshot: through it every
//     key must show at least its published generation (a write that returned
//     before the snapshot is in it);
//   - the generations a reader sees for a key never go down over its loops
//     (later snapshots are newer), and a Get through a snapshot returns the
//     value its scan returned;
//   - a bounded backward scan of one writer's keys through the same snapshot
//     equals that part of the forward scan.
// A third kind of thread calls CompactRange (and now and then Flush) until
// the writers are done. The verdict does not depend on the interleaving.
// The test ends by checking every key's last generation (before and after a
// reopen) and that compactions really ran ("arenakv.stats" counters, tables
// below level 0); waiting for the settled tree polls
// "arenakv.compaction-pending" (bounded), nothing sleeps.
// The single-threaded model tests are in db_compaction_model_test.cc.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

constexpr int kWriters = 3;
constexpr int kReaders = 2;
constexpr int kKeysPerWriter = 250;
constexpr int kOpsPerWriter = 12000 / test::kScale;

std::string Key(int writer, int j) {
  std::string digits = std::to_string(j);
  digits.insert(0, 4 - digits.size(), '0');
  return "w" + std::to_string(writer) + "/" + digits;
}

std::string Value(const std::string& key, std::uint32_t generation) {
  const std::size_t pad = 100 + (generation * 37 + key.back()) % 200;
  return key + "#" + std::to_string(generation) + "#" +
         std::string(pad, static_cast<char>('a' + generation % 26));
}

// The generation `value` encodes for `key`, or 0 if it is no value of `key`.
std::uint32_t GenerationOf(const std::string& key, std::string_view value) {
  if (value.size() < key.size() + 3 || value.substr(0, key.size()) != key ||
      value[key.size()] != '#') {
    return 0;
  }
  std::uint64_t generation = 0;
  for (std::size_t i = key.size() + 1; i < value.size() && value[i] != '#'; ++i) {
    if (value[i] < '0' || value[i] > '9' || generation > kOpsPerWriter) return 0;
    generation = generation * 10 + static_cast<std::uint64_t>(value[i] - '0');
  }
  if (generation == 0 || generation > kOpsPerWriter) return 0;
  const auto g = static_cast<std::uint32_t>(generation);
  return value == Value(key, g) ? g : 0;
}

// (writer, j) of a key of the workload, or nullopt.
std::optional<std::pair<int, int>> ParseKey(std::string_view key) {
  if (key.size() != 7 || key[0] != 'w' || key[2] != '/' || key[1] < '0' ||
      key[1] >= '0' + kWriters) {
    return std::nullopt;
  }
  int j = 0;
  for (std::size_t i = 3; i < 7; ++i) {
    if (key[i] < '0' || key[i] > '9') return std::nullopt;
    j = j * 10 + (key[i] - '0');
  }
  if (j >= kKeysPerWriter) return std::nullopt;
  return std::make_pair(key[1] - '0', j);
}

struct Shared {
  DB* db;
  // published[t][j]: a generation of writer t's key j whose write returned OK.
  std::vector<std::atomic<std::uint32_t>> published[kWriters];
  std::atomic<int> writers_running{kWriters};
  test::Failures failures;

  explicit Shared(DB* d) : db(d) {
    for (auto& p : published) p = std::vector<std::atomic<std::uint32_t>>(kKeysPerWriter);
  }
  bool writing() const { return writers_running.load(std::memory_order_acquire) > 0; }
};

// Writer t; returns the final generation of each of its keys.
std::vector<std::uint32_t> RunWriter(Shared& shared, int t) {
  std::mt19937_64 rng(0x5eed0200 + static_cast<std::uint64_t>(t));
  std::vector<std::uint32_t> generation(kKeysPerWriter, 0);
  for (int op = 0; op < kOpsPerWriter && shared.failures.count() == 0;) {
    std::vector<int> keys{static_cast<int>(rng() % kKeysPerWriter)};
    if (rng() % 5 == 0) {  // a batch of distinct keys
      const int n = 2 + static_cast<int>(rng() % 4);
      while (static_cast<int>(keys.size()) < n) {
        const int j = static_cast<int>(rng() % kKeysPerWriter);
        if (std::find(keys.begin(), keys.end(), j) == keys.end()) keys.push_back(j);
      }
    }
    Status s;
    if (keys.size() == 1) {
      s = shared.db->Put({}, Key(t, keys[0]), Value(Key(t, keys[0]), generation[keys[0]] + 1));
    } else {
      WriteBatch batch;
      for (int j : keys) batch.Put(Key(t, j), Value(Key(t, j), generation[j] + 1));
      s = shared.db->Write({}, &batch);
    }
    if (!s.ok()) {
      shared.failures.Add("writer " + std::to_string(t) + ": " + s.ToString());
      break;
    }
    for (int j : keys) {
      ++generation[j];
      shared.published[t][j].store(generation[j], std::memory_order_release);
    }
    op += static_cast<int>(keys.size());
  }
  shared.writers_running.fetch_sub(1, std::memory_order_release);
  return generation;
}

void RunReader(Shared& shared, int r) {
  std::mt19937_64 rng(0x5eed0300 + static_cast<std::uint64_t>(r));
  std::vector<std::vector<std::uint32_t>> last_seen(kWriters,
                                                    std::vector<std::uint32_t>(kKeysPerWriter, 0));
  auto fail = [&](int loop, const std::string& what) {
    shared.failures.Add("reader " + std::to_string(r) + " loop " + std::to_string(loop) + ": " +
                        what);
  };
  for (int loop = 0; (shared.writing() || loop < 3) && shared.failures.count() == 0; ++loop) {
    std::vector<std::vector<std::uint32_t>> floor(kWriters);
    for (int t = 0; t < kWriters; ++t) {
      for (const auto& g : shared.published[t]) {
        floor[t].push_back(g.load(std::memory_order_acquire));
      }
    }
    const Snapshot* snapshot = shared.db->GetSnapshot();
    ReadOptions ro;
    ro.snapshot = snapshot;

    std::vector<std::vector<std::uint32_t>> seen(kWriters,
                                                 std::vector<std::uint32_t>(kKeysPerWriter, 0));
    test::KvVector scan;
    {
      std::unique_ptr<Iterator> it = shared.db->NewIterator(ro);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        scan.emplace_back(std::string(it->key()), std::string(it->value()));
      }
      if (!it->status().ok()) fail(loop, "scan: " + it->status().ToString());
    }
    for (std::size_t i = 0; i < scan.size(); ++i) {
      const auto& [key, value] = scan[i];
      const auto parsed = ParseKey(key);
      if (!parsed) {
        fail(loop, "unexpected key " + test::Printable(key));
        continue;
      }
      if (i > 0 && !(scan[i - 1].first < key)) fail(loop, "keys out of order at " + key);
      const std::uint32_t g = GenerationOf(key, value);
      if (g == 0) fail(loop, "bad value for " + key + ": " + test::Printable(value));
      seen[parsed->first][parsed->second] = g;
    }
    for (int t = 0; t < kWriters; ++t) {
      for (int j = 0; j < kKeysPerWriter; ++j) {
        if (seen[t][j] < floor[t][j]) {
          fail(loop, Key(t, j) + ": snapshot shows generation " + std::to_string(seen[t][j]) +
                         ", published before it was " + std::to_string(floor[t][j]));
        }
        if (seen[t][j] < last_seen[t][j]) {
          fail(loop, Key(t, j) + ": generation went from " + std::to_string(last_seen[t][j]) +
                         " back to " + std::to_string(seen[t][j]));
        }
        last_seen[t][j] = seen[t][j];
      }
    }

    // Gets through the same snapshot agree with its scan.
    for (int i = 0; i < 32; ++i) {
      const int t = static_cast<int>(rng() % kWriters);
      const int j = static_cast<int>(rng() % kKeysPerWriter);
      std::string value;
      const Status s = shared.db->Get(ro, Key(t, j), &value);
      if (seen[t][j] == 0) {
        if (!s.IsNotFound()) fail(loop, "Get(" + Key(t, j) + "): " + s.ToString());
      } else if (!s.ok() || GenerationOf(Key(t, j), value) != seen[t][j]) {
        fail(loop, "Get(" + Key(t, j) + ") through the snapshot: " + s.ToString() + " " +
                       test::Printable(value) + ", its scan saw generation " +
                       std::to_string(seen[t][j]));
      }
    }

    // A backward scan of one writer's keys, bounded, agrees too.
    const int t = static_cast<int>(rng() % kWriters);
    ro.lower_bound = "w" + std::to_string(t) + "/";
    ro.upper_bound = "w" + std::to_string(t) + "0";  // '0' follows '/'
    test::KvVector backward;
    {
      std::unique_ptr<Iterator> it = shared.db->NewIterator(ro);
      for (it->SeekToLast(); it->Valid(); it->Prev()) {
        backward.emplace_back(std::string(it->key()), std::string(it->value()));
      }
      if (!it->status().ok()) fail(loop, "backward scan: " + it->status().ToString());
    }
    std::reverse(backward.begin(), backward.end());
    test::KvVector part;
    for (const auto& entry : scan) {
      if (entry.first >= *ro.lower_bound && entry.first < *ro.upper_bound) part.push_back(entry);
    }
    if (backward != part) {
      fail(loop, "backward scan of writer " + std::to_string(t) + " holds " +
                     std::to_string(backward.size()) + " entries, the forward scan " +
                     std::to_string(part.size()) + " (or their values differ)");
    }
    shared.db->ReleaseSnapshot(snapshot);
  }
}

void RunCompactor(Shared& shared) {
  std::mt19937_64 rng(0x5eed0400);
  for (int i = 0; shared.writing() && shared.failures.count() == 0; ++i) {
    Status s;
    if (i % 8 == 7) {
      s = shared.db->Flush();
    } else if (i % 4 == 3) {
      s = shared.db->CompactRange(std::nullopt, std::nullopt);
    } else {
      const int t = static_cast<int>(rng() % kWriters);
      int a = static_cast<int>(rng() % kKeysPerWriter),
          b = static_cast<int>(rng() % kKeysPerWriter);
      if (a > b) std::swap(a, b);
      s = shared.db->CompactRange(Key(t, a), Key(t, b));
    }
    if (!s.ok()) shared.failures.Add("compactor: " + s.ToString());
  }
}

TEST(CompactionStressTest, ConcurrentWritersReadersAndSnapshotsWhileCompacting) {
  MemFileSystem fs;
  Options options = test::TinyShapeOptions();
  options.file_system = &fs;
  options.max_background_jobs = 3;       // a flush and two compactions at once
  options.block_cache_size = 256 << 10;  // small enough to evict
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());

  Shared shared(db.get());
  std::vector<std::uint32_t> final_generation[kWriters];
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] { final_generation[t] = RunWriter(shared, t); });
  }
  for (int r = 0; r < kReaders; ++r) threads.emplace_back([&, r] { RunReader(shared, r); });
  threads.emplace_back([&] { RunCompactor(shared); });
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(shared.failures.count(), 0) << shared.failures.Report();

  // Settled or not, and again after a reopen: every key at its last generation.
  test::KvMap want;
  for (int t = 0; t < kWriters; ++t) {
    for (int j = 0; j < kKeysPerWriter; ++j) {
      if (final_generation[t][j] > 0) want[Key(t, j)] = Value(Key(t, j), final_generation[t][j]);
    }
  }
  EXPECT_EQ(test::FirstDifference(want, test::ScanForward(db.get())), "") << "forward scan";
  EXPECT_EQ(test::FirstDifference(want, test::ScanBackward(db.get())), "") << "backward scan";
  for (const auto& [key, value] : want) {
    std::string got;
    const Status s = db->Get({}, key, &got);
    EXPECT_TRUE(s.ok() && got == value) << "Get(" << key << "): " << s.ToString();
  }
  ASSERT_NO_FATAL_FAILURE(test::WaitForBackgroundWork(db.get()));
  EXPECT_GT(test::StatsLine(db.get(), "compactions"), 0u);
  EXPECT_GT(test::StatsLine(db.get(), "compaction_bytes_written"), 0u) << "only trivial moves ran";
  EXPECT_GT(test::FilesBelowLevel0(db.get()), 0u);
  db.reset();
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  EXPECT_EQ(test::FirstDifference(want, test::ScanForward(db.get())), "") << "after reopen";
}

}  // namespace
}  // namespace arenakv
