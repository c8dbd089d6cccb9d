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
      max_idle_(max_idle),
      keep_alive_(std::move(keep_alive)) {}

ArenaLease ArenaCache::Take() {
  std::unique_ptr<Arena> arena;
  {
    MutexLock lock(&mu_);
    if (!idle_.empty()) {
      arena = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (arena == nullptr) arena = std::make_unique<Arena>(options_);
  return ArenaLease(arena.release(), ArenaReturn{shared_from_this()});
}

void ArenaCache::Return(Arena* arena) noexcept {
  std::unique_ptr<Arena> owned(arena);
  {
    MutexLock lock(&mu_);
    if (idle_.size() >= max_idle_) return;  // released below, outside the lock
  }
  owned->Reset(keep_bytes_);  // outside the lock: it walks the arena's pools
  MutexLock lock(&mu_);
  if (idle_.size() >= max_idle_) return;
  try {
    idle_.push_back(std::move(owned));
  } catch (const std::bad_alloc&) {  // no room to keep it: released instead
  }
}

std::size_t ArenaCache::Drop() noexcept {
  std::vector<std::unique_ptr<Arena>> dropped;
  {
    MutexLock lock(&mu_);
    dropped.swap(idle_);
  }
  std::size_t bytes = 0;
  for (const auto& arena : dropped) bytes += arena->ReservedBytes();
  return bytes;  // released here, outside the lock
}

std::size_t ArenaCache::idle() const {
  MutexLock lock(&mu_);
  return idle_.size();
}

}  // namespace arenakv
