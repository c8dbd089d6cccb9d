// SPDX-License-Identifier: Apache-2.0
// MemoryCharge: an account, outside an arena, that the arena's committed
// memory is also charged to (ArenaOptions::charge). With one account shared
// by several arenas and by other consumers, memory they commit together stays
// within one hard limit (the engine's memory budget).
//
// The arena calls TryCharge before it commits pages (in its commit steps:
// capacity / 256 clamped to 4..64 KiB, one 2 MiB huge page, the pages of one
// large chunk, or single pages at the edge of a limit; never per small chunk)
// and Release when it gives pages back: a retired pool, freed large chunks'
// pages under pressure, Release(), destruction. A refused charge is a failed
// allocation, as capacity is (ArenaExhausted, TryAlloc's nullptr).
//
// Thread safety: an implementation must allow every method to be called from
// any number of threads at once; the arena calls them without holding its
// locks on the fast path, and under its grow mutex on some slow ones, so an
// implementation must not call back into the arena.
#ifndef ARENAKV_ALLOC_MEMORY_CHARGE_H_
#define ARENAKV_ALLOC_MEMORY_CHARGE_H_

#include <cstddef>

namespace arenakv {

class MemoryCharge {
 public:
  virtual ~MemoryCharge() = default;
  // Charges `bytes` more and returns true, or charges nothing and returns
  // false if the account cannot take them.
  virtual bool TryCharge(std::size_t bytes) noexcept = 0;
  // Gives back `bytes` charged earlier.
  virtual void Release(std::size_t bytes) noexcept = 0;
};

}  // namespace arenakv

#endif  // ARENAKV_ALLOC_MEMORY_CHARGE_H_
