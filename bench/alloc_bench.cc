// SPDX-License-Identifier: Apache-2.0
// alloc_bench: arenakv::Arena against a mimalloc private heap, glibc malloc and
// a jemalloc private arena (see alloc_backends.h for how each is used), on the
// allocation patterns of a storage engine. It exists for the allocator targets
// of docs/BENCHMARKS.md: memtable pattern >= 1.5x mimalloc, churn >= 1.0x
// mimalloc, memory overhead <= 10 %.
//
// Workloads (an "item" is one allocation, counted with its free if it has one):
//   memtable_cold/_warm  each thread allocates N entries (a node of 8+8h+16 B,
//       h geometric p=1/4 capped at 12, and a 112 B value; never freed one by
//       one), then everything is released at once (see ReleaseMode). Cold: a
//       fresh arena/heap each cycle, memory returned to the OS; warm: the same
//       object reused after one untimed cycle. Counters: page_faults (minor
//       faults of the process per cycle) and, for arenakv, overhead_pct =
//       (reserved + overhead) / requested - 1 just before the release.
//   churn  block-cache pattern: 64 Ki live slots of 64 B..8 KiB (log-uniform);
//       each item frees a random slot and allocates a new size into it.
//       arenakv reports overhead_pct of the live set after the run.
//   xthread_free  producer allocates batches of 256 chunks of 64..512 B and
//       hands them over an SPSC ring to a consumer thread that frees them. The
//       threads:N of these runs counts producer/consumer pairs.
//   fixed/<size>  1000 allocations of one size, then their 1000 frees.
// Sizes and random choices come from fixed seeds and are drawn before timing.
// Every fresh chunk gets one word written into it (Touch), so page faults are
// paid whoever's they are.
//
// Flags besides Google Benchmark's:
//   --threads=1,2,4,8,16  thread counts (default 1,2); xthread_free runs pair
//                         counts up to max(2, largest/2)
//   --entries=N           memtable entries per thread per cycle (default 2^20)
// Peers are loaded with dlopen (peer_allocators.h); a missing one is skipped.
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "arenakv/alloc/arena.h"
#include "bench/alloc_backends.h"
#include "bench/batch_ring.h"
#include "bench/build_info.h"
#include "bench/memtable_sizes.h"
#include "bench/peer_allocators.h"
#include "bench/run_shared.h"
#include "benchmark/benchmark.h"

namespace arenakv::bench {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

struct Flags {
  std::vector<int> threads = {1, 2};
  std::size_t memtable_entries = std::size_t{1} << 20;
};
Flags& flags() {
  static Flags f;
  return f;
}

// One run's shared allocator state plus a barrier for its threads.
template <class B>
struct Run {
  Run(int threads, std::size_t arena_capacity) : shared(arena_capacity), barrier(threads) {}
  typename B::Shared shared;
  Barrier barrier;
  ArenaStats stats;  // arenakv only: taken while every thread waits
};

template <class B>
constexpr bool kIsArena = std::is_same_v<B, ArenaBackend>;

template <class B>
bool SkipIfUnavailable(benchmark::State& state) {
  std::string why;
  if (B::Available(&why)) return false;
  state.SkipWithError(why.c_str());
  return true;
}

long MinorFaults() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// min .. max bytes, log-uniform, from raw mt19937_64 output (reproducible).
std::uint32_t LogUniformSize(std::mt19937_64& rng, double min, double max) {
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
  return static_cast<std::uint32_t>(std::clamp(min * std::pow(max / min, u), min, max));
}

// ---------------------------------------------------------------------------
// a) memtable pattern

template <class B>
void BM_Memtable(benchmark::State& state, ReleaseMode mode) {
  if (SkipIfUnavailable<B>(state)) return;
  const std::size_t n = flags().memtable_entries;
  const std::vector<std::uint16_t> node_sizes = NodeSizes(n, 1000 + state.thread_index());
  std::vector<void*> chunks;  // without a bulk release (glibc), every chunk is freed
  if constexpr (!B::kBulkRelease) chunks.resize(2 * n);
  // An entry takes at most 232 B (120 B node + 112 B value, as slabs).
  const std::size_t capacity = state.threads() * n * 256 + 256 * kMiB;
  auto run = RunShared<Run<B>>::Join(state, state.threads(), capacity);
  {
    typename B::Local local(run->shared);
    auto cycle = [&] {
      run->barrier.ArriveAndWait([&] { run->shared.BeginCycle(); });
      for (std::size_t i = 0; i < n; ++i) {
        void* node = local.Alloc(node_sizes[i]);
        Touch(node, i);
        void* value = local.Alloc(kValueBytes);
        Touch(value, i);
        if constexpr (!B::kBulkRelease) {
          chunks[2 * i] = node;
          chunks[2 * i + 1] = value;
        }
      }
      benchmark::ClobberMemory();
      if constexpr (!B::kBulkRelease) {
        for (void* p : chunks) local.Free(p);
      }
      local.EndCycle(mode);
      run->barrier.ArriveAndWait([&] { run->shared.EndCycle(mode); });
    };
    if (mode == ReleaseMode::kWarm) cycle();  // untimed: the timed cycles are second cycles
    run->barrier.ArriveAndWait();
    const long faults = MinorFaults();  // thread 0's reading is the one reported
    for (auto _ : state) cycle();
    state.SetItemsProcessed(state.iterations() * 2 * static_cast<std::int64_t>(n));
    if (state.thread_index() == 0 && state.iterations() > 0) {
      state.counters["page_faults"] =
          static_cast<double>(MinorFaults() - faults) / static_cast<double>(state.iterations());
      if constexpr (kIsArena<B>) {
        state.counters["overhead_pct"] = OverheadPct(run->shared.last_stats());
      }
    }
  }
  RunShared<Run<B>>::Leave(run, run->barrier);
}

// ---------------------------------------------------------------------------
// b) alloc/free churn with a live set

constexpr std::size_t kChurnSlots = std::size_t{1} << 16;
constexpr std::size_t kChurnOps = std::size_t{1} << 20;  // precomputed, replayed cyclically
constexpr std::int64_t kChurnOpsPerIteration = 4096;

struct ChurnOp {
  std::uint16_t slot;
  std::uint16_t size;
};

template <class B>
void BM_Churn(benchmark::State& state) {
  if (SkipIfUnavailable<B>(state)) return;
  std::mt19937_64 rng(2000 + state.thread_index());
  std::vector<std::uint16_t> fill_sizes(kChurnSlots);
  for (auto& size : fill_sizes) size = static_cast<std::uint16_t>(LogUniformSize(rng, 64, 8192));
  std::vector<ChurnOp> ops(kChurnOps);
  for (auto& op : ops) {
    op.slot = static_cast<std::uint16_t>(rng() % kChurnSlots);
    op.size = static_cast<std::uint16_t>(LogUniformSize(rng, 64, 8192));
  }
  // 64 Ki slots of at most 8 KiB per thread, with room for fragmentation.
  const std::size_t capacity = state.threads() * 1024 * kMiB + 256 * kMiB;
  auto run = RunShared<Run<B>>::Join(state, state.threads(), capacity);
  {
    typename B::Local local(run->shared);
    std::vector<void*> slots(kChurnSlots);
    for (std::size_t i = 0; i < kChurnSlots; ++i) {
      slots[i] = local.Alloc(fill_sizes[i]);
      Touch(slots[i], i);
    }
    std::size_t next = 0;
    for (auto _ : state) {
      for (std::int64_t k = 0; k < kChurnOpsPerIteration; ++k) {
        const ChurnOp op = ops[next++ % kChurnOps];
        local.Free(slots[op.slot]);
        slots[op.slot] = local.Alloc(op.size);
        Touch(slots[op.slot], next);
      }
    }
    benchmark::ClobberMemory();
    state.SetItemsProcessed(state.iterations() * kChurnOpsPerIteration);
    if constexpr (kIsArena<B>) {
      run->barrier.ArriveAndWait([&] { run->stats = run->shared.arena().Stats(); });
      if (state.thread_index() == 0) state.counters["overhead_pct"] = OverheadPct(run->stats);
    }
    for (void* p : slots) local.Free(p);
  }
  RunShared<Run<B>>::Leave(run, run->barrier);
}

// ---------------------------------------------------------------------------
// c) cross-thread free

constexpr int kCrossBatchesPerIteration = 64;

template <class B>
void BM_CrossThreadFree(benchmark::State& state) {
  if (SkipIfUnavailable<B>(state)) return;
  std::mt19937_64 rng(3000 + state.thread_index());
  std::vector<std::uint16_t> sizes(4096);  // 64..512 B, multiples of 8
  for (auto& size : sizes) size = static_cast<std::uint16_t>(64 + 8 * (rng() % 57));
  auto run = RunShared<Run<B>>::Join(state, state.threads(), 256 * kMiB);
  {
    BatchRing ring;
    std::thread consumer([&] {
      typename B::Local local(run->shared);
      while (BatchRing::Batch* batch = ring.WaitFront()) {
        for (int i = 0; i < batch->count; ++i) local.Free(batch->chunks[i]);
        ring.Pop();
      }
    });
    typename B::Local local(run->shared);
    std::size_t next = 0;
    for (auto _ : state) {
      for (int b = 0; b < kCrossBatchesPerIteration; ++b) {
        BatchRing::Batch& batch = ring.WaitFree();
        for (void*& chunk : batch.chunks) {
          chunk = local.Alloc(sizes[next++ % sizes.size()]);
          Touch(chunk, next);
        }
        batch.count = BatchRing::kBatchChunks;
        ring.Push();
      }
      ring.WaitEmpty();  // an item counts once it is freed
    }
    ring.Close();
    consumer.join();
    state.SetItemsProcessed(state.iterations() * kCrossBatchesPerIteration *
                            BatchRing::kBatchChunks);
  }
  RunShared<Run<B>>::Leave(run, run->barrier);
}

// ---------------------------------------------------------------------------
// d) fixed-size sweep

constexpr int kSweepBatch = 1000;

template <class B>
void BM_FixedSize(benchmark::State& state) {
  if (SkipIfUnavailable<B>(state)) return;
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::size_t capacity = state.threads() * 2 * kSweepBatch * size + 256 * kMiB;
  auto run = RunShared<Run<B>>::Join(state, state.threads(), capacity);
  {
    typename B::Local local(run->shared);
    std::vector<void*> chunks(kSweepBatch);
    for (auto _ : state) {
      for (int i = 0; i < kSweepBatch; ++i) {
        chunks[i] = local.Alloc(size);
        Touch(chunks[i], i);
      }
      benchmark::ClobberMemory();
      for (void* p : chunks) local.Free(p);
    }
    state.SetItemsProcessed(state.iterations() * kSweepBatch);
  }
  RunShared<Run<B>>::Leave(run, run->barrier);
}

// ---------------------------------------------------------------------------

template <class B>
std::string Name(std::string_view workload) {
  return std::string(workload) + "/" + std::string(B::kName);
}

void WithThreads(benchmark::internal::Benchmark* b, const std::vector<int>& threads) {
  for (int t : threads) b->Threads(t);
  b->UseRealTime();
}

// Registered workload by workload, allocators side by side within each.
template <class... Bs>
void RegisterAll() {
  const std::vector<int>& threads = flags().threads;
  const int max_threads = *std::max_element(threads.begin(), threads.end());
  std::vector<int> pairs;
  for (int t : threads) {
    if (t <= std::max(2, max_threads / 2)) pairs.push_back(t);
  }
  for (ReleaseMode mode : {ReleaseMode::kCold, ReleaseMode::kWarm}) {
    const char* workload = mode == ReleaseMode::kCold ? "memtable_cold" : "memtable_warm";
    (WithThreads(benchmark::RegisterBenchmark(Name<Bs>(workload).c_str(), BM_Memtable<Bs>, mode)
                     ->MinTime(1.0),
                 threads),
     ...);
  }
  (WithThreads(benchmark::RegisterBenchmark(Name<Bs>("churn").c_str(), BM_Churn<Bs>)->MinTime(0.5),
               threads),
   ...);
  (WithThreads(
       benchmark::RegisterBenchmark(Name<Bs>("xthread_free").c_str(), BM_CrossThreadFree<Bs>)
           ->MinTime(0.5),
       pairs),
   ...);
  (WithThreads(benchmark::RegisterBenchmark(Name<Bs>("fixed").c_str(), BM_FixedSize<Bs>)
                   ->Arg(8)
                   ->Arg(16)
                   ->Arg(32)
                   ->Arg(64)
                   ->Arg(128)
                   ->Arg(256)
                   ->Arg(512)
                   ->Arg(1 << 10)
                   ->Arg(4 << 10)
                   ->Arg(16 << 10)
                   ->Arg(64 << 10)
                   ->MinTime(0.2),
               threads),
   ...);
}

// Removes our own flags from argv; returns false on a malformed one.
bool ParseFlags(int* argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--threads=")) {
      flags().threads.clear();
      const std::string list(arg.substr(10));
      for (const char* p = list.c_str(); *p != '\0';) {
        char* end = nullptr;
        const long t = std::strtol(p, &end, 10);
        if (end == p || t < 1 || t > 256) return false;
        flags().threads.push_back(static_cast<int>(t));
        p = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0') return false;
      }
      if (flags().threads.empty()) return false;
    } else if (arg.starts_with("--entries=")) {
      const long long n = std::atoll(argv[i] + 10);
      if (n < 1) return false;
      flags().memtable_entries = static_cast<std::size_t>(n);
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  return true;
}

}  // namespace
}  // namespace arenakv::bench

int main(int argc, char** argv) {
  using namespace arenakv::bench;
  ReexecForPeerTls(argv);
  if (!ParseFlags(&argc, argv)) {
    std::fprintf(stderr, "usage: %s [--threads=1,2,...] [--entries=N] [benchmark flags]\n",
                 argv[0]);
    return 2;
  }
  std::string mimalloc = "missing";
  std::string jemalloc = "missing";
  std::string why;
  if (const Mimalloc* mi = Mimalloc::Get(&why)) {
    mimalloc = "mimalloc " + std::to_string(mi->version) + " (dlopen RTLD_LOCAL, private heaps)";
  } else {
    mimalloc = why;
  }
  if (const Jemalloc* je = Jemalloc::Get(&why)) {
    jemalloc = "jemalloc " + je->version + " (dlopen RTLD_LOCAL, private arena + explicit tcache)";
  } else {
    jemalloc = why;
  }
  const std::string provider = MallocProvider();  // after the peers are open
  std::fprintf(stderr, "malloc is served by: %s\nmimalloc: %s\njemalloc: %s\n", provider.c_str(),
               mimalloc.c_str(), jemalloc.c_str());
  benchmark::AddCustomContext("malloc_served_by", provider);
  benchmark::AddCustomContext("mimalloc", mimalloc);
  benchmark::AddCustomContext("jemalloc", jemalloc);
  benchmark::AddCustomContext("arenakv_build", kBuild);
  benchmark::AddCustomContext("memtable_entries_per_thread",
                              std::to_string(flags().memtable_entries));

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RegisterAll<ArenaBackend, MimallocBackend, GlibcBackend, JemallocBackend>();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
