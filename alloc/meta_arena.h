// SPDX-License-Identifier: Apache-2.0
// MetaArena: bump allocation of the arena's own metadata (pool headers, waste
// maps, live bitmaps, heaps) from OS blocks, all given back at once.
// Not thread-safe: the owning arena calls it under its grow mutex.
#ifndef ARENAKV_ALLOC_META_ARENA_H_
#define ARENAKV_ALLOC_META_ARENA_H_

#include <cstddef>
#include <vector>

namespace arenakv::alloc_internal {

class MetaArena {
 public:
  MetaArena() = default;
  ~MetaArena() { ReleaseAll(); }
  MetaArena(const MetaArena&) = delete;
  MetaArena& operator=(const MetaArena&) = delete;

  // Zeroed, 64-byte aligned memory, or nullptr if the OS refuses.
  void* Allocate(std::size_t size) noexcept;
  // Bytes obtained from the OS for metadata (blocks, not just what was handed out).
  std::size_t bytes() const { return bytes_; }
  void ReleaseAll() noexcept;

 private:
  struct Block {
    void* base;
    std::size_t size;
  };
  static constexpr std::size_t kBlockSize = 256 << 10;

  std::vector<Block> blocks_;
  char* cursor_ = nullptr;
  char* limit_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace arenakv::alloc_internal

#endif  // ARENAKV_ALLOC_META_ARENA_H_
