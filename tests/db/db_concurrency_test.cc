// SPDX-License-Identifier: Apache-2.0
// DB under concurrency, black-box: writer threads, Get readers, iterator and
// snapshot readers and explicit flushes all run at once on a DB whose small
// write buffer makes memtables rotate and flush constantly. Meant to be run
// under TSan too (sizes shrink there through test::kScale).
//
// Self-validating data: writer t writes keys "w<t>/<j>" (j zero-padded, so
// keys sort by j) in rounds r = 1..R, each round writing j = 0..K-1 in order;
// the value names its key and round. So:
//   - a Get that starts after a writer published "n writes done" must see, for
//     key j, at least the round that those n writes reached (read-your-writes
//     across threads, the "once a write returned OK" guarantee);
//   - any point-in-time view (an iterator, a snapshot) sees each writer's keys
//     as a cut of its write order: rounds non-increasing in j, first minus last
//     at most 1; the batch writer's groups of kBatch keys all in one round;
//   - a snapshot read twice, with writes and flushes in between, reads the
//     same both times.
// The verdict does not depend on the interleaving; only how much of it each
// check sees does.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
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
constexpr int kKeysPerWriter = 100;
// 3 x 100 x 16 values of ~270 bytes: 1.3 MB, at least four write buffers'
// worth (a memtable holds at most kSmallWriteBuffer + 64 KiB), so memtables
// rotate and flush during the run in every build.
constexpr int kRounds = 16;
constexpr int kBatchWriter = kWriters - 1;  // writes kBatch keys per WriteBatch
constexpr int kBatch = 4;                   // divides kKeysPerWriter
static_assert(kKeysPerWriter % kBatch == 0);

std::string Key(int writer, int j) {
  std::string digits = std::to_string(j);
  digits.insert(0, 4 - digits.size(), '0');
  return "w" + std::to_string(writer) + "/" + digits;
}

std::string Value(const std::string& key, int round) {
  const std::size_t pad = 220 + static_cast<std::size_t>(round * 7 % 90);
  return key + "@" + std::to_string(round) + "|" +
         std::string(pad, static_cast<char>('a' + round % 26));
}

// The round a value was written in, or -1 if it is not a value of `key`.
int RoundOf(const std::string& key, std::string_view value) {
  if (value.size() < key.size() + 3 || value.substr(0, key.size()) != key ||
      value[key.size()] != '@') {
    return -1;
  }
  int round = 0;
  for (std::size_t i = key.size() + 1; i < value.size() && value[i] != '|'; ++i) {
    if (value[i] < '0' || value[i] > '9' || round > kRounds) return -1;
    round = round * 10 + (value[i] - '0');
  }
  if (round < 1 || round > kRounds || value != Value(key, round)) return -1;
  return round;
}

using test::Failures;

// Checks one point-in-time view, given as (key, value) pairs in key order.
void CheckView(const std::vector<std::pair<std::string, std::string>>& view, Failures* failures,
               const char* what) {
  int rounds[kWriters][kKeysPerWriter] = {};
  std::string previous;
  bool first = true;
  for (const auto& [key, value] : view) {
    if (!first && !(previous < key)) failures->Add(std::string(what) + ": keys out of order");
    first = false;
    previous = key;
    int t = -1, j = -1;
    if (std::sscanf(key.c_str(), "w%d/%d", &t, &j) != 2 || t < 0 || t >= kWriters || j < 0 ||
        j >= kKeysPerWriter || key != Key(t, j)) {
      failures->Add(std::string(what) + ": unexpected key " + key);
      continue;
    }
    const int round = RoundOf(key, value);
    if (round < 0) {
      failures->Add(std::string(what) + ": bad value for " + key);
      continue;
    }
    rounds[t][j] = round;
  }
  for (int t = 0; t < kWriters; ++t) {
    for (int j = 1; j < kKeysPerWriter; ++j) {
      if (rounds[t][j] > rounds[t][j - 1]) {
        failures->Add(std::string(what) + ": not a cut of writer " + std::to_string(t) +
                      "'s order at key " + std::to_string(j));
        break;
      }
      if (t == kBatchWriter && j % kBatch != 0 && rounds[t][j] != rounds[t][j - 1]) {
        failures->Add(std::string(what) + ": torn batch at key " + std::to_string(j));
        break;
      }
    }
    if (rounds[t][0] - rounds[t][kKeysPerWriter - 1] > 1) {
      failures->Add(std::string(what) + ": writer " + std::to_string(t) + " view spans rounds " +
                    std::to_string(rounds[t][kKeysPerWriter - 1]) + ".." +
                    std::to_string(rounds[t][0]));
    }
  }
}

std::vector<std::pair<std::string, std::string>> Scan(Iterator* it) {
  std::vector<std::pair<std::string, std::string>> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  return out;
}

TEST(DbConcurrencyTest, WritersReadersIteratorsAndFlushesAgree) {
  MemFileSystem fs;
  Options options;
  options.file_system = &fs;
  options.write_buffer_size = test::kSmallWriteBuffer;
  options.block_size = 1024;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());

  std::atomic<std::int64_t> done_writes[kWriters] = {};  // writes returned OK, per writer
  std::atomic<int> writers_running{kWriters};
  std::atomic<std::int64_t> rewrites{0};  // writes of a value already there
  // Reads and scans during which a write completed: the test is only worth
  // something if readers really ran beside the writers.
  std::atomic<std::int64_t> overlapped_reads{0}, overlapped_scans{0};
  Failures failures;

  // The writers start once the readers and the scanner run, so that they
  // overlap (on two cores the writers could otherwise finish first).
  std::atomic<int> readers_started{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      while (readers_started.load(std::memory_order_acquire) < 3) std::this_thread::yield();
      for (int round = 1; round <= kRounds && failures.count() == 0; ++round) {
        for (int j = 0; j < kKeysPerWriter;) {
          Status s;
          int n = 1;
          if (t == kBatchWriter) {
            WriteBatch batch;
            for (n = 0; n < kBatch; ++n) batch.Put(Key(t, j + n), Value(Key(t, j + n), round));
            s = db->Write({}, &batch);
          } else {
            // Writer 0 writes without the WAL: groups with and without it
            // alternate in the pipeline (a clean close flushes its writes).
            WriteOptions write_options;
            write_options.disable_wal = t == 0;
            s = db->Put(write_options, Key(t, j), Value(Key(t, j), round));
          }
          if (!s.ok()) {
            failures.Add("write: " + s.ToString());
            break;
          }
          j += n;
          done_writes[t].fetch_add(n, std::memory_order_release);
        }
      }
      // Until a Get and a scan have seen a write complete meanwhile, rewrite
      // the last round's values (no reader can tell them apart): under load
      // the scanner may otherwise miss every write, and the overlap the test
      // asserts would depend on timing. Bounded, so a stuck reader cannot hang it.
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      for (int j = 0; (overlapped_reads.load() == 0 || overlapped_scans.load() == 0) &&
                      failures.count() == 0 && std::chrono::steady_clock::now() < give_up;
           j = (j + 1) % kKeysPerWriter) {
        WriteOptions write_options;
        write_options.disable_wal = t == 0;
        const Status s = db->Put(write_options, Key(t, j), Value(Key(t, j), kRounds));
        if (!s.ok()) {
          failures.Add("rewrite: " + s.ToString());
          break;
        }
        rewrites.fetch_add(1, std::memory_order_release);
      }
      writers_running.fetch_sub(1, std::memory_order_release);
    });
  }
  auto writing = [&] { return writers_running.load(std::memory_order_acquire) > 0; };
  auto writes_done = [&] {
    std::int64_t total = rewrites.load(std::memory_order_acquire);
    for (const auto& done : done_writes) total += done.load(std::memory_order_acquire);
    return total;
  };

  // Get readers: never older than what a writer had finished before the Get.
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      readers_started.fetch_add(1, std::memory_order_release);
      std::mt19937 rng(static_cast<unsigned>(r) + 1);
      std::int64_t reads = 0;
      while ((writing() || reads < 100) && failures.count() == 0) {
        ++reads;
        const int t = static_cast<int>(rng() % kWriters);
        const int j = static_cast<int>(rng() % kKeysPerWriter);
        const std::int64_t done = done_writes[t].load(std::memory_order_acquire);
        const std::int64_t at_least = done / kKeysPerWriter + (done % kKeysPerWriter > j ? 1 : 0);
        std::string value;
        const std::int64_t before = writes_done();
        Status s = db->Get({}, Key(t, j), &value);
        if (writes_done() > before) overlapped_reads.fetch_add(1, std::memory_order_relaxed);
        if (s.IsNotFound()) {
          if (at_least > 0) failures.Add("Get " + Key(t, j) + ": NotFound after a write");
          continue;
        }
        if (!s.ok()) {
          failures.Add("Get: " + s.ToString());
          continue;
        }
        const int round = RoundOf(Key(t, j), value);
        if (round < 0) failures.Add("Get " + Key(t, j) + ": bad value");
        if (round < at_least) {
          failures.Add("Get " + Key(t, j) + ": round " + std::to_string(round) + " older than " +
                       std::to_string(at_least));
        }
      }
    });
  }

  // Iterators and snapshots, with explicit flushes between.
  threads.emplace_back([&] {
    readers_started.fetch_add(1, std::memory_order_release);
    int scans = 0;
    while ((writing() || scans < 3) && failures.count() == 0) {
      ++scans;
      const std::int64_t before = writes_done();
      std::unique_ptr<Iterator> it = db->NewIterator({});
      CheckView(Scan(it.get()), &failures, "iterator");
      if (writes_done() > before) overlapped_scans.fetch_add(1, std::memory_order_relaxed);
      if (!it->status().ok()) failures.Add("iterator: " + it->status().ToString());

      const Snapshot* snapshot = db->GetSnapshot();
      ReadOptions ro;
      ro.snapshot = snapshot;
      std::unique_ptr<Iterator> first_it = db->NewIterator(ro);
      const auto first = Scan(first_it.get());
      CheckView(first, &failures, "snapshot");
      if (scans % 2 == 0) {
        Status s = db->Flush();
        if (!s.ok()) failures.Add("Flush: " + s.ToString());
      }
      // Backwards through the same iterator, after the flush.
      std::vector<std::pair<std::string, std::string>> backward;
      for (first_it->SeekToLast(); first_it->Valid(); first_it->Prev()) {
        backward.emplace_back(std::string(first_it->key()), std::string(first_it->value()));
      }
      std::reverse(backward.begin(), backward.end());
      if (backward != first) failures.Add("snapshot iterator: backward scan differs");
      std::unique_ptr<Iterator> second_it = db->NewIterator(ro);
      if (Scan(second_it.get()) != first) failures.Add("snapshot: second scan differs");
      for (std::size_t i = 0; i < first.size(); i += 37) {
        std::string value;
        Status s = db->Get(ro, first[i].first, &value);
        if (!s.ok() || value != first[i].second) failures.Add("snapshot Get differs from scan");
      }
      first_it.reset();
      second_it.reset();
      db->ReleaseSnapshot(snapshot);
    }
  });

  for (auto& thread : threads) thread.join();
  ASSERT_EQ(failures.count(), 0) << failures.Report();
  EXPECT_GT(overlapped_reads.load(), 0) << "no Get ever ran while a write completed";
  EXPECT_GT(overlapped_scans.load(), 0) << "no scan ever ran while a write completed";
  std::string arena_stats;
  ASSERT_TRUE(db->GetProperty("arenakv.memtable.arena-stats", &arena_stats));
  EXPECT_GE(test::ParseProperty(arena_stats)["released_arenas"], 3u)
      << "memtables were meant to rotate, flush and be released during the run";

  // Final contents are exact, also after a flush and a reopen.
  std::vector<std::pair<std::string, std::string>> expected;
  for (int t = 0; t < kWriters; ++t) {
    for (int j = 0; j < kKeysPerWriter; ++j) {
      expected.emplace_back(Key(t, j), Value(Key(t, j), kRounds));
    }
  }
  EXPECT_EQ(test::ScanForward(db.get()), expected);
  ASSERT_TRUE(db->Flush().ok());
  EXPECT_EQ(test::ScanBackward(db.get()), expected);
  db.reset();
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  EXPECT_EQ(test::ScanForward(db.get()), expected);
}

// Many threads writing the same few keys at once: every acknowledged write is
// in the history, and the final value of each key is one of the last writes.
TEST(DbConcurrencyTest, ContendedKeysEndWithALastWrite) {
  MemFileSystem fs;
  Options options;
  options.file_system = &fs;
  options.write_buffer_size = test::kSmallWriteBuffer;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  constexpr int kThreads = 4;
  constexpr int kKeys = 5;
  const int kWritesPerThread = 2000 / test::kScale;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string value = "t" + std::to_string(t) + "#" + std::to_string(i) +
                                  std::string(static_cast<std::size_t>(i % 200), 'x');
        WriteOptions wo;
        wo.sync = i % 100 == 0;
        if (!db->Put(wo, "key" + std::to_string(i % kKeys), value).ok()) errors.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(errors.load(), 0);
  // A thread's writes of one key are ordered, so the newest write of key k is
  // some thread's last write of it: the largest i < kWritesPerThread with i % kKeys == k.
  for (int k = 0; k < kKeys; ++k) {
    std::string value;
    ASSERT_TRUE(db->Get({}, "key" + std::to_string(k), &value).ok());
    const int last_i = (kWritesPerThread - 1 - k) / kKeys * kKeys + k;
    bool matches = false;
    for (int t = 0; t < kThreads; ++t) {
      matches |= value == "t" + std::to_string(t) + "#" + std::to_string(last_i) +
                              std::string(static_cast<std::size_t>(last_i % 200), 'x');
    }
    EXPECT_TRUE(matches) << "key" << k << " = " << value.substr(0, 20);
  }
  const auto before = test::ScanForward(db.get());
  db.reset();
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  EXPECT_EQ(test::ScanForward(db.get()), before);
}

}  // namespace
}  // namespace arenakv
