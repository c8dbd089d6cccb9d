// SPDX-License-Identifier: Apache-2.0
// arenakv::Arena: argument checking and error reporting around ArenaState.
#include "arenakv/alloc/arena.h"

#include <cstdio>
#include <string>

#include "alloc/arena_state.h"
#include "alloc/fast_path.h"
#include "alloc/size_classes.h"
#include "arenakv/base/check.h"

namespace arenakv {

using alloc_internal::AllocFailure;
using alloc_internal::ArenaState;
using alloc_internal::Misuse;

namespace {

std::string Hex(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%p", p);
  return buf;
}

[[noreturn, gnu::noinline, gnu::cold]] void ThrowMisuse(const char* call, const void* p,
                                                        Misuse misuse) {
  std::string what = std::string("arenakv::Arena::") + call + "(" + Hex(p) + "): ";
  switch (misuse) {
    case Misuse::kNull:
      what += "null pointer";
      break;
    case Misuse::kForeign:
      what += "pointer was not allocated by this arena";
      break;
    case Misuse::kInterior:
      what +=
          "pointer lies in this arena but is not the start of a chunk handed out by it"
          " (interior pointer?)";
      break;
    case Misuse::kNotLive:
      what += "chunk is not allocated (double free?)";
      break;
    case Misuse::kNone:
      break;
  }
  throw ArenaMisuse(what);
}

}  // namespace

Arena::Arena(ArenaOptions options) {
  if (options.capacity == 0 || options.capacity > kMaxArenaSize) {
    throw std::invalid_argument(
        "arenakv::Arena: capacity must be in 1..kMaxArenaSize (1 TiB), got " +
        std::to_string(options.capacity));
  }
  if (options.min_pool_size > kMaxArenaSize) {
    throw std::invalid_argument("arenakv::Arena: min_pool_size must be <= kMaxArenaSize, got " +
                                std::to_string(options.min_pool_size));
  }
  state_ = std::make_unique<ArenaState>(options.capacity, options.min_pool_size, options.charge,
                                        options.huge_pages);
}

Arena::~Arena() = default;

void* Arena::TryAlloc(std::size_t n) noexcept {
  AllocFailure why = AllocFailure::kNone;
  return state_->Allocate(n, &why);
}

namespace {

[[noreturn, gnu::noinline, gnu::cold]] void ThrowAllocFailure(std::size_t n, std::size_t capacity,
                                                              AllocFailure why) {
  const std::string request = " (request of " + std::to_string(n) + " bytes, capacity " +
                              std::to_string(capacity) + " bytes)";
  switch (why) {
    case AllocFailure::kZeroSize:
      throw ArenaMisuse("arenakv::Arena::Alloc: a request of 0 bytes; requests must be >= 1");
    case AllocFailure::kCapacity:
      throw ArenaExhausted("arenakv::Arena::Alloc: capacity exhausted" + request);
    case AllocFailure::kCharge:
      throw ArenaExhausted("arenakv::Arena::Alloc: the memory budget refused more memory" +
                           request);
    case AllocFailure::kAddressSpace:
      throw ArenaExhausted("arenakv::Arena::Alloc: address range exhausted" + request);
    case AllocFailure::kOsRefused:
    case AllocFailure::kNone:
      break;
  }
  throw ArenaExhausted("arenakv::Arena::Alloc: the OS refused memory" + request);
}

}  // namespace

void* Arena::Alloc(std::size_t n) {
  AllocFailure why = AllocFailure::kNone;
  if (void* p = state_->Allocate(n, &why)) [[likely]]
    return p;
  ThrowAllocFailure(n, state_->capacity(), why);
}

void Arena::Free(void* p) {
  const Misuse misuse = state_->Free(p);
  if (misuse != Misuse::kNone) ThrowMisuse("Free", p, misuse);
}

std::size_t Arena::ChunkSize(const void* p) const {
  const alloc_internal::ChunkRef ref = state_->Locate(p);
  if (ref.error != Misuse::kNone) ThrowMisuse("ChunkSize", p, ref.error);
  const bool live = ref.pool->dedicated() ? ref.pool->large_live.load(std::memory_order_acquire)
                                          : !ARENAKV_DEBUG_CHECKS || ref.pool->IsLive(ref.index);
  if (!live) ThrowMisuse("ChunkSize", p, Misuse::kNotLive);
  return ref.pool->chunk_size;
}

std::size_t Arena::SlabSize(std::size_t n) {
  if (n > kMaxArenaSize) {
    throw std::length_error("arenakv::Arena::SlabSize: " + std::to_string(n) +
                            " bytes is above kMaxArenaSize");
  }
  return alloc_internal::kSlabTable[alloc_internal::SlabIndex(n == 0 ? 1 : n)];
}

std::span<const std::size_t> Arena::Slabs() { return alloc_internal::kSlabTable; }

bool Arena::Owns(const void* p) const noexcept {
  const alloc_internal::ChunkRef ref = state_->Locate(p);
  return ref.error == Misuse::kNone;
}

ArenaStats Arena::Stats() const { return state_->Stats(); }

std::size_t Arena::ReservedBytes() const noexcept { return state_->reserved(); }

std::size_t Arena::IdleBytes() const noexcept { return state_->idle(); }

std::size_t Arena::CommitAhead() const noexcept { return state_->CommitAhead(); }

const char* Arena::RangeBase() noexcept { return state_->RangeBase(); }

void Arena::Release() { state_->Release(); }

void Arena::Reset(std::size_t keep_committed) { state_->Reset(keep_committed); }

}  // namespace arenakv
