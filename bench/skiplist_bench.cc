// SPDX-License-Identifier: Apache-2.0
// skiplist_bench: arenakv::SkipList against the simplest shared ordered map, a
// std::map<std::string, std::uint64_t> behind one std::mutex, as the index of a
// memtable: how many inserts and point lookups per second one shared structure
// takes from 1 and 2 threads.
//
// Workloads (an "item" is one insert or one lookup):
//   insert/<structure>  every iteration starts from an empty structure (reset
//       untimed, while all threads wait at a barrier); each thread then inserts
//       its own kKeysPerThread keys, disjoint from the other threads'; the
//       iteration ends when the last thread is done. Each key gets a uint64_t
//       value (the skiplist's payload, set by Insert's init). The skiplist's
//       reset releases its arena, so its nodes fault their pages in again every
//       iteration; the map's nodes come back from malloc's free lists.
//   find/<structure>  the structure holds every thread's keys (built untimed,
//       once per run); each thread looks up its own keys, all present, in a
//       shuffled order.
// Keys are 16 random bytes (the last one is the thread index, which keeps the
// threads' sets disjoint), drawn from fixed seeds before timing.
// Compare items_per_second of skiplist and locked_map at the same thread count.
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "arenakv/alloc/arena.h"
#include "arenakv/skiplist/skiplist.h"
#include "bench/build_info.h"
#include "bench/run_shared.h"
#include "benchmark/benchmark.h"

namespace arenakv::bench {
namespace {

constexpr std::size_t kKeysPerThread = std::size_t{1} << 17;
constexpr std::size_t kKeySize = 16;
using Key = std::array<char, kKeySize>;

std::string_view View(const Key& key) { return {key.data(), key.size()}; }

// Thread `thread`'s keys, the same on every call.
std::vector<Key> ThreadKeys(int thread) {
  std::mt19937_64 rng(4242 + static_cast<std::uint64_t>(thread));
  std::vector<Key> keys(kKeysPerThread);
  for (Key& key : keys) {
    for (std::size_t i = 0; i + 1 < kKeySize; ++i) key[i] = static_cast<char>(rng());
    key[kKeySize - 1] = static_cast<char>(thread);
  }
  return keys;
}

class SkipListIndex {
 public:
  static constexpr const char* kName = "skiplist";
  SkipListIndex() { list_.emplace(&arena_); }
  void Reset() {
    list_.reset();
    arena_.Release();
    list_.emplace(&arena_);
  }
  bool Insert(std::string_view key, std::uint64_t value) {
    return list_->Insert(key, [value](std::uint64_t& payload) { payload = value; }).inserted;
  }
  const std::uint64_t* Find(std::string_view key) const {
    const auto* node = list_->Find(key);
    return node == nullptr ? nullptr : &node->payload();
  }

 private:
  Arena arena_;
  std::optional<SkipList<std::uint64_t>> list_;
};

class LockedMapIndex {
 public:
  static constexpr const char* kName = "locked_map";
  void Reset() {
    std::lock_guard lock(mu_);
    map_.clear();
  }
  bool Insert(std::string_view key, std::uint64_t value) {
    std::string owned(key);  // allocated outside the lock
    std::lock_guard lock(mu_);
    return map_.try_emplace(std::move(owned), value).second;
  }
  const std::uint64_t* Find(std::string_view key) const {
    std::lock_guard lock(mu_);
    const auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t, std::less<>> map_;
};

template <class Index>
struct Run {
  explicit Run(int threads) : barrier(threads) {}
  Index index;
  Barrier barrier;
};

template <class Index>
void BM_Insert(benchmark::State& state) {
  const std::vector<Key> keys = ThreadKeys(state.thread_index());
  auto run = RunShared<Run<Index>>::Join(state, state.threads());
  std::size_t refused = 0;
  for (auto _ : state) {
    state.PauseTiming();
    run->barrier.ArriveAndWait([&] { run->index.Reset(); });
    state.ResumeTiming();
    for (std::size_t i = 0; i < keys.size(); ++i) refused += !run->index.Insert(View(keys[i]), i);
    run->barrier.ArriveAndWait();  // timed: an iteration ends with its last thread
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
  if (refused != 0) state.SkipWithError("an insert of a fresh key was refused");
  RunShared<Run<Index>>::Leave(run, run->barrier);
}

// Every thread's keys, inserted by thread 0 before the others join the run.
template <class Index>
struct FilledRun : Run<Index> {
  explicit FilledRun(int threads) : Run<Index>(threads) {
    for (int t = 0; t < threads; ++t) {
      for (const Key& key : ThreadKeys(t)) this->index.Insert(View(key), 1);
    }
  }
};

template <class Index>
void BM_Find(benchmark::State& state) {
  std::vector<Key> keys = ThreadKeys(state.thread_index());
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(77 + state.thread_index()));
  auto run = RunShared<FilledRun<Index>>::Join(state, state.threads());
  std::size_t missing = 0;
  for (auto _ : state) {
    for (const Key& key : keys) {
      const std::uint64_t* value = run->index.Find(View(key));
      missing += value == nullptr;
      benchmark::DoNotOptimize(value);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
  if (missing != 0) state.SkipWithError("a present key was not found");
  RunShared<FilledRun<Index>>::Leave(run, run->barrier);
}

template <class Index>
void Register(const char* workload, void (*function)(benchmark::State&), double min_time) {
  benchmark::RegisterBenchmark((std::string(workload) + "/" + Index::kName).c_str(), function)
      ->Threads(1)
      ->Threads(2)
      ->UseRealTime()
      ->MinTime(min_time);
}

}  // namespace
}  // namespace arenakv::bench

int main(int argc, char** argv) {
  using namespace arenakv::bench;
  benchmark::AddCustomContext("arenakv_build", kBuild);
  benchmark::AddCustomContext("keys_per_thread", std::to_string(kKeysPerThread));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Register<SkipListIndex>("insert", BM_Insert<SkipListIndex>, 2.0);
  Register<LockedMapIndex>("insert", BM_Insert<LockedMapIndex>, 2.0);
  Register<SkipListIndex>("find", BM_Find<SkipListIndex>, 1.0);
  Register<LockedMapIndex>("find", BM_Find<LockedMapIndex>, 1.0);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
