// SPDX-License-Identifier: Apache-2.0
// Thin wrappers over the OS virtual-memory calls the arena needs: reserve a range
// of address space (no memory behind it), commit pages of it (readable and
// writable, counted by the OS against its commit limit), and give it all back.
#ifndef ARENAKV_ALLOC_OS_MEMORY_H_
#define ARENAKV_ALLOC_OS_MEMORY_H_

#include <cstddef>

namespace arenakv::alloc_internal {

constexpr std::size_t kPageSize = 4096;

// Returns size bytes of inaccessible address space aligned to `alignment` (a
// power of two >= kPageSize), or nullptr if the OS refuses.
char* ReserveAddressSpace(std::size_t size, std::size_t alignment) noexcept;

// Makes [addr, addr + size) readable and writable; both page aligned. Pages are
// zero on first touch. Returns false if the OS refuses (out of memory).
bool CommitPages(char* addr, std::size_t size) noexcept;

// Both calls below free pages before they change the mapping, in steps of
// kFreeStep (MADV_DONTNEED): one munmap or mmap(MAP_FIXED) that frees tens
// of megabytes of pages holds the process's mmap lock for milliseconds
// (11 ms for a 64 MiB memtable of 4 KiB pages, measured), and another
// thread's mprotect, mmap or madvise that needs the lock, such as an arena
// committing its next pages on a write path, waits all that time. A step
// holds the lock a third of a millisecond at most here; the final call
// then finds no pages to free. 2 MiB: whole huge pages, never split.
constexpr std::size_t kFreeStep = std::size_t{2} << 20;

// Gives the memory behind committed [addr, addr + size) back to the OS and
// makes the range inaccessible again (reserved, as ReserveAddressSpace left
// it); both page aligned. A later CommitPages makes it usable, zeroed.
void DecommitPages(char* addr, std::size_t size) noexcept;

// Returns [addr, addr + size), reserved by ReserveAddressSpace, to the OS.
// Pages may have been touched only in its first `touched` bytes (any value:
// past `size` counts as `size`).
void ReleaseAddressSpace(char* addr, std::size_t size, std::size_t touched) noexcept;

// Asks the OS to back [addr, addr + size) with transparent huge pages (2 MiB),
// which cuts page faults 512-fold for pools that fill quickly. Advisory only.
constexpr std::size_t kHugePageSize = 2 << 20;
void AdviseHugePages(char* addr, std::size_t size) noexcept;
// True if the kernel has transparent huge pages enabled (always or madvise).
bool HugePagesEnabled() noexcept;

// Readable/writable zeroed memory for allocator metadata (committed lazily by
// the OS as it is touched), and its release.
void* MapMetadata(std::size_t size) noexcept;
void UnmapMetadata(void* addr, std::size_t size) noexcept;

}  // namespace arenakv::alloc_internal

#endif  // ARENAKV_ALLOC_OS_MEMORY_H_
