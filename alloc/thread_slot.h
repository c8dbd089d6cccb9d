// SPDX-License-Identifier: Apache-2.0
// Thread slots: a small dense number per live thread, shared by all arenas.
//
// Each arena keeps one heap (per-thread allocator state) per slot, so finding
// the calling thread's heap is one thread-local load plus one array load; no
// per-arena thread-local state exists, so arenas and threads may die in any
// order. A slot is returned when its thread exits and handed to the next new
// thread, which then inherits the dead thread's heaps in every arena. The
// registry mutex orders the two threads (the old one's last use of a heap
// happens-before the new one's first), which is what makes the inheritance safe.
//
// Threads beyond kMaxThreadSlots, and threads whose slot is already gone during
// their own exit, get kOverflowSlot: arenas serve them from one shared heap
// under a mutex. Correct, just slower.
#ifndef ARENAKV_ALLOC_THREAD_SLOT_H_
#define ARENAKV_ALLOC_THREAD_SLOT_H_

namespace arenakv::alloc_internal {

constexpr int kMaxThreadSlots = 256;
constexpr int kOverflowSlot = -1;
constexpr int kUnassignedSlot = -2;

extern constinit thread_local int t_thread_slot;

int AssignThreadSlot();  // slow path of ThisThreadSlot

// The calling thread's slot in [0, kMaxThreadSlots), or kOverflowSlot.
inline int ThisThreadSlot() {
  const int slot = t_thread_slot;
  return slot != kUnassignedSlot ? slot : AssignThreadSlot();
}

}  // namespace arenakv::alloc_internal

#endif  // ARENAKV_ALLOC_THREAD_SLOT_H_
