// SPDX-License-Identifier: Apache-2.0
// alloc_demo: a few-second look at the allocation pattern arenakv is built for:
// the memtable pattern, as a readable table (bench/alloc_bench is the full
// comparison). The pattern: each thread allocates 2^20
// entries (a skiplist node of 8 + 8h + 16 bytes, h geometric p = 1/4 capped
// at 12, plus a 112-byte value; see bench/memtable_sizes.h), nothing is freed
// one by one, then everything is released at once. Compared, 1 and 2 threads:
//   arenakv   one Arena shared by all threads, destroyed at the end of a cycle
//   mimalloc  one private mi_heap per thread (loaded with dlopen, if present),
//             mi_heap_destroy at the end. Two rows: "cold" also calls
//             mi_collect(true), returning its pages to the OS as Arena::Release
//             does; "warm" keeps them cached, so its later cycles take no page
//             faults. The ratio column is against mimalloc cold.
//   glibc     malloc, and free of every chunk at the end
// Each allocator runs 3 cycles from a fresh arena/heap; the table shows the
// median cycle and the minor page faults it took. For arenakv it adds the
// arena's Stats() just before release.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "arenakv/alloc/arena.h"
#include "bench/memtable_sizes.h"
#include "bench/peer_allocators.h"

namespace arenakv::bench {
namespace {

constexpr std::size_t kEntries = std::size_t{1} << 20;  // per thread
constexpr int kCycles = 3;
constexpr double kMiB = 1024.0 * 1024.0;

enum class Allocator { kArena, kMimallocCold, kMimallocWarm, kGlibc };

const char* NameOf(Allocator a) {
  switch (a) {
    case Allocator::kArena:
      return "arenakv";
    case Allocator::kMimallocCold:
      return "mimalloc cold";
    case Allocator::kMimallocWarm:
      return "mimalloc warm";
    case Allocator::kGlibc:
      return "glibc";
  }
  return "?";
}

struct Cycle {
  double seconds = 0;
  long page_faults = 0;
  ArenaStats stats;  // arenakv only
};

long MinorFaults() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// The per-thread part of one cycle: allocate every entry, then this thread's
// share of the release (the arena is released whole by the caller).
void Fill(Allocator a, Arena* arena, const std::vector<std::uint16_t>& node_sizes) {
  const std::size_t n = node_sizes.size();
  if (a == Allocator::kArena) {
    for (std::size_t i = 0; i < n; ++i) {
      Touch(arena->Alloc(node_sizes[i]), i);
      Touch(arena->Alloc(kValueBytes), i);
    }
  } else if (a == Allocator::kMimallocCold || a == Allocator::kMimallocWarm) {
    const Mimalloc& mi = *Mimalloc::Get();
    void* heap = mi.heap_new();
    for (std::size_t i = 0; i < n; ++i) {
      Touch(mi.heap_malloc(heap, node_sizes[i]), i);
      Touch(mi.heap_malloc(heap, kValueBytes), i);
    }
    mi.heap_destroy(heap);
    if (a == Allocator::kMimallocCold) mi.collect(true);
  } else {
    std::vector<void*> chunks(2 * n);  // glibc has no bulk release
    for (std::size_t i = 0; i < n; ++i) {
      chunks[2 * i] = std::malloc(node_sizes[i]);
      Touch(chunks[2 * i], i);
      chunks[2 * i + 1] = std::malloc(kValueBytes);
      Touch(chunks[2 * i + 1], i);
    }
    for (void* p : chunks) std::free(p);
  }
}

Cycle RunCycle(Allocator a, const std::vector<std::vector<std::uint16_t>>& node_sizes) {
  const int threads = static_cast<int>(node_sizes.size());
  std::optional<Arena> arena;
  if (a == Allocator::kArena) {
    arena.emplace(ArenaOptions{.capacity = threads * kEntries * 256 + (std::size_t{256} << 20)});
  }
  std::latch start(1);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.wait();
      Fill(a, arena ? &*arena : nullptr, node_sizes[t]);
    });
  }
  Cycle cycle;
  const long faults = MinorFaults();
  const auto begin = std::chrono::steady_clock::now();
  start.count_down();
  for (std::thread& w : workers) w.join();
  if (arena) {
    cycle.stats = arena->Stats();
    arena.reset();
  }
  cycle.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  cycle.page_faults = MinorFaults() - faults;
  return cycle;
}

Cycle MedianCycle(Allocator a, int threads) {
  std::vector<std::vector<std::uint16_t>> node_sizes;
  for (int t = 0; t < threads; ++t) node_sizes.push_back(NodeSizes(kEntries, 1000 + t));
  std::vector<Cycle> cycles;
  for (int i = 0; i < kCycles; ++i) cycles.push_back(RunCycle(a, node_sizes));
  std::sort(cycles.begin(), cycles.end(),
            [](const Cycle& x, const Cycle& y) { return x.seconds < y.seconds; });
  return cycles[kCycles / 2];
}

int Main() {
  std::string why;
  const bool have_mimalloc = Mimalloc::Get(&why) != nullptr;
  std::printf(
      "alloc_demo: memtable pattern, %zu entries per thread (node 8+8h+16 B, h ~ geometric\n"
      "p=1/4 <= 12, plus a 112 B value), released whole; median of %d cycles, each from a\n"
      "fresh arena/heap (steady_clock, includes the release).\n",
      kEntries, kCycles);
  std::printf("malloc is served by: %s\n", MallocProvider().c_str());
  if (have_mimalloc) {
    std::printf("mimalloc %d: dlopen(RTLD_LOCAL), one private mi_heap per thread\n",
                Mimalloc::Get()->version);
  } else {
    std::printf("%s (ratios are vs glibc)\n", why.c_str());
  }
  const char* peer = have_mimalloc ? "mi cold" : "glibc";
  std::printf("\n%7s  %-13s  %9s  %11s  %12s  %9s  %9s  %9s  %9s\n", "threads", "allocator",
              "Mallocs/s", (std::string("vs ") + peer).c_str(), "faults/cycle", "req MiB",
              "rsv MiB", "ovh MiB", "ovh %");
  for (int threads : {1, 2}) {
    std::vector<Allocator> allocators = {Allocator::kArena, Allocator::kGlibc};
    if (have_mimalloc) {
      allocators.insert(allocators.begin() + 1,
                        {Allocator::kMimallocCold, Allocator::kMimallocWarm});
    }
    std::vector<Cycle> cycles;
    for (Allocator a : allocators) cycles.push_back(MedianCycle(a, threads));
    const double mallocs = 2.0 * static_cast<double>(kEntries) * threads;
    const double peer_rate = mallocs / cycles[1].seconds / 1e6;
    for (std::size_t i = 0; i < allocators.size(); ++i) {
      const Cycle& c = cycles[i];
      const double rate = mallocs / c.seconds / 1e6;
      std::printf("%7d  %-13s  %8.2fM  %10.2fx  %12ld", threads, NameOf(allocators[i]), rate,
                  rate / peer_rate, c.page_faults);
      if (allocators[i] == Allocator::kArena) {
        const ArenaStats& s = c.stats;
        std::printf("  %9.1f  %9.1f  %9.2f  %8.1f%%", static_cast<double>(s.requested) / kMiB,
                    static_cast<double>(s.reserved) / kMiB, static_cast<double>(s.overhead) / kMiB,
                    OverheadPct(s));
      }
      std::printf("\n");
    }
  }
  std::printf(
      "\nrsv = pool bytes committed; ovh = allocator metadata; ovh %% = (rsv + ovh) / req - 1\n");
  return 0;
}

}  // namespace
}  // namespace arenakv::bench

int main() { return arenakv::bench::Main(); }
