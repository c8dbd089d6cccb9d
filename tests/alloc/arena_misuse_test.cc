// SPDX-License-Identifier: Apache-2.0
// Specification of misuse detection: every contract violation the arena promises to
// detect throws ArenaMisuse with a message, changes nothing, and leaves the arena
// fully usable.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include "arenakv/alloc/arena.h"
#include "gtest/gtest.h"

namespace arenakv {
namespace {

class ArenaMisuseTest : public ::testing::Test {
 protected:
  // Runs a call that must be rejected as misuse, and checks that it changed nothing.
  void ExpectMisuse(const std::function<void()>& call) {
    const ArenaStats before = arena_.Stats();
    try {
      call();
      ADD_FAILURE() << "expected ArenaMisuse, nothing was thrown";
    } catch (const ArenaMisuse& e) {
      EXPECT_NE(std::string(e.what()), "");
    }
    const ArenaStats after = arena_.Stats();
    EXPECT_EQ(after.requested, before.requested);
    EXPECT_EQ(after.allocated, before.allocated);
    EXPECT_EQ(after.reserved, before.reserved);
    EXPECT_EQ(after.live_chunks, before.live_chunks);
  }

  // The arena still allocates, holds and frees chunks after the misuse.
  void ExpectStillUsable() {
    const std::size_t live = arena_.Stats().live_chunks;
    void* small = arena_.Alloc(64);
    void* large = arena_.Alloc(3 << 20);
    std::memset(small, 1, 64);
    std::memset(large, 2, 3 << 20);
    EXPECT_EQ(arena_.Stats().live_chunks, live + 2);
    arena_.Free(small);
    arena_.Free(large);
    EXPECT_EQ(arena_.Stats().live_chunks, live);
  }

  Arena arena_;
};

TEST_F(ArenaMisuseTest, AllocOfZeroBytes) {
  ExpectMisuse([&] { arena_.Alloc(0); });
  ExpectStillUsable();
}

TEST_F(ArenaMisuseTest, FreeOfNullptr) {
  ExpectMisuse([&] { arena_.Free(nullptr); });
  ExpectStillUsable();
}

TEST_F(ArenaMisuseTest, FreeOfAMallocPointer) {
  std::unique_ptr<void, decltype(&std::free)> heap(std::malloc(64), &std::free);
  void* live = arena_.Alloc(64);  // the arena has pools when the pointer arrives

  ExpectMisuse([&] { arena_.Free(heap.get()); });

  ExpectStillUsable();
  arena_.Free(live);
}

TEST_F(ArenaMisuseTest, FreeOfAStackAddress) {
  alignas(8) char stack[64] = {};

  ExpectMisuse([&] { arena_.Free(stack); });

  ExpectStillUsable();
}

TEST_F(ArenaMisuseTest, FreeOfAnotherArenasChunk) {
  Arena other;
  void* theirs = other.Alloc(64);
  void* mine = arena_.Alloc(64);

  ExpectMisuse([&] { arena_.Free(theirs); });

  EXPECT_EQ(other.Stats().live_chunks, 1u);
  other.Free(theirs);  // still the other arena's live chunk
  ExpectStillUsable();
  arena_.Free(mine);
}

TEST_F(ArenaMisuseTest, FreeOfAnInteriorPointer) {
  auto* p = static_cast<char*>(arena_.Alloc(64));

  ExpectMisuse([&] { arena_.Free(p + 8); });
  ExpectMisuse([&] { arena_.Free(p + 1); });

  arena_.Free(p);  // the chunk itself is untouched
  ExpectStillUsable();
}

// Half a MiB past the only chunk of a fresh arena no chunk has been carved yet.
TEST_F(ArenaMisuseTest, FreeOfSpaceNeverCarved) {
  auto* p = static_cast<char*>(arena_.Alloc(64));

  ExpectMisuse([&] { arena_.Free(p + (512 << 10)); });

  arena_.Free(p);
  ExpectStillUsable();
}

TEST_F(ArenaMisuseTest, FreeOfANeighbourNeverHandedOutInDebugBuilds) {
#ifdef NDEBUG
  GTEST_SKIP() << "the live bitmap that catches this exists only in debug builds";
#endif
  auto* p = static_cast<char*>(arena_.Alloc(64));

  ExpectMisuse([&] { arena_.Free(p + arena_.ChunkSize(p)); });

  arena_.Free(p);
  ExpectStillUsable();
}

TEST_F(ArenaMisuseTest, ChunkSizeOfAnythingButALiveChunk) {
  Arena other;
  void* theirs = other.Alloc(64);
  auto* mine = static_cast<char*>(arena_.Alloc(64));
  std::unique_ptr<void, decltype(&std::free)> heap(std::malloc(64), &std::free);
  alignas(8) char stack[64] = {};

  ExpectMisuse([&] { arena_.ChunkSize(nullptr); });
  ExpectMisuse([&] { arena_.ChunkSize(heap.get()); });
  ExpectMisuse([&] { arena_.ChunkSize(stack); });
  ExpectMisuse([&] { arena_.ChunkSize(theirs); });
  ExpectMisuse([&] { arena_.ChunkSize(mine + 8); });

  EXPECT_EQ(arena_.ChunkSize(mine), 64u);
  arena_.Free(mine);
  other.Free(theirs);
  ExpectStillUsable();
}

// Double frees of chunks of at least 16 bytes, and of dedicated-pool chunks, are
// caught in every build.
TEST_F(ArenaMisuseTest, DoubleFreeOfChunksOfSixteenBytesOrMore) {
  for (const std::size_t n : {16, 24, 100, 512, 4096, 100'000, 4 << 20}) {
    SCOPED_TRACE(n);
    void* keep = arena_.Alloc(n);  // a live neighbour in the same slab
    void* p = arena_.Alloc(n);
    arena_.Free(p);

    ExpectMisuse([&] { arena_.Free(p); });

    void* again = arena_.Alloc(n);  // the slab still hands out chunks
    EXPECT_EQ(arena_.ChunkSize(again), Arena::SlabSize(n));
    arena_.Free(again);
    arena_.Free(keep);
  }
  ExpectStillUsable();
}

TEST_F(ArenaMisuseTest, DoubleFreeOfAnEightByteChunkInDebugBuilds) {
#ifdef NDEBUG
  GTEST_SKIP() << "an 8-byte chunk has no room for a free marker; only debug builds catch this";
#endif
  void* keep = arena_.Alloc(8);
  void* p = arena_.Alloc(8);
  arena_.Free(p);

  ExpectMisuse([&] { arena_.Free(p); });

  arena_.Free(keep);
  ExpectStillUsable();
}

TEST_F(ArenaMisuseTest, RepeatedMisuseLeavesExactStats) {
  void* live = arena_.Alloc(67);
  void* freed = arena_.Alloc(200);
  arena_.Free(freed);

  for (int i = 0; i < 100; ++i) {
    ExpectMisuse([&] { arena_.Free(freed); });
    ExpectMisuse([&] { arena_.Free(static_cast<char*>(live) + 8); });
    ExpectMisuse([&] { arena_.Free(nullptr); });
  }

  const ArenaStats stats = arena_.Stats();
  EXPECT_EQ(stats.requested, 67u);
  EXPECT_EQ(stats.allocated, 72u);
  EXPECT_EQ(stats.live_chunks, 1u);
  arena_.Free(live);
  ExpectStillUsable();
}

}  // namespace
}  // namespace arenakv
