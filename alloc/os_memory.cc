// SPDX-License-Identifier: Apache-2.0
#include "alloc/os_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace arenakv::alloc_internal {

char* ReserveAddressSpace(std::size_t size, std::size_t alignment) noexcept {
  // Over-reserve by the alignment, then trim both ends so the kernel keeps
  // exactly [aligned, aligned + size).
  const std::size_t padded = size + alignment;
  void* raw = mmap(nullptr, padded, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + alignment - 1) & ~(std::uintptr_t{alignment} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const std::uintptr_t tail = start + padded - (aligned + size);
  if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
  return reinterpret_cast<char*>(aligned);
}

bool CommitPages(char* addr, std::size_t size) noexcept {
  return mprotect(addr, size, PROT_READ | PROT_WRITE) == 0;
}

void AdviseHugePages(char* addr, std::size_t size) noexcept {
#ifdef MADV_HUGEPAGE
  madvise(addr, size, MADV_HUGEPAGE);
#else
  (void)addr;
  (void)size;
#endif
}

bool HugePagesEnabled() noexcept {
  static const bool enabled = [] {
    std::FILE* f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (f == nullptr) return false;
    char buf[128] = {};
    const std::size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
    std::fclose(f);
    return std::strstr(buf, "[never]") == nullptr && n > 0;
  }();
  return enabled;
}

namespace {

// Frees the pages of [addr, addr + size) kFreeStep at a time (os_memory.h).
void FreePagesInSteps(char* addr, std::size_t size) noexcept {
  for (std::size_t done = 0; done < size; done += kFreeStep) {
    (void)madvise(addr + done, std::min(kFreeStep, size - done), MADV_DONTNEED);
  }
}

}  // namespace

void DecommitPages(char* addr, std::size_t size) noexcept {
  FreePagesInSteps(addr, size);
  // Then the access rights go: a fresh anonymous mapping replaces the old
  // one in place. If it fails the range stays accessible (its pages are
  // freed already), which only a stray access would notice.
  (void)mmap(addr, size, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}

void ReleaseAddressSpace(char* addr, std::size_t size, std::size_t touched) noexcept {
  FreePagesInSteps(addr, std::min(touched, size));
  munmap(addr, size);
}

void* MapMetadata(std::size_t size) noexcept {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void UnmapMetadata(void* addr, std::size_t size) noexcept { munmap(addr, size); }

}  // namespace arenakv::alloc_internal
