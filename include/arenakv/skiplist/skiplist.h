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
//   | Payload | key_size u32 | height u8 | pad | next[0] ... next[height-1] | key bytes |
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

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>

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

 public:
  static constexpr int kMaxHeight = 20;

  // Aligned like the tower that follows it, whatever the payload's alignment.
  class alignas(std::atomic<void*>) Node {
   public:
    std::string_view key() const noexcept {
      return {reinterpret_cast<const char*>(tower() + height_), key_size_};
    }
    Payload& payload() noexcept { return payload_; }
    const Payload& payload() const noexcept { return payload_; }
    int height() const noexcept { return height_; }

   private:
    friend class SkipList;
    Node(std::uint32_t key_size, int height) : key_size_(key_size), height_(height) {}

    std::atomic<Node*>* tower() noexcept { return reinterpret_cast<std::atomic<Node*>*>(this + 1); }
    char* key_data() noexcept { return reinterpret_cast<char*>(tower() + height_); }
    const std::atomic<Node*>* tower() const noexcept {
      return reinterpret_cast<const std::atomic<Node*>*>(this + 1);
    }
    // Acquire: a reader reaching a node sees it as it was published.
    Node* LoadNext(int level) const noexcept {
      return tower()[level].load(std::memory_order_acquire);
    }
    // Relaxed: only for a node not yet reachable by other threads.
    void InitNext(int level, Node* next) noexcept {
      tower()[level].store(next, std::memory_order_relaxed);
    }
    // Release: publishes `node` (and everything written to it before) at `level`.
    bool CasNext(int level, Node* expected, Node* node) noexcept {
      return tower()[level].compare_exchange_strong(expected, node, std::memory_order_release,
                                                    std::memory_order_relaxed);
    }

    Payload payload_{};
    std::uint32_t key_size_;
    std::uint8_t height_;
  };
  static_assert(sizeof(Node) % alignof(std::atomic<Node*>) == 0);

  struct InsertResult {
    Node* node;     // the key's node: new, existing, or nullptr if the arena is exhausted
    bool inserted;  // true if this call linked the node
  };

  // Allocates the head node from `arena`; throws ArenaExhausted if it cannot.
  explicit SkipList(Arena* arena, Compare compare = {})
      : arena_(arena), compare_(compare), head_(NewNode({}, kMaxHeight)) {
    if (head_ == nullptr) throw ArenaExhausted("arenakv::SkipList: no room for the head node");
  }
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Returns the node of `key`, linking a new one if the key is absent. For a new
  // node, init(payload) runs before the node becomes visible; it may also run
  // for a node that then loses a race to a concurrent insert of the same key
  // and is discarded (inserted == false then). Thread-safe.
  template <typename Init>
  InsertResult Insert(std::string_view key, Init&& init);
  InsertResult Insert(std::string_view key) {
    return Insert(key, [](Payload&) {});
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
    void Next() noexcept { node_ = node_->LoadNext(0); }
    void Prev() noexcept { node_ = list_->FindLessThan(node_->key()); }
    void Seek(std::string_view target) noexcept { node_ = list_->FindGreaterOrEqual(target); }
    void SeekForPrev(std::string_view target) noexcept { node_ = list_->FindLessOrEqual(target); }
    void SeekToFirst() noexcept { node_ = list_->head_->LoadNext(0); }
    void SeekToLast() noexcept { node_ = list_->FindLast(); }

   private:
    const SkipList* list_;
    Node* node_ = nullptr;
  };
  Iterator NewIterator() const { return Iterator(this); }

  // Arena bytes a node of this key size and height takes (for memory budgeting).
  static std::size_t NodeBytes(std::size_t key_size, int height) {
    return sizeof(Node) + static_cast<std::size_t>(height) * sizeof(std::atomic<Node*>) + key_size;
  }

 private:
  bool Equal(std::string_view a, std::string_view b) const { return compare_(a, b) == 0; }
  bool Less(std::string_view a, std::string_view b) const { return compare_(a, b) < 0; }

  Node* NewNode(std::string_view key, int height) {
    void* mem = arena_->TryAlloc(NodeBytes(key.size(), height));
    if (mem == nullptr) return nullptr;
    Node* node = new (mem) Node(static_cast<std::uint32_t>(key.size()), height);
    for (int i = 0; i < height; ++i) new (node->tower() + i) std::atomic<Node*>(nullptr);
    if (!key.empty()) std::memcpy(node->key_data(), key.data(), key.size());
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
      Node* n = x->LoadNext(level);
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
      for (Node* n = x->LoadNext(level); n != nullptr; n = x->LoadNext(level)) x = n;
    }
    return x == head_ ? nullptr : x;
  }

  Arena* const arena_;
  const Compare compare_;
  Node* const head_;                // height kMaxHeight, empty key, never compared
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
    std::string_view key, Init&& init) {
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
  Node* node = NewNode(key, height);
  if (node == nullptr) return {nullptr, false};
  init(node->payload());
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
      node->InitNext(level, next[level]);
      if (prev[level]->CasNext(level, next[level], node)) break;
      FindSplice(key, prev[level], level, &prev[level], &next[level]);
      if (level == 0 && next[0] != nullptr && Equal(next[0]->key(), key)) {
        arena_->Free(node);  // never published
        return {next[0], false};
      }
    }
  }
  return {node, true};
}

}  // namespace arenakv

#endif  // ARENAKV_SKIPLIST_SKIPLIST_H_
