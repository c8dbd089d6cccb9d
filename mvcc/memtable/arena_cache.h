// SPDX-License-Identifier: Apache-2.0
// ArenaCache: arenas recycled whole instead of created and released.
//
// Creating an arena and releasing it costs system calls (the address range,
// the page map, commits) and page faults: about 250 us on the 2-core VM,
// which a short-lived user of a small arena (a transaction's write set)
// cannot afford. A lease from Take() is an arena, idle or new; when
// the lease ends, the arena is Reset() (every chunk freed at once, up to
// `keep_bytes` of its committed pages kept, alloc/arena.h) and waits in the
// cache for the next Take, or is destroyed if `max_idle` arenas wait already.
// A recycled arena starts on resident pages: a Reset and a first allocation
// cost well under a microsecond.
//
// Memory: an idle arena keeps at most `keep_bytes` committed, charged to its
// ArenaOptions::charge (if any) like any committed page, so the cache holds
// at most max_idle * keep_bytes while nobody uses it, until Drop(). The cache lives as long
// as its longest-held lease (each lease holds a reference).
//
// Thread safety: Take and the end of a lease may run on any threads at once
// (IdleList); a leased arena follows Arena's own contract
// (the lease holder must end every use of it before the lease ends).
#ifndef ARENAKV_MVCC_MEMTABLE_ARENA_CACHE_H_
#define ARENAKV_MVCC_MEMTABLE_ARENA_CACHE_H_

#include <arenakv/alloc/arena.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "mvcc/memtable/idle_list.h"

namespace arenakv {

class ArenaCache;

// Ends a lease: back to its cache, or deleted when it has none.
struct ArenaReturn {
  std::shared_ptr<ArenaCache> cache;
  void operator()(Arena* arena) const noexcept;
};

// An arena owned for a while: from an ArenaCache, or alone (OwnArena).
using ArenaLease = std::unique_ptr<Arena, ArenaReturn>;

// A new arena that is deleted, not recycled, when its lease ends. Throws
// what Arena's constructor throws.
ArenaLease OwnArena(const ArenaOptions& options);

class ArenaCache : public std::enable_shared_from_this<ArenaCache> {
 public:
  // `keep_alive` lives as long as the cache (e.g. the MemoryBudget that
  // options.charge points into).
  static std::shared_ptr<ArenaCache> Create(const ArenaOptions& options, std::size_t keep_bytes,
                                            std::size_t max_idle,
                                            std::shared_ptr<const void> keep_alive = nullptr);

  // An idle arena, or a new one. Throws std::bad_alloc if a new one cannot
  // be made.
  ArenaLease Take();

  // Releases every idle arena (memory pressure); returns the committed
  // bytes they gave back.
  std::size_t Drop() noexcept;

  std::size_t idle() const;
  const ArenaOptions& options() const { return options_; }

 private:
  friend struct ArenaReturn;
  ArenaCache(const ArenaOptions& options, std::size_t keep_bytes, std::size_t max_idle,
             std::shared_ptr<const void> keep_alive);
  void Return(Arena* arena) noexcept;

  const ArenaOptions options_;
  const std::size_t keep_bytes_;
  const std::shared_ptr<const void> keep_alive_;  // outlives the idle arenas
  IdleList<Arena> idle_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_MEMTABLE_ARENA_CACHE_H_
