// SPDX-License-Identifier: Apache-2.0
// A lock-free concurrent hash map whose nodes are arena chunks: a fixed array
// of buckets, each an atomic pointer to a singly linked chain; a new key is
// prepended with a compare-and-swap, and values are atomic integers updated
// in place. Four writer threads insert disjoint and overlapping keys while a
// reader thread checks what it sees; then every key and the count are checked.
//
// Memory story
//   - Who allocates: the map, one Arena::Alloc per node (header + key bytes)
//     and one for the bucket array. Any thread may allocate concurrently.
//   - Who frees: nobody, while the map lives. A published node may be read at
//     any moment by a reader that loaded its address, and the map has no way
//     to know when the last such reader is gone; freeing it would need a
//     reclamation scheme (hazard pointers, epochs, reference counts). Instead
//     nodes are never unlinked, so a pointer once read stays valid. The one
//     exception: a node that lost the race to insert its key was never
//     published, so no one else can hold it, and it is freed at once.
//   - When the arena is released: when the map is dropped, after every thread
//     using it has been joined; all nodes go at once, no per-node free.
//
// Concurrency contract
//   FindOrInsert, Put, Add, Get and ForEach may run concurrently from any
//   number of threads, lock-free. There is no erase.
//
// Memory orders
//   - Bucket head load: acquire. It pairs with the release of the CAS that
//     published the node, so a reader that reaches a node sees its key, its
//     first value and its `next`, all written before publication. A node's
//     `next` is a plain pointer: written once, before publication, never again.
//     Nodes further down the chain were published earlier on the same head,
//     so the same happens-before chain covers them.
//   - Publishing CAS: release on success; acquire on failure, because the
//     inserter then walks the nodes it just learned about.
//   - Values: relaxed loads, stores and fetch_add. A value is a plain number
//     that publishes nothing else, so all it needs is atomicity (no torn
//     reads, no lost increments); its node is already visible through the
//     acquire above.
//   - The count: relaxed fetch_add, read after join (which synchronizes).
//
// Exits non-zero if a check fails, so it doubles as a test (ctest).
#include <arenakv/alloc/arena.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <new>
#include <string>
#include <string_view>
#include <thread>
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
  std::printf("  %-14s live=%zu requested=%zu allocated=%zu reserved=%zu\n", when, s.live_chunks,
              s.requested, s.allocated, s.reserved);
}

class HashMap {
 public:
  // One arena chunk: | Node | key bytes |.
  struct Node {
    Node* next;  // immutable once published
    std::atomic<std::uint64_t> value;
    std::uint32_t key_size;
    std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }
  };

  // Allocates the bucket array; throws ArenaExhausted if the arena is full.
  HashMap(arenakv::Arena* arena, std::size_t buckets) : arena_(arena), buckets_(buckets) {
    heads_ = static_cast<std::atomic<Node*>*>(arena_->Alloc(buckets * sizeof(std::atomic<Node*>)));
    for (std::size_t i = 0; i < buckets; ++i) new (&heads_[i]) std::atomic<Node*>(nullptr);
  }
  // Frees nothing: the nodes and the buckets go with the arena.
  ~HashMap() = default;

  // The node of `key`, inserting it with `initial` if absent. Exactly one node
  // per key, whichever threads race. Throws ArenaExhausted like Alloc.
  Node* FindOrInsert(std::string_view key, std::uint64_t initial) {
    std::atomic<Node*>& head = Bucket(key);
    Node* first = head.load(std::memory_order_acquire);
    Node* seen_until = nullptr;  // the chain from here on was searched already
    Node* fresh = nullptr;
    for (;;) {
      for (Node* n = first; n != seen_until; n = n->next) {
        if (n->key() == key) {
          if (fresh != nullptr) arena_->Free(fresh);  // never published
          return n;
        }
      }
      if (fresh == nullptr) fresh = NewNode(key, initial);
      fresh->next = first;  // plain store: `fresh` is not reachable yet
      seen_until = first;
      if (head.compare_exchange_weak(first, fresh, std::memory_order_release,
                                     std::memory_order_acquire)) {
        count_.fetch_add(1, std::memory_order_relaxed);
        return fresh;
      }
      // `first` is now the current head: walk only what was prepended since.
    }
  }

  void Put(std::string_view key, std::uint64_t value) {
    FindOrInsert(key, value)->value.store(value, std::memory_order_relaxed);
  }
  void Add(std::string_view key, std::uint64_t delta) {
    FindOrInsert(key, 0)->value.fetch_add(delta, std::memory_order_relaxed);
  }
  bool Get(std::string_view key, std::uint64_t* value) const {
    for (const Node* n = Bucket(key).load(std::memory_order_acquire); n != nullptr; n = n->next) {
      if (n->key() == key) {
        *value = n->value.load(std::memory_order_relaxed);
        return true;
      }
    }
    return false;
  }

  // Visits every node published before the call (and maybe some after).
  void ForEach(const std::function<void(const Node&)>& visit) const {
    for (std::size_t i = 0; i < buckets_; ++i) {
      for (const Node* n = heads_[i].load(std::memory_order_acquire); n != nullptr; n = n->next) {
        visit(*n);
      }
    }
  }

  std::size_t Count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<Node*>& Bucket(std::string_view key) const {
    return heads_[std::hash<std::string_view>{}(key) % buckets_];
  }

  Node* NewNode(std::string_view key, std::uint64_t value) {
    auto* n = static_cast<Node*>(arena_->Alloc(sizeof(Node) + key.size()));
    new (n) Node{nullptr, value, static_cast<std::uint32_t>(key.size())};
    std::memcpy(reinterpret_cast<char*>(n + 1), key.data(), key.size());
    return n;
  }

  arenakv::Arena* const arena_;
  const std::size_t buckets_;
  std::atomic<Node*>* heads_;  // buckets_ heads, one arena chunk
  std::atomic<std::size_t> count_{0};
};

constexpr int kWriters = 4;
constexpr unsigned kOwnKeys = 5000;     // per writer, disjoint: "w<t>-<i>"
constexpr unsigned kSharedKeys = 2000;  // every writer adds to all of these: "shared-<i>"

std::string OwnKey(int t, unsigned i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "w%d-%u", t, i);
  return buf;
}
std::string SharedKey(unsigned i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "shared-%u", i);
  return buf;
}
// An own key is put twice: version 1, then version 2 with bit 40 set.
std::uint64_t OwnValue(int t, unsigned i) { return std::uint64_t(t) * 1000000 + i; }
constexpr std::uint64_t kVersion2 = std::uint64_t{1} << 40;

void Writer(HashMap& map, int t) {
  for (unsigned i = 0; i < kOwnKeys; ++i) {
    map.Put(OwnKey(t, i), OwnValue(t, i));
    map.Add(SharedKey((i * 7 + static_cast<unsigned>(t)) % kSharedKeys), t + 1);
  }
  for (unsigned i = 0; i < kOwnKeys; ++i) map.Put(OwnKey(t, i), OwnValue(t, i) | kVersion2);
}

// Reads own keys while the writers run: a key is absent, or has one of its
// two versions; never a value of another key, never a torn one.
void Reader(const HashMap& map, const std::atomic<bool>& done, std::uint64_t* bad,
            std::uint64_t* found) {
  do {
    for (int t = 0; t < kWriters; ++t) {
      for (unsigned i = 0; i < kOwnKeys; i += 13) {
        std::uint64_t v;
        if (!map.Get(OwnKey(t, i), &v)) continue;
        ++*found;
        if (v != OwnValue(t, i) && v != (OwnValue(t, i) | kVersion2)) ++*bad;
      }
    }
  } while (!done.load(std::memory_order_acquire));
}

}  // namespace

int main() {
  arenakv::Arena arena;  // declared first: outlives the map
  std::uint64_t bad = 0, found = 0;
  {
    HashMap map(&arena, 4096);
    std::atomic<bool> done{false};
    std::thread reader(Reader, std::cref(map), std::cref(done), &bad, &found);
    std::vector<std::thread> writers;
    for (int t = 0; t < kWriters; ++t) writers.emplace_back(Writer, std::ref(map), t);
    for (std::thread& w : writers) w.join();
    done.store(true, std::memory_order_release);
    reader.join();

    const std::size_t expected = kWriters * kOwnKeys + kSharedKeys;
    std::printf("%d writers, %zu keys (%u own keys each, %u shared); the reader saw %llu values\n",
                kWriters, map.Count(), kOwnKeys, kSharedKeys,
                static_cast<unsigned long long>(found));
    Expect(bad == 0, "the reader saw only values written for the key");
    Expect(map.Count() == expected, "one node per distinct key");

    bool own_ok = true, shared_ok = true;
    for (int t = 0; t < kWriters; ++t) {
      for (unsigned i = 0; i < kOwnKeys; ++i) {
        std::uint64_t v = 0;
        own_ok = own_ok && map.Get(OwnKey(t, i), &v) && v == (OwnValue(t, i) | kVersion2);
      }
    }
    // Writer t adds t + 1 to shared key (i * 7 + t) % kSharedKeys, for each i.
    std::vector<std::uint64_t> want(kSharedKeys, 0);
    for (int t = 0; t < kWriters; ++t) {
      for (unsigned i = 0; i < kOwnKeys; ++i) {
        want[(i * 7 + static_cast<unsigned>(t)) % kSharedKeys] += static_cast<std::uint64_t>(t) + 1;
      }
    }
    for (unsigned i = 0; i < kSharedKeys; ++i) {
      std::uint64_t v = 0;
      shared_ok = shared_ok && map.Get(SharedKey(i), &v) && v == want[i];
    }
    Expect(own_ok, "every own key holds its second version");
    Expect(shared_ok, "every shared key holds the sum of all adds (no lost update)");

    std::size_t visited = 0;
    map.ForEach([&visited](const HashMap::Node&) { ++visited; });
    Expect(visited == expected, "ForEach visits every node once");

    PrintStats("arena in use:", arena);
    Expect(arena.Stats().live_chunks == expected + 1, "live chunks: the nodes and the buckets");
  }  // the map is dropped: it frees nothing
  arena.Release();
  PrintStats("after Release:", arena);
  Expect(arena.Stats().live_chunks == 0 && arena.Stats().reserved == 0, "nothing after Release");

  std::printf("%s\n", ok ? "hash_map_example: OK" : "hash_map_example: FAILED");
  return ok ? 0 : 1;
}
