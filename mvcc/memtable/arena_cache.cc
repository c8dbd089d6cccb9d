// SPDX-License-Identifier: Apache-2.0
#include "mvcc/memtable/arena_cache.h"

#include <utility>

namespace arenakv {

void ArenaReturn::operator()(Arena* arena) const noexcept {
  if (cache != nullptr) {
    cache->Return(arena);
  } else {
    delete arena;
  }
}

ArenaLease OwnArena(const ArenaOptions& options) {
  return ArenaLease(new Arena(options), ArenaReturn{});
}

std::shared_ptr<ArenaCache> ArenaCache::Create(const ArenaOptions& options, std::size_t keep_bytes,
                                               std::size_t max_idle,
                                               std::shared_ptr<const void> keep_alive) {
  return std::shared_ptr<ArenaCache>(
      new ArenaCache(options, keep_bytes, max_idle, std::move(keep_alive)));
}

ArenaCache::ArenaCache(const ArenaOptions& options, std::size_t keep_bytes, std::size_t max_idle,
                       std::shared_ptr<const void> keep_alive)
    : options_(options),
      keep_bytes_(keep_bytes),
      keep_alive_(std::move(keep_alive)),
      idle_(max_idle) {}

ArenaLease ArenaCache::Take() {
  std::unique_ptr<Arena> arena = idle_.Take();
  if (arena == nullptr) arena = std::make_unique<Arena>(options_);
  return ArenaLease(arena.release(), ArenaReturn{shared_from_this()});
}

void ArenaCache::Return(Arena* arena) noexcept {
  idle_.Give(std::unique_ptr<Arena>(arena), [this](Arena& a) {
    a.Reset(keep_bytes_);
    return true;
  });
}

std::size_t ArenaCache::Drop() noexcept {
  const std::vector<std::unique_ptr<Arena>> dropped = idle_.TakeAll();
  std::size_t bytes = 0;
  for (const auto& arena : dropped) bytes += arena->ReservedBytes();
  return bytes;  // released here, outside the lock
}

std::size_t ArenaCache::idle() const { return idle_.size(); }

}  // namespace arenakv
