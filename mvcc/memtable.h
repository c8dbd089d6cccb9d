// MemTable: the engine's multi-version write buffer, allocated whole from one
// arena and released whole.
//
// Layout
//   One skiplist node per user key; its payload is the head of a newest-first
//   chain of VersionRecords {older, sequence|kind, value_size, value bytes},
//   each one arena chunk:
//
//     node "apple" --> [seq 9, put "red"] --> [seq 4, delete] --> [seq 2, put "green"]
//
//   (RocksDB instead puts key+sequence in every skiplist node; one node per key
//   keeps the index smaller and a point read is one search plus a short walk.)
//
// Concurrency
//   - Add may be called from any number of threads at once. Reserve, then
//     apply: the record is allocated first, then the node (if the key is new);
//     if either allocation fails, Add returns MemoryLimit and nothing is linked.
//   - A record is published by a release CAS into the chain (the node's head or
//     a record's `older` link), keeping the chain sorted by sequence even when
//     writers of the same key race; readers load links with acquire.
//   - Get and iterators never block. They see every record whose Add returned
//     before they started. Records being added concurrently may or may not be
//     seen; the engine only reads at sequences it has published after all their
//     Adds returned, which makes reads at a snapshot exact.
//
// Lifetime
//   A MemTable is owned through MemTableRef (std::shared_ptr): the engine's
//   current view, each iterator, each reader in a Get hold one. MarkImmutable()
//   ends writes. When the last reference goes, the destructor releases the
//   arena whole: no record or node is ever freed one by one.
#ifndef ARENAKV_MVCC_MEMTABLE_H_
#define ARENAKV_MVCC_MEMTABLE_H_

#include <arenakv/alloc/arena.h>
#include <arenakv/mvcc/status.h>
#include <arenakv/skiplist/skiplist.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace arenakv {

using SequenceNumber = std::uint64_t;
constexpr SequenceNumber kMaxSequenceNumber = (SequenceNumber{1} << 56) - 1;

enum class EntryKind : std::uint8_t { kDelete = 0, kPut = 1 };

// One version of a key. Immutable once published, except `older`, which only
// ever gains a record inserted between this one and the next older one. The
// value bytes follow value_size directly (offset 20, not sizeof = 24), so a
// 100-byte value makes a 120-byte record: one 120-byte slab, no waste.
struct VersionRecord {
  std::atomic<VersionRecord*> older;  // next lower sequence, or nullptr
  std::uint64_t sequence_and_kind;    // sequence << 8 | kind
  std::uint32_t value_size;

  static constexpr std::size_t kHeaderSize = 20;  // offsetof(value_size) + 4

  SequenceNumber sequence() const { return sequence_and_kind >> 8; }
  EntryKind kind() const { return static_cast<EntryKind>(sequence_and_kind & 0xff); }
  const char* value_data() const { return reinterpret_cast<const char*>(this) + kHeaderSize; }
  std::string_view value() const { return {value_data(), value_size}; }
};
static_assert(offsetof(VersionRecord, value_size) + sizeof(std::uint32_t) ==
              VersionRecord::kHeaderSize);

class MemTable;
using MemTableRef = std::shared_ptr<MemTable>;

class MemTable {
 public:
  using Index = SkipList<std::atomic<VersionRecord*>>;

  // write_buffer_size: ShouldFlush() turns true once the arena has committed
  // this much. capacity: the arena's hard limit; Add returns MemoryLimit there.
  static MemTableRef Create(std::size_t write_buffer_size, std::size_t capacity);
  ~MemTable();  // releases the arena whole
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Adds a version of `key`. Thread-safe. MemoryLimit if the arena is full
  // (nothing linked), InvalidArgument after MarkImmutable or for a sequence
  // above kMaxSequenceNumber.
  Status Add(SequenceNumber sequence, EntryKind kind, std::string_view key, std::string_view value);

  enum class LookupResult { kFound, kDeleted, kNotPresent };
  // The newest version of `key` with sequence <= snapshot. kFound fills *value.
  LookupResult Get(std::string_view key, SequenceNumber snapshot, std::string* value) const;

  void MarkImmutable() { immutable_.store(true, std::memory_order_release); }
  bool immutable() const { return immutable_.load(std::memory_order_acquire); }

  // Committed arena bytes (what this memtable costs in memory); O(1).
  std::size_t ApproximateMemoryUsage() const { return arena_.ReservedBytes(); }
  bool ShouldFlush() const { return ApproximateMemoryUsage() >= write_buffer_size_; }
  // Versions added so far (exact once concurrent Adds have returned).
  std::uint64_t num_entries() const;
  ArenaStats arena_stats() const { return arena_.Stats(); }

  // Every version in (key ascending, sequence descending) order: what a flush
  // writes. Holds a reference to the memtable.
  class EntryIterator {
   public:
    explicit EntryIterator(MemTableRef table);
    bool Valid() const { return record_ != nullptr; }
    void SeekToFirst();
    void Seek(std::string_view key);  // first version of the first key >= key
    void Next();
    std::string_view key() const { return it_.key(); }
    SequenceNumber sequence() const { return record_->sequence(); }
    EntryKind kind() const { return record_->kind(); }
    std::string_view value() const { return record_->value(); }

   private:
    void SettleOnNode();  // record_ = newest record of it_'s node, skipping empty nodes

    MemTableRef table_;
    Index::Iterator it_;
    const VersionRecord* record_ = nullptr;
  };

  // The user's view at `snapshot`: each key once, with its newest version
  // <= snapshot, tombstoned keys skipped. Holds a reference to the memtable.
  class SnapshotIterator {
   public:
    SnapshotIterator(MemTableRef table, SequenceNumber snapshot);
    bool Valid() const { return record_ != nullptr; }
    void SeekToFirst();
    void SeekToLast();
    void Seek(std::string_view target);         // first key >= target
    void SeekForPrev(std::string_view target);  // last key <= target
    void Next();
    void Prev();
    std::string_view key() const { return it_.key(); }
    std::string_view value() const { return record_->value(); }
    SequenceNumber sequence() const { return record_->sequence(); }

   private:
    // Moves it_ with `step` (Next or Prev) until it rests on a key whose newest
    // version <= snapshot is a put, or runs off the end.
    using Step = void (Index::Iterator::*)() noexcept;
    void SkipInvisible(Step step);

    MemTableRef table_;
    SequenceNumber snapshot_;
    Index::Iterator it_;
    const VersionRecord* record_ = nullptr;
  };

 private:
  MemTable(std::size_t write_buffer_size, std::size_t capacity);
  static void LinkVersion(std::atomic<VersionRecord*>* head, VersionRecord* record);
  static const VersionRecord* Visible(const Index::Node* node, SequenceNumber snapshot);

  mutable Arena arena_;  // declared first: destroyed last, after the index
  Index index_;
  const std::size_t write_buffer_size_;
  std::atomic<bool> immutable_{false};

  // Entry count, striped so concurrent writers do not share one cache line.
  struct alignas(64) Stripe {
    std::atomic<std::uint64_t> count{0};
  };
  static constexpr int kStripes = 16;
  Stripe entries_[kStripes];
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_MEMTABLE_H_
