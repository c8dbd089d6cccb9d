// SPDX-License-Identifier: Apache-2.0
// The smallest real use of arenakv, built by the packaging tests both against an
// installed package and through add_subdirectory. Exits 0 and prints OK when the
// arena behaves as docs/API.md says.
#include <arenakv/alloc/arena.h>
#include <arenakv/version.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

int failures = 0;

void Expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  arenakv::ArenaOptions options;
  options.capacity = 16 << 20;
  arenakv::Arena arena(options);

  void* p = arena.Alloc(67);
  std::memset(p, 0xab, 67);
  Expect(arena.Owns(p), "Owns(p)");
  Expect(arena.ChunkSize(p) == 72, "ChunkSize(Alloc(67)) == 72");
  Expect(arenakv::Arena::SlabSize(67) == 72, "SlabSize(67) == 72");

  arenakv::ArenaStats stats = arena.Stats();
  Expect(stats.capacity == options.capacity, "Stats().capacity");
  Expect(stats.live_chunks == 1, "Stats().live_chunks == 1");
  Expect(stats.requested == 67, "Stats().requested == 67");
  Expect(stats.allocated == 72, "Stats().allocated == 72");
  Expect(stats.reserved >= 72 && stats.reserved <= options.capacity, "Stats().reserved");

  arena.Free(p);
  stats = arena.Stats();
  Expect(stats.live_chunks == 0 && stats.requested == 0 && stats.allocated == 0,
         "Stats() after Free");

  arena.Release();
  Expect(arena.Stats().reserved == 0, "Stats().reserved after Release");

  // The generated version header agrees with itself.
  const std::string version = std::to_string(ARENAKV_VERSION_MAJOR) + "." +
                              std::to_string(ARENAKV_VERSION_MINOR) + "." +
                              std::to_string(ARENAKV_VERSION_PATCH);
  Expect(version == ARENAKV_VERSION_STRING, "ARENAKV_VERSION_STRING matches its parts");
  Expect(ARENAKV_VERSION ==
             ARENAKV_VERSION_MAJOR * 10000 + ARENAKV_VERSION_MINOR * 100 + ARENAKV_VERSION_PATCH,
         "ARENAKV_VERSION");

  if (failures != 0) return 1;
  std::printf("consumer: OK (arenakv %s)\n", ARENAKV_VERSION_STRING);
  return 0;
}
