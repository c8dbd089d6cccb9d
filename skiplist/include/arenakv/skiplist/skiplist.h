// SPDX-License-Identifier: Apache-2.0
// arenakv::SkipList: a concurrent ordered index whose nodes are arena chunks.
//
// Features
//   - Keys are byte strings stored inline in their node; order is given by a
//     three-way comparator (default: bytewise, unsigned, shorter prefix first).
//   - Each node also holds a caller-defined Payload (e.g. an atomic pointer to a
//     version chain), constructed before the node is published.
//   - Any number of threads may Insert concurrently; readers (Find, iterators)
//     never block and never retry, and run concurrently with inserts.
//   - Iterator: SeekToFirst, SeekToLast, Seek, SeekForPrev, Next, Prev. Next is
//     O(1); Prev, Seek and SeekForPrev are O(log n) searches from the top.
//
// Caveats
//   - No removal: a node lives until its arena is released. This is what makes
//     lock-free reads simple: a pointer once read stays valid.
//   - Payload must be trivially destructible: nodes are never destroyed one by
//     one, only released with the whole arena.
//   - Insert returns {nullptr, false} when the arena is exhausted or the key is
//     4 GiB or longer; nothing is linked then, and the list is unchanged.
//
// Usage
//   arenakv::Arena arena;
//   arenakv::SkipList<std::atomic<std::uint64_t>> list(&arena);
//   auto [node, inserted] = list.Insert("apple");
//   node->payload().store(42, std::memory_order_release);
//   for (auto it = list.NewIterator(); it.Valid(); it.Next()) use(it.key());
//   (examples/skiplist_example.cc has a complete program.)
//
// Node layout (one arena chunk, 8-byte aligned):
//
//   | Payload | next[h-1] ... next[1] | next[0] | h u8 | key_size varint | key | tail |
//                                       ^ Node*
//
//   Links are 32-bit CompactRefs (<arenakv/alloc/compact_refs.h>) into the list's arena,
//   not pointers: a node of height h spends 4h bytes on links instead of 8h.
//   The Node pointer is the level-0 link, so the key sits at a fixed offset from
//   it whatever the height, and level L's link is L words below it (RocksDB's
//   InlineSkipList does the same). The payload (padded to 4 bytes) starts the
//   chunk, so it keeps the chunk's 8-byte alignment. The optional tail holds
//   bytes the caller stores with the key (the memtable keeps a key's first
//   version there, saving a second chunk).
//
// Insert protocol (bottom-up, after Pebble's arenaskl and RocksDB's
// InlineSkipList):
//   1. Search from the top level down, recording at each level the last node
//      before the key (prev) and its successor (next). If next[0] holds the key,
//      return it.
//   2. Allocate the node, pick its height (p = 1/4), copy the key, construct the
//      payload (the caller's init runs here), set its next pointers (relaxed: the
//      node is not yet reachable).
//   3. Link level 0 with a release CAS on prev[0].next[0]. This is the moment the
//      node becomes visible. If the CAS fails, search level 0 again from prev[0];
//      if another thread linked the same key meanwhile, free our unpublished node
//      and return theirs, so every key has exactly one node.
//   4. Link levels 1 .. height-1 the same way, re-searching a level from its prev
//      on CAS failure. Between steps 3 and 4 the node is reachable at the lower
//      levels only; readers do not care, because a search that misses it at a
//      high level finds it at a lower one:
//
//        level 1:  A -----------------> C         (B not yet linked here)
//        level 0:  A ------> B ------> C          (B visible)
//
// Memory orders
//   - next-pointer loads: acquire, so a reader that reaches a node sees its key,
//     height and payload as they were before publication.
//   - publication (the CASes of steps 3-4): release, pairing with those loads.
//   - a new node's own next pointers before publication: relaxed (unreachable).
//   - max_height_: relaxed. A reader that sees a stale (lower) height searches
//     from a lower level, which is still correct; a reader that sees a new height
//     before the head's upper levels are linked finds nullptr there and drops a
//     level.
//
// Ownership: nodes belong to the arena; the list holds a pointer to the arena,
// which must outlive it. Destroying the list frees nothing; releasing the
// arena frees every node at once.
#ifndef ARENAKV_SKIPLIST_SKIPLIST_H_
#define ARENAKV_SKIPLIST_SKIPLIST_H_

#include <arenakv/alloc/arena.h>
#include <arenakv/alloc/compact_refs.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

namespace arenakv {

// Unsigned lexicographic order, shorter prefix first (char_traits<char>
// compares as unsigned char).
struct BytewiseCompare {
  int operator()(std::string_view a, std::string_view b) const noexcept { return a.compare(b); }
};

// Payload for a skiplist used as a set.
struct NoPayload {};

template <typename Payload = NoPayload, typename Compare = BytewiseCompare>
class SkipList {
  static_assert(std::is_trivially_destructible_v<Payload>,
                "nodes are released with their arena, never destroyed one by one");
  static_assert(alignof(Payload) <= kAlignment, "arena chunks are 8-byte aligned");
  using Link = std::atomic<std::uint32_t>;  // a CompactRefs reference to a Node
  static_assert(sizeof(Link) == 4 && alignof(Link) == 4);

 public:
  static constexpr int kMaxHeight = 20;

  // A node is addressed by its level-0 link; see "Node layout" above. Only the
  // list creates nodes.
  class Node {
   public:
    std::string_view key() const noexcept {
      const char* p = bytes() + kKeySizeOffset;
      std::uint32_t size = 0;
      for (int shift = 0;; shift += 7) {
        const auto byte = static_cast<unsigned char>(*p++);
        size |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
        if (byte < 0x80) break;
      }
      return {p, size};
    }
    Payload& payload() noexcept { return *reinterpret_cast<Payload*>(chunk()); }
    const Payload& payload() const noexcept {
      return *reinterpret_cast<const Payload*>(const_cast<Node*>(this)->chunk());
    }
    int height() const noexcept { return static_cast<unsigned char>(bytes()[kHeightOffset]); }
    // The tail_size bytes after the key that Insert reserved (unaligned).
    char* tail() noexcept { return const_cast<char*>(std::as_const(*this).tail()); }
    const char* tail() const noexcept {
      const std::string_view k = key();
      return k.data() + k.size();
    }

   private:
    friend class SkipList;
    static constexpr std::size_t kHeightOffset = sizeof(Link);
    static constexpr std::size_t kKeySizeOffset = kHeightOffset + 1;

    const char* bytes() const noexcept { return reinterpret_cast<const char*>(this); }
    char* chunk() noexcept {
      return reinterpret_cast<char*>(this) - kPayloadBytes - sizeof(Link) * (height() - 1);
    }
    // Level 0 is this node's first word; level L lies L words below it.
    Link* link(int level) noexcept { return &next0_ - level; }
    const Link* link(int level) const noexcept { return &next0_ - level; }

    Link next0_;
  };

  struct InsertResult {
    Node* node;     // the key's node: new, existing, or nullptr if the arena is exhausted
    bool inserted;  // true if this call linked the node
  };

  // Allocates the head node from `arena`; throws ArenaExhausted if it cannot.
  explicit SkipList(Arena* arena, Compare compare = {})
      : arena_(arena),
        compare_(compare),
        refs_(arena->RangeBase()),
        head_(NewNode({}, kMaxHeight, 0)) {
    if (head_ == nullptr) throw ArenaExhausted("arenakv::SkipList: no room for the head node");
  }
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Forgets every node at once, right after the arena was Reset (or
  // Released): no thread may use the list or any of its nodes meanwhile. A
  // new head is allocated; false if the arena has no room for it, and then
  // the list must not be used again until a Clear succeeds.
  bool Clear() noexcept {
    refs_ = CompactRefs(arena_->RangeBase());  // a Release moves the range
    head_ = NewNode({}, kMaxHeight, 0);
    max_height_.store(1, std::memory_order_relaxed);
    return head_ != nullptr;
  }

  // Returns the node of `key`, linking a new one if the key is absent. A new
  // node gets tail_size bytes after its key; init(payload, tail) runs before
  // the node becomes visible. init may also run for a node that then loses a
  // race to a concurrent insert of the same key and is discarded (inserted ==
  // false then). Thread-safe.
  template <typename Init>
  InsertResult Insert(std::string_view key, std::size_t tail_size, Init&& init);
  template <typename Init>
  InsertResult Insert(std::string_view key, Init&& init) {
    return Insert(key, 0, [&init](Payload& payload, char*) { init(payload); });
  }
  InsertResult Insert(std::string_view key) {
    return Insert(key, 0, [](Payload&, char*) {});
  }

  // The node of `key`, or nullptr. Thread-safe, lock-free.
  Node* Find(std::string_view key) const noexcept {
    Node* x = FindGreaterOrEqual(key);
    return x != nullptr && Equal(x->key(), key) ? x : nullptr;
  }

  // Iterates over the list as it is while it moves; nodes inserted concurrently
  // may or may not be seen. Not thread-safe itself; any number may exist.
  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list) {}
    bool Valid() const noexcept { return node_ != nullptr; }
    Node* node() const noexcept { return node_; }
    std::string_view key() const noexcept { return node_->key(); }
    void Next() noexcept { node_ = list_->LoadNext(node_, 0); }
    void Prev() noexcept { node_ = list_->FindLessThan(node_->key()); }
    void Seek(std::string_view target) noexcept { node_ = list_->FindGreaterOrEqual(target); }
    void SeekForPrev(std::string_view target) noexcept { node_ = list_->FindLessOrEqual(target); }
    void SeekToFirst() noexcept { node_ = list_->LoadNext(list_->head_, 0); }
    void SeekToLast() noexcept { node_ = list_->FindLast(); }

   private:
    const SkipList* list_;
    Node* node_ = nullptr;
  };
  Iterator NewIterator() const { return Iterator(this); }

  // Arena bytes a node takes (for memory budgeting).
  static constexpr std::size_t NodeBytes(std::size_t key_size, int height,
                                         std::size_t tail_size = 0) {
    std::size_t varint = 1;
    for (std::size_t v = key_size; v >= 0x80; v >>= 7) ++varint;
    return kPayloadBytes + static_cast<std::size_t>(height) * sizeof(Link) + 1 + varint + key_size +
           tail_size;
  }

  // The references the links use; payloads may use them too (e.g. to name
  // other chunks of the same arena in 32 bits).
  const CompactRefs& refs() const noexcept { return refs_; }

 private:
  // The payload at the chunk's start, padded so the links after it are aligned.
  static constexpr std::size_t kPayloadBytes =
      std::is_empty_v<Payload> ? 0
                               : (sizeof(Payload) + sizeof(Link) - 1) / sizeof(Link) * sizeof(Link);

  bool Equal(std::string_view a, std::string_view b) const { return compare_(a, b) == 0; }
  bool Less(std::string_view a, std::string_view b) const { return compare_(a, b) < 0; }

  // Acquire: a reader reaching a node sees it as it was published.
  Node* LoadNext(const Node* x, int level) const noexcept {
    return refs_.Get<Node>(x->link(level)->load(std::memory_order_acquire));
  }
  // Relaxed: only for a node not yet reachable by other threads.
  void InitNext(Node* x, int level, Node* next) const noexcept {
    x->link(level)->store(refs_.ToRef(next), std::memory_order_relaxed);
  }
  // Release: publishes `node` (and everything written to it before) at `level`.
  bool CasNext(Node* x, int level, Node* expected, Node* node) const noexcept {
    std::uint32_t want = refs_.ToRef(expected);
    return x->link(level)->compare_exchange_strong(
        want, refs_.ToRef(node), std::memory_order_release, std::memory_order_relaxed);
  }

  // A node with its key copied, links null, payload value-initialized; nullptr
  // if the arena is full or the chunk lies beyond the references' span.
  Node* NewNode(std::string_view key, int height, std::size_t tail_size) {
    const std::size_t bytes = NodeBytes(key.size(), height, tail_size);
    char* mem = static_cast<char*>(arena_->TryAlloc(bytes));
    if (mem == nullptr) return nullptr;
    const char* last_word = mem + (bytes - 1) / 4 * 4;
    if (!refs_.InSpan(last_word)) {
      arena_->Free(mem);
      return nullptr;
    }
    if constexpr (!std::is_empty_v<Payload>) new (mem) Payload{};
    auto* links = reinterpret_cast<Link*>(mem + kPayloadBytes);
    for (int i = 0; i < height; ++i) new (links + i) Link(0);
    Node* node = reinterpret_cast<Node*>(links + height - 1);
    char* p = reinterpret_cast<char*>(node) + Node::kHeightOffset;
    *p++ = static_cast<char>(height);
    for (std::size_t v = key.size();; v >>= 7) {
      *p++ = static_cast<char>(v < 0x80 ? v : (v & 0x7f) | 0x80);
      if (v < 0x80) break;
    }
    if (!key.empty()) std::memcpy(p, key.data(), key.size());
    return node;
  }

  static int RandomHeight() noexcept;

  // Starting at `before` (whose key is < key, or the head), walks `level` to
  // the last node before `key`; returns it and its successor. `known_ge` is a
  // node already known to be >= key (the successor found one level up): when
  // the walk reaches it, it stops without comparing keys again (LevelDB's
  // trick; a search descends onto the same node at several levels).
  void FindSplice(std::string_view key, Node* before, int level, Node** prev, Node** next,
                  const Node* known_ge = nullptr) const {
    Node* x = before;
    for (;;) {
      Node* n = LoadNext(x, level);
      if (n == nullptr || n == known_ge || !Less(n->key(), key)) {
        *prev = x;
        *next = n;
        return;
      }
      x = n;
    }
  }

  // Descends all levels; returns the last node < key (or the head) and sets
  // *next to its successor at level 0 (the first node >= key, or nullptr).
  Node* Descend(std::string_view key, Node** next) const noexcept {
    Node* x = head_;
    *next = nullptr;
    for (int level = max_height_.load(std::memory_order_relaxed) - 1; level >= 0; --level) {
      FindSplice(key, x, level, &x, next, *next);
    }
    return x;
  }

  Node* FindGreaterOrEqual(std::string_view key) const noexcept {
    Node* next;
    Descend(key, &next);
    return next;
  }

  // Last node with key < `key`, or nullptr.
  Node* FindLessThan(std::string_view key) const noexcept {
    Node* next;
    Node* x = Descend(key, &next);
    return x == head_ ? nullptr : x;
  }

  // Last node with key <= `key`, or nullptr.
  Node* FindLessOrEqual(std::string_view key) const noexcept {
    Node* ge = FindGreaterOrEqual(key);
    if (ge != nullptr && Equal(ge->key(), key)) return ge;
    return FindLessThan(key);
  }

  Node* FindLast() const noexcept {
    Node* x = head_;
    for (int level = max_height_.load(std::memory_order_relaxed) - 1; level >= 0; --level) {
      for (Node* n = LoadNext(x, level); n != nullptr; n = LoadNext(x, level)) x = n;
    }
    return x == head_ ? nullptr : x;
  }

  Arena* const arena_;
  const Compare compare_;
  CompactRefs refs_;                // from the arena's range base (set again by Clear)
  Node* head_;                      // height kMaxHeight, empty key, never compared
  std::atomic<int> max_height_{1};  // highest level any node is linked at (or about to be)
};

template <typename Payload, typename Compare>
int SkipList<Payload, Compare>::RandomHeight() noexcept {
  // xorshift64*, one state per thread, each thread seeded differently.
  static std::atomic<std::uint64_t> seeds{0x9E3779B97F4A7C15ULL};
  thread_local std::uint64_t state =
      seeds.fetch_add(0x9E3779B97F4A7C15ULL, std::memory_order_relaxed) | 1;
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  std::uint64_t bits = state * 0x2545F4914F6CDD1DULL;
  int height = 1;
  while (height < kMaxHeight && (bits & 3) == 0) {  // p = 1/4 per extra level
    ++height;
    bits >>= 2;
  }
  return height;
}

template <typename Payload, typename Compare>
template <typename Init>
typename SkipList<Payload, Compare>::InsertResult SkipList<Payload, Compare>::Insert(
    std::string_view key, std::size_t tail_size, Init&& init) {
  if (key.size() > UINT32_MAX) return {nullptr, false};
  // Step 1: the splice at every level up to the current height.
  Node* prev[kMaxHeight];
  Node* next[kMaxHeight];
  int list_height = max_height_.load(std::memory_order_relaxed);
  Node* x = head_;
  const Node* known_ge = nullptr;
  for (int level = list_height - 1; level >= 0; --level) {
    FindSplice(key, x, level, &prev[level], &next[level], known_ge);
    x = prev[level];
    known_ge = next[level];
  }
  if (next[0] != nullptr && Equal(next[0]->key(), key)) return {next[0], false};

  // Step 2: the node, complete before anyone can see it.
  const int height = RandomHeight();
  Node* node = NewNode(key, height, tail_size);
  if (node == nullptr) return {nullptr, false};
  init(node->payload(), node->tail());
  for (int seen = list_height; height > seen && !max_height_.compare_exchange_weak(
                                                    seen, height, std::memory_order_relaxed);) {
  }
  // Above the searched height: start from the head. If another thread has
  // linked nodes there meanwhile, the CAS below fails and re-searches.
  for (int level = list_height; level < height; ++level) {
    prev[level] = head_;
    next[level] = nullptr;
  }

  // Steps 3 and 4: link bottom-up.
  for (int level = 0; level < height; ++level) {
    for (;;) {
      InitNext(node, level, next[level]);
      if (CasNext(prev[level], level, next[level], node)) break;
      FindSplice(key, prev[level], level, &prev[level], &next[level]);
      if (level == 0 && next[0] != nullptr && Equal(next[0]->key(), key)) {
        arena_->Free(node->chunk());  // never published
        return {next[0], false};
      }
    }
  }
  return {node, true};
}

}  // namespace arenakv

#endif  // ARENAKV_SKIPLIST_SKIPLIST_H_
