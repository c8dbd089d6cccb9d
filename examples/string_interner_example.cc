// SPDX-License-Identifier: Apache-2.0
// A string interner on an arena: each distinct string is stored once, and
// interning returns a std::string_view that stays valid (same pointer) for as
// long as the interner lives, so equal strings compare by pointer. Then the
// memory it took is compared with a std::unordered_set<std::string> holding
// the same strings, both measured: the arena by its Stats(), the set by a
// counting allocator that sees every node, bucket array and string buffer.
//
// Memory story
//   - Who allocates: Intern, one Arena::Alloc per new string (its bytes, no
//     terminator, in a chunk rounded up to the slab: 8-byte steps for strings
//     up to 512 B), and the slot table, which is an arena chunk too.
//   - Who frees: nobody, string by string. Strings are never removed, so a
//     view handed out stays valid until Release. The one Free is of the old
//     table when the table grows (its slots are copied first; strings do not
//     move). A freed table's dedicated pool stays committed for reuse.
//   - When the arena is released: once the interner is dropped and no view
//     into it is used any more, the arena is released whole: every string in
//     a handful of munmap calls, whatever their number.
//
// Concurrency contract
//   The interner is single-threaded (no locks, no atomics): fill it from one
//   thread, or guard it with a mutex. The arena itself would allow concurrent
//   Alloc; the table is what is not thread-safe. So no memory orders here.
//
// Exits non-zero if a check fails, so it doubles as a test (ctest).
#include <arenakv/alloc/arena.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace {

bool ok = true;

void Expect(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "unexpected: %s\n", what);
    ok = false;
  }
}

void PrintStats(const char* when, const arenakv::Arena& arena) {
  const arenakv::ArenaStats s = arena.Stats();
  std::printf("  %-16s live=%zu requested=%zu allocated=%zu reserved=%zu overhead=%zu\n", when,
              s.live_chunks, s.requested, s.allocated, s.reserved, s.overhead);
}

class Interner {
 public:
  explicit Interner(arenakv::Arena* arena) : arena_(arena) { Rehash(1024); }
  // Frees nothing: the strings and the table go with the arena's Release().
  ~Interner() = default;
  Interner(const Interner&) = delete;
  Interner& operator=(const Interner&) = delete;

  // The stored copy of s, adding it if it is new. Throws ArenaExhausted when
  // the arena is full (nothing is added then).
  std::string_view Intern(std::string_view s) {
    const std::uint64_t hash = std::hash<std::string_view>{}(s);
    Slot* slot = Probe(s, hash);
    if (slot->data != nullptr) return slot->view();
    if ((size_ + 1) * 4 > (mask_ + 1) * 3) {  // keep the load below 3/4
      Rehash((mask_ + 1) * 2);
      slot = Probe(s, hash);
    }
    char* copy = static_cast<char*>(arena_->Alloc(s.empty() ? 1 : s.size()));
    if (!s.empty()) std::memcpy(copy, s.data(), s.size());
    *slot = Slot{copy, static_cast<std::uint32_t>(s.size()), static_cast<std::uint32_t>(hash)};
    ++size_;
    characters_ += s.size();
    return slot->view();
  }

  // The stored copy of s, or a view with a null data() if s was never interned.
  std::string_view Find(std::string_view s) const {
    return Probe(s, std::hash<std::string_view>{}(s))->view();
  }

  std::size_t size() const { return size_; }
  std::size_t CharacterBytes() const { return characters_; }
  std::size_t TableSlots() const { return mask_ + 1; }
  std::size_t TableBytes() const { return TableSlots() * sizeof(Slot); }

 private:
  // Open addressing with linear probing. An empty slot has data == nullptr;
  // the low 32 bits of the hash are kept to skip most key comparisons.
  struct Slot {
    const char* data;
    std::uint32_t size;
    std::uint32_t hash;
    std::string_view view() const { return {data, data == nullptr ? 0 : size}; }
  };

  // The slot holding s, or the empty slot where it would go.
  Slot* Probe(std::string_view s, std::uint64_t hash) const {
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot* slot = &slots_[i];
      if (slot->data == nullptr) return slot;
      if (slot->hash == static_cast<std::uint32_t>(hash) && slot->view() == s) return slot;
    }
  }

  void Rehash(std::size_t buckets) {
    Slot* old = slots_;
    const std::size_t old_buckets = old == nullptr ? 0 : mask_ + 1;
    slots_ = static_cast<Slot*>(arena_->Alloc(buckets * sizeof(Slot)));
    for (std::size_t i = 0; i < buckets; ++i) slots_[i] = Slot{nullptr, 0, 0};
    mask_ = buckets - 1;
    for (std::size_t i = 0; i < old_buckets; ++i) {
      if (old[i].data == nullptr) continue;
      const std::string_view s = old[i].view();
      *Probe(s, std::hash<std::string_view>{}(s)) = old[i];
    }
    if (old != nullptr) arena_->Free(old);
  }

  arenakv::Arena* const arena_;
  Slot* slots_ = nullptr;  // mask_ + 1 slots (a power of two), an arena chunk
  std::size_t mask_ = 0;
  std::size_t size_ = 0;        // occupied slots
  std::size_t characters_ = 0;  // the interned strings' total length
};

// Counts the bytes a standard container (and the strings in it) holds.
struct Counter {
  std::size_t live_bytes = 0;
  std::size_t live_allocations = 0;
};
Counter counter;

template <typename T>
struct CountingAllocator {
  using value_type = T;
  CountingAllocator() = default;
  template <typename U>
  CountingAllocator(const CountingAllocator<U>&) noexcept {}  // containers rebind
  T* allocate(std::size_t n) {
    counter.live_bytes += n * sizeof(T);
    ++counter.live_allocations;
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    counter.live_bytes -= n * sizeof(T);
    --counter.live_allocations;
    std::allocator<T>{}.deallocate(p, n);
  }
  template <typename U>
  bool operator==(const CountingAllocator<U>&) const noexcept {
    return true;
  }
};

// A std::string whose heap buffer (beyond the 15 bytes kept inline) is counted too.
using CountedString = std::basic_string<char, std::char_traits<char>, CountingAllocator<char>>;
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using CountedSet = std::unordered_set<CountedString, StringHash, std::equal_to<>,
                                      CountingAllocator<CountedString>>;

// Names as a program might intern them: short tags, user names, file paths.
// 20000 distinct strings from 5 to 40 bytes, each produced twice.
std::vector<std::string> Workload() {
  std::vector<std::string> names;
  char buf[64];
  for (int round = 0; round < 2; ++round) {
    for (unsigned i = 0; i < 20000; ++i) {
      switch (i % 4) {
        case 0:
          std::snprintf(buf, sizeof buf, "t%u", i);
          break;
        case 1:
          std::snprintf(buf, sizeof buf, "user_%u", i * 7919 % 100003);
          break;
        case 2:
          std::snprintf(buf, sizeof buf, "user:%06u@example.com", i);
          break;
        default:
          std::snprintf(buf, sizeof buf, "/srv/data/shard-%03u/file-%06u.sst", i % 64, i);
      }
      names.emplace_back(buf);
    }
  }
  return names;
}

}  // namespace

int main() {
  const std::vector<std::string> names = Workload();

  arenakv::ArenaOptions options;
  options.min_pool_size = 64 << 10;  // small pools: less committed but unused memory
  arenakv::Arena arena(options);     // declared first: outlives the interner
  std::printf("Interning %zu names\n", names.size());
  {
    Interner interner(&arena);
    std::vector<std::string_view> first(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) first[i] = interner.Intern(names[i]);

    bool same = true, found = true;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string_view again = interner.Intern(names[i]);
      same = same && again.data() == first[i].data() && again == names[i];
      found = found && interner.Find(names[i]).data() == first[i].data();
    }
    Expect(same, "interning a string again returns the same pointer");
    Expect(found, "Find finds every interned string at its pointer");
    Expect(interner.Find("never interned").data() == nullptr, "Find misses an absent string");
    Expect(first[0].data() == first[20000].data(), "a duplicate name shares the first copy");

    CountedSet set;
    for (const std::string& s : names) set.emplace(s);
    Expect(set.size() == interner.size(), "the set and the interner hold the same strings");
    bool in_set = true;
    for (const std::string& s : names) in_set = in_set && set.contains(std::string_view(s));
    Expect(in_set, "the set finds every string");

    // Committed exceeds the chunks by the unfilled ends of pools and by the
    // old tables: each had a dedicated pool, which stays committed after its
    // Free until the arena runs short (docs/ALLOCATOR.md, "Reuse").
    const arenakv::ArenaStats s = arena.Stats();
    std::printf("  %zu distinct strings, %zu bytes of characters\n", interner.size(),
                interner.CharacterBytes());
    std::printf(
        "  interner (arena):    %8zu bytes in chunks (%zu of them the %zu-slot table), "
        "%zu committed, %zu allocator metadata\n",
        s.allocated, interner.TableBytes(), interner.TableSlots(), s.reserved, s.overhead);
    std::printf(
        "  std::unordered_set:  %8zu bytes in %zu allocations (nodes, buckets, string "
        "buffers), before malloc's own per-allocation headers\n",
        counter.live_bytes, counter.live_allocations);
    std::printf("  bytes per string: arena %.1f, std %.1f\n",
                static_cast<double>(s.allocated) / static_cast<double>(interner.size()),
                static_cast<double>(counter.live_bytes) / static_cast<double>(set.size()));
    PrintStats("arena in use:", arena);
    Expect(s.live_chunks == interner.size() + 1, "one chunk per string, plus the table");
  }  // the interner is dropped and frees nothing: its chunks stay live until Release
  Expect(counter.live_bytes == 0, "the set gave back everything it counted");

  arena.Release();
  PrintStats("after Release:", arena);
  const arenakv::ArenaStats after = arena.Stats();
  Expect(after.live_chunks == 0 && after.allocated == 0 && after.reserved == 0,
         "nothing live after Release");

  std::printf("%s\n", ok ? "string_interner_example: OK" : "string_interner_example: FAILED");
  return ok ? 0 : 1;
}
