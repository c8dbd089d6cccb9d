// SPDX-License-Identifier: Apache-2.0
// MemTable: the engine's multi-version write buffer, allocated whole from one
// arena and released whole.
//
// Layout
//   One skiplist node per user key; its payload (KeyHead) names the newest of a
//   newest-first chain of versions {older link, sequence|kind, value}:
//
//     node "apple" --> [seq 9, put "red"] --> [seq 4, delete] --> [seq 2, put "green"]
//
//   The version that created the node lives in the node's own tail, after the
//   key; later versions of the key are one arena chunk each:
//
//     node chunk:    | KeyHead {newest, first_older} | links | key | seq|kind, size, value |
//     version chunk: | older u32 | seq|kind varint | value size varint | value |
//
//   Links are 32-bit CompactRefs into the arena (alloc/compact_refs.h), and the
//   sequence (shifted left by one, the kind in the low bit) and value size are
//   varints. A key written once therefore costs one chunk of about
//   4h + 8 + key + value + 5 bytes (h: the node's height, 1.33 on average).
//   (RocksDB instead puts key+sequence in every skiplist node; one node per key
//   keeps the index smaller and a point read is one search plus a short walk.)
//
// Concurrency
//   - Add may be called from any number of threads at once. A new key's node is
//     published with its first version in place; a version of an existing key
//     is allocated, filled, then linked. If an allocation fails, Add returns
//     MemoryLimit and nothing is linked.
//   - A version is published by a release CAS into the chain (KeyHead::newest,
//     KeyHead::first_older or a version's `older` link), keeping the chain
//     sorted by sequence even when writers of the same key race; readers load
//     links with acquire.
//   - Get and iterators never block. They see every version whose Add returned
//     before they started. Versions being added concurrently may or may not be
//     seen; the engine only reads at sequences it has published after all their
//     Adds returned, which makes reads at a snapshot exact.
//
// Memory budget
//   With a MemoryBudget, every page the arena commits is charged to it
//   (consumer kMemtables), so Add could be refused midway. The write leader
//   prevents that: before a group's WAL record it calls Reserve() with the
//   group's InsertBound(), which charges that much ahead of time; the arena's
//   commits then draw on the reservation first. The bound covers the worst
//   case (the chunks' bytes, plus one commit step in every pool the group's
//   threads may allocate from: InsertPools), so a reserved group never meets
//   a refusal; what it does not use stays reserved until the next Reserve()
//   or MarkImmutable(). Charged = committed pages + reservation.
//
// Lifetime
//   A MemTable is owned through MemTableRef (std::shared_ptr): the engine's
//   current view, each iterator, each reader in a Get hold one. MarkImmutable()
//   ends writes. When the last reference goes, the destructor releases the
//   arena whole: no version or node is ever freed one by one. A memtable on
//   a leased arena (ArenaCache, arena_cache.h) instead resets it and hands
//   it back to its cache, pages kept warm for the next memtable.
#ifndef ARENAKV_MVCC_MEMTABLE_MEMTABLE_H_
#define ARENAKV_MVCC_MEMTABLE_MEMTABLE_H_

#include <arenakv/alloc/arena.h>
#include <arenakv/alloc/memory_charge.h>
#include <arenakv/mvcc/memory_budget.h>
#include <arenakv/mvcc/status.h>
#include <arenakv/skiplist/skiplist.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mvcc/memtable/arena_cache.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

// One version of a key, decoded. `value` points into the memtable's arena and
// stays valid while the memtable is referenced.
struct KeyHistoryEntry {
  SequenceNumber sequence = 0;
  EntryKind kind = EntryKind::kPut;
  std::string_view value;
};

// The payload of each key's skiplist node: links (CompactRefs) to the newest
// version, and the `older` link of the version stored in the node's tail.
struct KeyHead {
  std::atomic<std::uint32_t> newest{0};
  std::atomic<std::uint32_t> first_older{0};
};

class MemTable;
class MemTableRecycler;
using MemTableRef = std::shared_ptr<MemTable>;

class MemTable {
 public:
  using Index = SkipList<KeyHead>;

  // write_buffer_size: ShouldFlush() turns true once the arena has committed
  // this much. capacity: the arena's hard limit; Add returns MemoryLimit there.
  // Links reach 16 GiB of the arena, so capacity must stay below that (Add
  // returns MemoryLimit beyond it).
  static MemTableRef Create(std::size_t write_buffer_size, std::size_t capacity);
  // As above; `on_release` runs when the last reference goes, just before the
  // arena is released (the engine counts live and released arenas with it).
  static MemTableRef Create(std::size_t write_buffer_size, std::size_t capacity,
                            std::function<void(const MemTable*)> on_release);
  // As above, charging the arena's pages to `budget` (may be null; it must
  // outlive the memtable). A budgeted arena does not use huge pages, which
  // keeps InsertBound() small.
  static MemTableRef Create(std::size_t write_buffer_size, std::size_t capacity,
                            std::function<void(const MemTable*)> on_release, MemoryBudget* budget);
  // As above; when the last reference goes (after on_release), the memtable
  // is given to `recycler` instead of destroyed, and an idle memtable the
  // recycler holds is used instead of a new one if it has this
  // write_buffer_size and capacity (memtable_recycler.h). The budget must
  // be the one every memtable of the recycler charges.
  // huge_pages: whether the arena asks for transparent huge pages (never
  // under a budget): fewer TLB misses on reads, but where the kernel
  // compacts memory at fault time (THP defrag "madvise"), an insert that
  // faults in a huge page can stall for milliseconds. The engine passes
  // Options::memtable_huge_pages (false by default); memtables made without
  // this argument (benches, tests) keep asking for them. A recycler serves
  // one setting: it matches only write_buffer_size and capacity.
  static MemTableRef Create(std::size_t write_buffer_size, std::size_t capacity,
                            std::function<void(const MemTable*)> on_release, MemoryBudget* budget,
                            std::shared_ptr<MemTableRecycler> recycler, bool huge_pages = true);
  // A memtable on a leased arena (an ArenaCache's, recycled when the
  // memtable goes) of hard limit `capacity`, charged to whatever account the
  // arena was made with. write_buffer_size is the capacity; Reserve() is a no-op.
  static MemTableRef Create(ArenaLease arena, std::size_t capacity);
  ~MemTable();  // releases the arena whole (or resets it and hands it back)
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Adds a version of `key`. Thread-safe. MemoryLimit if the arena is full
  // (nothing linked), InvalidArgument after MarkImmutable, for a sequence
  // above kMaxSequenceNumber, or for a key or value of 4 GiB or more.
  Status Add(SequenceNumber sequence, EntryKind kind, std::string_view key, std::string_view value);

  enum class LookupResult { kFound, kDeleted, kNotPresent };
  // The newest version of `key` with sequence <= snapshot. kFound fills *value.
  LookupResult Get(std::string_view key, SequenceNumber snapshot, std::string* value) const;

  // Ends writes, and gives back the unused reservation.
  void MarkImmutable();

  // Forgets every entry at once and makes the memtable new (empty,
  // writable), keeping up to keep_committed bytes of its arena's pages
  // (Arena::Reset). Only with no other reference and nothing running on it.
  // False if the arena has no room for a new index head; the memtable must
  // then be destroyed.
  bool Recycle(std::size_t keep_committed) noexcept;

  // The pools (one per slab class and thread) one thread may allocate from
  // while it adds operations of these key and value sizes: Add() each, then
  // pools(). A group's pools are the sum over its threads.
  class InsertPools {
   public:
    void Add(std::size_t key_size, std::size_t value_size);
    std::size_t pools() const;

   private:
    std::size_t ops_ = 0;
    std::size_t smallest_ = SIZE_MAX;  // bytes of the smallest chunk an Add may take
    std::size_t largest_ = 0;          // and of the largest
  };
  // The most arena bytes (chunks, slab rounding included) that `ops` Adds may
  // take whose keys and values total at most `bytes`. An Add allocates one
  // chunk: a node, or a version chunk when its key is linked already; only
  // when another thread adds the same key at the same time may it allocate a
  // node, find the key linked and free the node again (racing: twice as much).
  static std::size_t AddBound(std::size_t bytes, std::size_t ops, bool racing);
  // The most the arena may commit while operations needing `bytes`
  // (DBImpl::ReserveNeed: at least their chunks' slab sizes) are added from
  // `pools` pools (InsertPools): each pool may open one commit step beyond
  // what its chunks use.
  std::size_t InsertBound(std::size_t bytes, std::size_t pools) const {
    return bytes + pools * arena_->CommitAhead();
  }
  // With a budget: sets the reservation to `bytes`, charging what is missing
  // (false, and the reservation unchanged, if the budget refuses) or giving
  // back the excess. Without one: true. Must not run concurrently with Add.
  bool Reserve(std::size_t bytes);
  // The reservation not yet used by the arena's commits.
  std::size_t reserved() const { return account_ ? account_->reserve() : 0; }
  bool immutable() const { return immutable_.load(std::memory_order_acquire); }

  // Committed arena bytes its entries use (what it costs in memory; pages a
  // recycled arena kept but no pool uses yet are not counted); O(1).
  std::size_t ApproximateMemoryUsage() const {
    const std::size_t reserved = arena_->ReservedBytes();
    const std::size_t idle = arena_->IdleBytes();  // a reclaim may lower both at once
    return reserved > idle ? reserved - idle : 0;
  }
  // Every committed byte of the arena, kept pages included.
  std::size_t arena_reserved_bytes() const { return arena_->ReservedBytes(); }
  std::size_t write_buffer_size() const { return write_buffer_size_; }
  bool ShouldFlush() const { return ApproximateMemoryUsage() >= write_buffer_size_; }
  // The arena's hard limit, as created; O(1), unlike arena_stats().
  std::size_t capacity() const { return capacity_; }
  // Versions added so far (exact once concurrent Adds have returned).
  std::uint64_t num_entries() const;
  ArenaStats arena_stats() const { return arena_->Stats(); }

  // Every version in (key ascending, sequence descending) order, i.e. internal
  // key order: what a flush writes and what the engine's merged iterators
  // read. Holds a reference to the memtable.
  class EntryIterator {
   public:
    explicit EntryIterator(MemTableRef table);
    bool Valid() const { return ref_ != 0; }
    void SeekToFirst();
    void SeekToLast();
    void Seek(std::string_view key);  // first version of the first key >= key
    // First entry at or after (key, sequence) in internal key order.
    void Seek(std::string_view key, SequenceNumber sequence);
    // Last entry at or before (key, sequence) in internal key order.
    void SeekForPrev(std::string_view key, SequenceNumber sequence);
    void Next();
    // O(1) within a key once the reverse walk has collected the key's
    // versions (O(versions) when it enters the key, or after a Next or seek
    // within it); O(log n) to the previous key.
    void Prev();
    std::string_view key() const { return it_.key(); }
    SequenceNumber sequence() const { return version_.sequence; }
    EntryKind kind() const { return version_.kind; }
    std::string_view value() const { return version_.value; }

   private:
    void Land(std::uint32_t ref);  // ref_ = ref and decodes it (0: end)
    void SettleOnNewest();         // newest version of it_'s node, or the end
    void SettleOnOldest();         // oldest version of it_'s node, or the end
    // chain_ := it_'s node's versions, newest first (versions added later
    // are newer than any snapshot taken before, so a reverse walk may miss
    // them); chain_node_ := that node.
    void CollectChain();

    MemTableRef table_;
    Index::Iterator it_;
    std::uint32_t ref_ = 0;
    KeyHistoryEntry version_;
    // Prev's copy of the current key's version chain: Older() links only go
    // one way, and finding the newer neighbour by walking from the newest
    // version each step made a reverse walk over n versions O(n^2). Valid
    // while chain_node_ is it_'s node and chain_[chain_pos_] == ref_.
    std::vector<std::uint32_t> chain_;
    std::size_t chain_pos_ = 0;
    const void* chain_node_ = nullptr;
  };

  // The user's view at `snapshot`: each key once, with its newest version
  // <= snapshot, tombstoned keys skipped. Holds a reference to the memtable.
  class SnapshotIterator {
   public:
    SnapshotIterator(MemTableRef table, SequenceNumber snapshot);
    bool Valid() const { return valid_; }
    void SeekToFirst();
    void SeekToLast();
    void Seek(std::string_view target);         // first key >= target
    void SeekForPrev(std::string_view target);  // last key <= target
    void Next();
    void Prev();
    std::string_view key() const { return it_.key(); }
    std::string_view value() const { return version_.value; }
    SequenceNumber sequence() const { return version_.sequence; }

   private:
    // Moves it_ with `step` (Next or Prev) until it rests on a key whose newest
    // version <= snapshot is a put, or runs off the end.
    using Step = void (Index::Iterator::*)() noexcept;
    void SkipInvisible(Step step);

    MemTableRef table_;
    SequenceNumber snapshot_;
    Index::Iterator it_;
    bool valid_ = false;
    KeyHistoryEntry version_;
  };

 private:
  MemTable(std::size_t write_buffer_size, std::size_t capacity, MemoryBudget* budget,
           bool huge_pages);
  MemTable(ArenaLease arena, std::size_t capacity);

  // The arena's MemoryCharge with a budget: commits draw on the reservation
  // first, then charge the budget. TryCharge runs in concurrent Adds (a CAS
  // on reserve_); Reserve runs alone.
  class BudgetAccount final : public MemoryCharge {
   public:
    explicit BudgetAccount(MemoryBudget* budget) : budget_(budget) {}
    ~BudgetAccount() override { (void)SetReserve(0); }
    bool TryCharge(std::size_t bytes) noexcept override;
    void Release(std::size_t bytes) noexcept override;
    bool SetReserve(std::size_t bytes) noexcept;
    std::size_t reserve() const { return reserve_.load(std::memory_order_relaxed); }

   private:
    MemoryBudget* const budget_;
    std::atomic<std::size_t> reserve_{0};  // charged to the budget, not yet committed
  };

  // Where version `ref` of `node` lives: its older link and its encoded body.
  struct Slot {
    std::atomic<std::uint32_t>* older;
    const char* body;
  };
  Slot Locate(const Index::Node* node, std::uint32_t ref) const;
  std::uint32_t Newest(const Index::Node* node) const {
    return node->payload().newest.load(std::memory_order_acquire);
  }
  std::uint32_t Older(const Index::Node* node, std::uint32_t ref) const {
    return Locate(node, ref).older->load(std::memory_order_acquire);
  }
  KeyHistoryEntry Decode(const Index::Node* node, std::uint32_t ref) const;
  SequenceNumber SequenceOf(const Index::Node* node, std::uint32_t ref) const;
  void LinkVersion(Index::Node* node, std::uint32_t ref, SequenceNumber sequence);
  // The newest version of `node` with sequence <= snapshot, or 0.
  std::uint32_t Visible(const Index::Node* node, SequenceNumber snapshot) const;

  // Declared before the arena: it outlives the arena's last Release.
  std::unique_ptr<BudgetAccount> account_;  // null without a budget
  ArenaLease arena_;                        // destroyed after the index
  Index index_;
  const std::size_t write_buffer_size_;
  const std::size_t capacity_;
  std::atomic<bool> immutable_{false};

  // Entry count, striped so concurrent writers do not share one cache line.
  struct alignas(64) Stripe {
    std::atomic<std::uint64_t> count{0};
  };
  static constexpr int kStripes = 16;
  Stripe entries_[kStripes];
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_MEMTABLE_MEMTABLE_H_
