// SPDX-License-Identifier: Apache-2.0
// A tour of arenakv::Arena: allocate, look at chunk sizes and stats, free,
// release, and run a small arena out of capacity.
//
// Exits non-zero if the arena does not behave as this tour says, so it doubles
// as a test (ctest: arena_example).
#include <arenakv/alloc/arena.h>

#include <cstdio>
#include <cstring>
#include <vector>

namespace {

bool ok = true;

void Expect(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "unexpected: %s\n", what);
    ok = false;
  }
}

void PrintStats(const char* when, const arenakv::Arena& arena) {
  const arenakv::ArenaStats s = arena.Stats();
  std::printf("  %-22s live=%zu requested=%zu allocated=%zu reserved=%zu utilization=%.3f\n", when,
              s.live_chunks, s.requested, s.allocated, s.reserved, s.utilization());
}

// Requests are rounded up to the smallest slab (size class) that fits them.
void SlabsAndChunks() {
  std::printf("Slabs: requests round up to a size class\n");
  arenakv::Arena arena;  // 1 GiB capacity, reserves nothing until the first Alloc
  PrintStats("empty:", arena);

  std::vector<void*> chunks;
  for (std::size_t n : {1, 8, 67, 500, 1000, 5000}) {
    void* p = arena.Alloc(n);
    std::memset(p, 0, n);  // chunks arrive uninitialized
    std::printf("  Alloc(%4zu) -> ChunkSize %4zu\n", n, arena.ChunkSize(p));
    Expect(arena.ChunkSize(p) == arenakv::Arena::SlabSize(n), "ChunkSize == SlabSize");
    chunks.push_back(p);
  }
  PrintStats("after 6 Allocs:", arena);
  Expect(arena.Stats().live_chunks == chunks.size(), "one live chunk per Alloc");

  // Any thread may free any chunk; the chunk goes back to its slab for reuse.
  for (void* p : chunks) arena.Free(p);
  PrintStats("after Free:", arena);
  Expect(arena.Stats().live_chunks == 0, "no live chunk after Free");

  // Freed chunks keep their pools; Release() gives every pool back at once.
  arena.Release();
  PrintStats("after Release:", arena);
  Expect(arena.Stats().reserved == 0, "nothing reserved after Release");
}

// Capacity is a hard limit: Alloc throws ArenaExhausted, TryAlloc returns nullptr.
void Exhaustion() {
  std::printf("Capacity: a 256 KiB arena filled with 4 KiB chunks\n");
  arenakv::ArenaOptions options;
  options.capacity = 256 << 10;
  options.min_pool_size = 64 << 10;
  arenakv::Arena arena(options);

  std::size_t count = 0;
  try {
    while (count < 1000) {  // 256 KiB holds at most 64 chunks of 4 KiB
      arena.Alloc(4096);
      ++count;
    }
    Expect(false, "Alloc stops at capacity");
  } catch (const arenakv::ArenaExhausted& e) {
    std::printf("  ArenaExhausted after %zu chunks: %s\n", count, e.what());
  }
  PrintStats("full:", arena);
  Expect(count > 0 && count <= 64, "between 1 and 64 chunks fit");
  Expect(arena.TryAlloc(4096) == nullptr, "TryAlloc returns nullptr when full");

  // ArenaExhausted is a std::bad_alloc, so code written for new/malloc copes.
  try {
    arena.Alloc(1 << 20);  // larger than the whole capacity
    Expect(false, "Alloc beyond capacity throws");
  } catch (const std::bad_alloc&) {
    std::printf("  Alloc(1 MiB) threw std::bad_alloc as well\n");
  }
}

}  // namespace

int main() {
  SlabsAndChunks();
  Exhaustion();
  std::printf("%s\n", ok ? "arena_example: OK" : "arena_example: FAILED");
  return ok ? 0 : 1;
}
