// SPDX-License-Identifier: Apache-2.0
#include "alloc/meta_arena.h"

#include <cstdint>

#include "alloc/os_memory.h"

namespace arenakv::alloc_internal {

void* MetaArena::Allocate(std::size_t size) noexcept {
  size = (size + 63) & ~std::size_t{63};
  if (static_cast<std::size_t>(limit_ - cursor_) < size) {
    // Large requests get a block of their own so the current block's tail is kept.
    const std::size_t block =
        size > kBlockSize / 4 ? (size + kPageSize - 1) & ~(kPageSize - 1) : kBlockSize;
    void* base = MapMetadata(block);
    if (base == nullptr) return nullptr;
    try {
      blocks_.push_back({base, block});
    } catch (...) {
      UnmapMetadata(base, block);
      return nullptr;
    }
    bytes_ += block;
    if (block != kBlockSize) return base;
    cursor_ = static_cast<char*>(base);
    limit_ = cursor_ + block;
  }
  void* p = cursor_;
  cursor_ += size;
  return p;
}

void MetaArena::ReleaseAll() noexcept {
  for (const Block& b : blocks_) UnmapMetadata(b.base, b.size);
  blocks_.clear();
  cursor_ = limit_ = nullptr;
  bytes_ = 0;
}

}  // namespace arenakv::alloc_internal
