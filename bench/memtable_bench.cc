// SPDX-License-Identifier: Apache-2.0
// memtable_bench: the arenakv memtable against RocksDB's memtable and a
// mutex-protected std::map, as docs/BENCHMARKS.md asks (targets: inserts
// >= 2x RocksDB, point reads >= 1.5x, bytes per entry <= RocksDB's).
//
// Workload: 2^20 entries per run, 16-byte random keys (fixed seed, random
// order), 100-byte values, split evenly over 1 or 2 threads (--threads= for
// more on a big host) writing into one shared table.
//   insert  wall time to add every entry to a fresh table (table creation and
//           teardown are outside the timed region)
//   get     wall time for every thread to look up its share of the keys, all
//           present, in a different random order, on a filled table
//   reverse_over_versions  one key with 1000 or 10000 versions: a whole
//           reverse walk over them (arenakv alone)
// RocksDB runs as an embedded DB with the WAL disabled, no compression and a
// 1 GiB write buffer, so nothing flushes: what is measured is its memtable
// (concurrent skiplist inserts, allow_concurrent_memtable_write) plus the
// write path around it. Counter bytes_per_entry: committed arena bytes plus
// the arena's metadata (arenakv) or rocksdb.cur-size-active-mem-table
// (RocksDB), over entries.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/build_info.h"
#include "mvcc/memtable/memtable.h"

namespace arenakv::bench {
namespace {

constexpr std::size_t kEntries = std::size_t{1} << 20;
constexpr std::size_t kKeySize = 16;
constexpr std::size_t kValueSize = 100;

std::vector<std::string> MakeKeys() {
  std::mt19937_64 rng(20261125);
  std::vector<std::string> keys(kEntries);
  for (std::string& key : keys) {
    key.resize(kKeySize);
    for (std::size_t i = 0; i < kKeySize; i += 8) {
      const std::uint64_t bits = rng();
      std::memcpy(key.data() + i, &bits, 8);
    }
  }
  return keys;
}

const std::vector<std::string>& Keys() {
  static const std::vector<std::string> keys = MakeKeys();
  return keys;
}

const std::vector<std::size_t>& ReadOrder() {
  static const std::vector<std::size_t> order = [] {
    std::vector<std::size_t> o(kEntries);
    for (std::size_t i = 0; i < kEntries; ++i) o[i] = i;
    std::shuffle(o.begin(), o.end(), std::mt19937_64(7));
    return o;
  }();
  return order;
}

const std::string& Value() {
  static const std::string value(kValueSize, 'v');
  return value;
}

// Runs body(thread, begin, end) on `threads` threads over [0, kEntries);
// returns the wall seconds from the start signal to the last join.
template <typename Body>
double RunThreads(int threads, Body body) {
  std::vector<std::thread> workers;
  std::atomic<bool> go{false};
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      while (!go.load(std::memory_order_acquire)) {
      }
      const std::size_t share = kEntries / threads;
      body(t, t * share, t + 1 == threads ? kEntries : (t + 1) * share);
    });
  }
  const auto start = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread& w : workers) w.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// --- the three tables behind one shape ---

struct ArenakvTable {
  MemTableRef table = MemTable::Create(std::size_t{1} << 30, std::size_t{2} << 30);
  std::atomic<SequenceNumber> next_sequence{1};

  void Put(const std::string& key, const std::string& value) {
    const SequenceNumber seq = next_sequence.fetch_add(1, std::memory_order_relaxed);
    if (!table->Add(seq, EntryKind::kPut, key, value).ok()) std::abort();
  }
  bool Get(const std::string& key, std::string* value) {
    return table->Get(key, kMaxSequenceNumber, value) == MemTable::LookupResult::kFound;
  }
  double BytesPerEntry() const {  // committed pool memory plus allocator metadata
    const ArenaStats stats = table->arena_stats();
    return static_cast<double>(stats.reserved + stats.overhead) / kEntries;
  }
};

struct RocksdbTable {
  std::string path;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write_options;

  RocksdbTable() {
    path = (std::filesystem::temp_directory_path() /
            ("arenakv_memtable_bench_" + std::to_string(::getpid())))
               .string();
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = std::size_t{1} << 30;
    options.max_write_buffer_number = 2;
    options.compression = rocksdb::kNoCompression;
    options.allow_concurrent_memtable_write = true;
    options.avoid_flush_during_shutdown = true;
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
    if (!s.ok()) {
      std::fprintf(stderr, "rocksdb open: %s\n", s.ToString().c_str());
      std::abort();
    }
    db.reset(raw);
    write_options.disableWAL = true;
  }
  ~RocksdbTable() {
    db.reset();
    std::filesystem::remove_all(path);
  }
  void Put(const std::string& key, const std::string& value) {
    if (!db->Put(write_options, key, value).ok()) std::abort();
  }
  bool Get(const std::string& key, std::string* value) {
    return db->Get(rocksdb::ReadOptions(), key, value).ok();
  }
  double BytesPerEntry() const {
    std::uint64_t bytes = 0;
    db->GetIntProperty("rocksdb.cur-size-active-mem-table", &bytes);
    return static_cast<double>(bytes) / kEntries;
  }
};

struct LockedMapTable {
  std::mutex mu;
  std::map<std::string, std::string> map;

  void Put(const std::string& key, const std::string& value) {
    std::lock_guard lock(mu);
    map[key] = value;
  }
  bool Get(const std::string& key, std::string* value) {
    std::lock_guard lock(mu);
    auto it = map.find(key);
    if (it == map.end()) return false;
    *value = it->second;
    return true;
  }
  double BytesPerEntry() const { return 0; }  // not measured: malloc'd nodes
};

template <typename Table>
void Fill(Table& table, int threads) {
  RunThreads(threads, [&](int, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) table.Put(Keys()[i], Value());
  });
}

template <typename Table>
void BM_Insert(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  double bytes_per_entry = 0;
  for (auto _ : state) {
    auto table = std::make_unique<Table>();
    const double seconds = RunThreads(threads, [&](int, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) table->Put(Keys()[i], Value());
    });
    state.SetIterationTime(seconds);
    bytes_per_entry = table->BytesPerEntry();
  }
  state.SetItemsProcessed(state.iterations() * kEntries);
  state.counters["bytes_per_entry"] = bytes_per_entry;
}

template <typename Table>
void BM_Get(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  auto table = std::make_unique<Table>();
  Fill(*table, threads);
  std::atomic<std::size_t> misses{0};
  for (auto _ : state) {
    const double seconds = RunThreads(threads, [&](int, std::size_t begin, std::size_t end) {
      std::string value;
      std::size_t missed = 0;
      for (std::size_t i = begin; i < end; ++i)
        missed += !table->Get(Keys()[ReadOrder()[i]], &value);
      misses.fetch_add(missed, std::memory_order_relaxed);
    });
    state.SetIterationTime(seconds);
  }
  if (misses.load() != 0) state.SkipWithError("a present key was not found");
  state.SetItemsProcessed(state.iterations() * kEntries);
}

// One key with state.range(0) versions (a counter updated that often): the
// time of a whole reverse walk over its versions, as a DB iterator stepping
// back across the key makes it (EntryIterator::Prev).
void BM_ReverseOverVersions(benchmark::State& state) {
  const auto versions = static_cast<SequenceNumber>(state.range(0));
  MemTableRef table = MemTable::Create(std::size_t{1} << 30, std::size_t{2} << 30);
  for (SequenceNumber seq = 1; seq <= versions; ++seq) {
    if (!table->Add(seq, EntryKind::kPut, "counter", "12345678").ok()) std::abort();
  }
  std::size_t steps = 0;
  for (auto _ : state) {
    MemTable::EntryIterator it(table);
    for (it.SeekToLast(); it.Valid(); it.Prev()) ++steps;
  }
  if (steps != versions * state.iterations()) state.SkipWithError("a version was missed");
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
}

void Register(const std::vector<int>& thread_counts) {
  auto with = [](benchmark::internal::Benchmark* b, int t) {
    b->Arg(t)->ArgName("threads")->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);
  };
  for (int t : thread_counts) {
    with(benchmark::RegisterBenchmark("insert/arenakv", BM_Insert<ArenakvTable>), t);
    with(benchmark::RegisterBenchmark("insert/rocksdb", BM_Insert<RocksdbTable>), t);
    with(benchmark::RegisterBenchmark("insert/locked_map", BM_Insert<LockedMapTable>), t);
    with(benchmark::RegisterBenchmark("get/arenakv", BM_Get<ArenakvTable>), t);
    with(benchmark::RegisterBenchmark("get/rocksdb", BM_Get<RocksdbTable>), t);
    with(benchmark::RegisterBenchmark("get/locked_map", BM_Get<LockedMapTable>), t);
  }
  for (int versions : {1000, 10000}) {
    benchmark::RegisterBenchmark("reverse_over_versions/arenakv", BM_ReverseOverVersions)
        ->Arg(versions)
        ->ArgName("versions")
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace
}  // namespace arenakv::bench

int main(int argc, char** argv) {
  std::vector<int> threads = {1, 2};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0) {
      threads.clear();
      for (std::size_t pos = 10; pos < arg.size();) {
        const std::size_t comma = arg.find(',', pos);
        threads.push_back(std::stoi(arg.substr(pos, comma - pos)));
        pos = comma == std::string::npos ? arg.size() : comma + 1;
      }
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      break;
    }
  }
  arenakv::bench::Register(threads);
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("arenakv_build", arenakv::bench::kBuild);
  benchmark::AddCustomContext("entries", std::to_string(arenakv::bench::kEntries));
  benchmark::AddCustomContext("key_value_bytes", "16 / 100");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
