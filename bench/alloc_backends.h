// SPDX-License-Identifier: Apache-2.0
// The four allocators of alloc_bench behind one interface, each used the way it
// is meant to be used by a memtable-like client:
//
//   arenakv   one Arena shared by every thread of a run (our model: a memtable
//             owns one arena and all writer threads allocate from it);
//             bulk release = Arena::Release().
//   mimalloc  one private mi_heap per thread (mimalloc's model: a heap belongs
//             to the thread that made it and is not thread-safe for allocation
//             by others); bulk release = mi_heap_destroy().
//   glibc     malloc/free; no bulk release, so the client must free every chunk.
//   jemalloc  one private arena (mallctl "arenas.create") shared by every thread,
//             each thread with its own explicit tcache (mallctl "tcache.create",
//             mallocx(MALLOCX_ARENA(a) | MALLOCX_TCACHE(tc))), which keeps
//             jemalloc's thread cache in play; bulk release = flush every tcache,
//             then "arena.<i>.destroy" (cold) or "arena.<i>.reset" (warm).
//             mallocx/dallocx with flags skip the shortcut of plain malloc/free:
//             measured here, 8..64 B pairs cost about 1.5x those of jemalloc's
//             own malloc/free; that is the price of a private arena.
//
// Interface of each backend B:
//   B::kName, B::kBulkRelease, B::Available(&why)
//   B::Shared  one per run: Shared(arena_capacity), BeginCycle(), EndCycle(mode);
//              BeginCycle/EndCycle run on one thread while the others wait.
//   B::Local   one per thread: Local(shared), Alloc(n), Free(p), EndCycle(mode)
//              (this thread's part of a bulk release, before Shared::EndCycle).
//
// ReleaseMode says what a bulk release gives back:
//   kCold  as much as the allocator can return to the OS, so the next cycle
//          starts from fresh pages: arenakv destroys the Arena; mimalloc also
//          calls mi_collect(true); glibc calls malloc_trim(0); jemalloc destroys
//          its arena.
//   kWarm  the allocator's ordinary bulk release, reusing the same object:
//          arenakv Reset() (every chunk freed at once, the committed pages
//          kept for the next cycle, alloc/arena.h);
//          mimalloc mi_heap_destroy and a new mi_heap (it has no heap reset;
//          its pages stay cached in the thread for the next heap);
//          glibc free; jemalloc "arena.<i>.reset" (jemalloc 5.3.0 still purges:
//          the next cycle faults its pages in again; the page_faults counter
//          of alloc_bench shows every allocator's behaviour).
#ifndef ARENAKV_BENCH_ALLOC_BACKENDS_H_
#define ARENAKV_BENCH_ALLOC_BACKENDS_H_

#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "arenakv/alloc/arena.h"
#include "bench/peer_allocators.h"

namespace arenakv::bench {

enum class ReleaseMode { kCold, kWarm };

class ArenaBackend {
 public:
  static constexpr std::string_view kName = "arenakv";
  static constexpr bool kBulkRelease = true;
  static bool Available(std::string* /*why*/) { return true; }

  class Shared {
   public:
    explicit Shared(std::size_t capacity) : options_{.capacity = capacity} {
      arena_.emplace(options_);
    }
    void BeginCycle() {
      if (!arena_) arena_.emplace(options_);
    }
    void EndCycle(ReleaseMode mode) {
      last_stats_ = arena_->Stats();
      if (mode == ReleaseMode::kCold) {
        arena_.reset();
      } else {
        arena_->Reset();
      }
    }
    Arena& arena() { return *arena_; }
    // The arena's Stats() just before the last EndCycle.
    const ArenaStats& last_stats() const { return last_stats_; }

   private:
    const ArenaOptions options_;
    std::optional<Arena> arena_;
    ArenaStats last_stats_;
  };

  class Local {
   public:
    explicit Local(Shared& shared) : shared_(shared) {}
    void* Alloc(std::size_t n) { return shared_.arena().Alloc(n); }
    void Free(void* p) { shared_.arena().Free(p); }
    void EndCycle(ReleaseMode /*mode*/) {}

   private:
    Shared& shared_;
  };
};

class MimallocBackend {
 public:
  static constexpr std::string_view kName = "mimalloc";
  static constexpr bool kBulkRelease = true;
  static bool Available(std::string* why) { return Mimalloc::Get(why) != nullptr; }

  class Shared {
   public:
    explicit Shared(std::size_t /*capacity*/) {}
    void BeginCycle() {}
    void EndCycle(ReleaseMode /*mode*/) {}
  };

  class Local {
   public:
    explicit Local(Shared& /*shared*/) : mi_(*Mimalloc::Get()), heap_(mi_.heap_new()) {}
    ~Local() { mi_.heap_destroy(heap_); }
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;

    void* Alloc(std::size_t n) {
      void* p = mi_.heap_malloc(heap_, n);
      if (p == nullptr) throw std::bad_alloc();
      return p;
    }
    void Free(void* p) { mi_.free(p); }
    void EndCycle(ReleaseMode mode) {
      mi_.heap_destroy(heap_);
      if (mode == ReleaseMode::kCold) mi_.collect(true);
      heap_ = mi_.heap_new();
    }

   private:
    const Mimalloc& mi_;
    void* heap_;
  };
};

class GlibcBackend {
 public:
  static constexpr std::string_view kName = "glibc";
  static constexpr bool kBulkRelease = false;
  static bool Available(std::string* /*why*/) { return true; }

  class Shared {
   public:
    explicit Shared(std::size_t /*capacity*/) {}
    void BeginCycle() {}
    void EndCycle(ReleaseMode mode) {
      if (mode == ReleaseMode::kCold) malloc_trim(0);
    }
  };

  class Local {
   public:
    explicit Local(Shared& /*shared*/) {}
    void* Alloc(std::size_t n) {
      void* p = std::malloc(n);
      if (p == nullptr) throw std::bad_alloc();
      return p;
    }
    void Free(void* p) { std::free(p); }
    void EndCycle(ReleaseMode /*mode*/) {}
  };
};

class JemallocBackend {
 public:
  static constexpr std::string_view kName = "jemalloc";
  static constexpr bool kBulkRelease = true;
  static bool Available(std::string* why) { return Jemalloc::Get(why) != nullptr; }

  class Shared {
   public:
    explicit Shared(std::size_t /*capacity*/) : je_(*Jemalloc::Get()) { Create(); }
    ~Shared() {
      if (arena_) Control("destroy");
    }
    Shared(const Shared&) = delete;
    Shared& operator=(const Shared&) = delete;

    void BeginCycle() {
      if (!arena_) Create();
    }
    // Every thread's tcache has been flushed (Local::EndCycle) before this runs.
    void EndCycle(ReleaseMode mode) {
      if (mode == ReleaseMode::kCold) {
        Control("destroy");
        arena_.reset();
      } else {
        Control("reset");
      }
    }
    int arena_flag() const { return arena_flag_; }

   private:
    void Create() {
      unsigned arena = 0;
      std::size_t len = sizeof(arena);
      if (je_.mallctl("arenas.create", &arena, &len, nullptr, 0) != 0) {
        throw std::runtime_error("jemalloc: arenas.create failed");
      }
      arena_ = arena;
      arena_flag_ = Jemalloc::ArenaFlag(arena);
    }
    void Control(const char* verb) {
      const std::string name = "arena." + std::to_string(*arena_) + "." + verb;
      if (je_.mallctl(name.c_str(), nullptr, nullptr, nullptr, 0) != 0) {
        throw std::runtime_error("jemalloc: " + name + " failed");
      }
    }

    const Jemalloc& je_;
    std::optional<unsigned> arena_;
    int arena_flag_ = 0;
  };

  class Local {
   public:
    explicit Local(Shared& shared) : je_(*Jemalloc::Get()), shared_(shared) {
      std::size_t len = sizeof(tcache_);
      if (je_.mallctl("tcache.create", &tcache_, &len, nullptr, 0) != 0) {
        throw std::runtime_error("jemalloc: tcache.create failed");
      }
      tcache_flag_ = Jemalloc::TcacheFlag(tcache_);
    }
    ~Local() { je_.mallctl("tcache.destroy", nullptr, nullptr, &tcache_, sizeof(tcache_)); }
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;

    void* Alloc(std::size_t n) {
      void* p = je_.mallocx(n, shared_.arena_flag() | tcache_flag_);
      if (p == nullptr) throw std::bad_alloc();
      return p;
    }
    void Free(void* p) { je_.dallocx(p, tcache_flag_); }
    void EndCycle(ReleaseMode /*mode*/) {
      je_.mallctl("tcache.flush", nullptr, nullptr, &tcache_, sizeof(tcache_));
    }

   private:
    const Jemalloc& je_;
    Shared& shared_;
    unsigned tcache_ = 0;
    int tcache_flag_ = 0;
  };
};

}  // namespace arenakv::bench

#endif  // ARENAKV_BENCH_ALLOC_BACKENDS_H_
