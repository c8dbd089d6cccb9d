#include "mvcc/memtable.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace arenakv {

namespace {

// A stripe per thread, picked once; threads spread over the stripes.
int ThisThreadStripe(int stripes) {
  static std::atomic<int> next{0};
  thread_local const int stripe = next.fetch_add(1, std::memory_order_relaxed);
  return stripe % stripes;
}

}  // namespace

MemTableRef MemTable::Create(std::size_t write_buffer_size, std::size_t capacity) {
  return MemTableRef(new MemTable(write_buffer_size, capacity));
}

MemTable::MemTable(std::size_t write_buffer_size, std::size_t capacity)
    : arena_(ArenaOptions{.capacity = capacity}),
      index_(&arena_),
      write_buffer_size_(write_buffer_size) {}

MemTable::~MemTable() = default;  // ~Arena releases every pool at once

Status MemTable::Add(SequenceNumber sequence, EntryKind kind, std::string_view key,
                     std::string_view value) {
  if (immutable()) return Status::InvalidArgument("Add to an immutable memtable");
  if (sequence > kMaxSequenceNumber) return Status::InvalidArgument("sequence number too large");
  if (value.size() > UINT32_MAX || key.size() > UINT32_MAX) {
    return Status::InvalidArgument("key or value larger than 4 GiB");
  }
  // Reserve: the record first, so running out of arena leaves nothing linked.
  // The record object itself (sizeof 24) must fit even for values under 4 bytes.
  void* mem =
      arena_.TryAlloc(std::max(sizeof(VersionRecord), VersionRecord::kHeaderSize + value.size()));
  if (mem == nullptr) return Status::MemoryLimit("memtable arena is full");
  auto* record =
      new (mem) VersionRecord{.older = nullptr,
                              .sequence_and_kind = sequence << 8 | static_cast<std::uint8_t>(kind),
                              .value_size = static_cast<std::uint32_t>(value.size())};
  if (!value.empty())
    std::memcpy(static_cast<char*>(mem) + VersionRecord::kHeaderSize, value.data(), value.size());

  // Apply: a new key's node is published with its chain already in place.
  const Index::InsertResult result =
      index_.Insert(key, [record](std::atomic<VersionRecord*>& head) {
        record->older.store(nullptr, std::memory_order_relaxed);
        head.store(record, std::memory_order_relaxed);
      });
  if (result.node == nullptr) {
    arena_.Free(record);  // never published
    return Status::MemoryLimit("memtable arena is full");
  }
  if (!result.inserted) LinkVersion(&result.node->payload(), record);
  entries_[ThisThreadStripe(kStripes)].count.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

// Inserts `record` into a newest-first chain. Racing writers of the same key
// each CAS the link they found; a failed CAS re-reads it and walks on, so the
// chain stays sorted by sequence whatever order the writers arrive in.
void MemTable::LinkVersion(std::atomic<VersionRecord*>* head, VersionRecord* record) {
  const SequenceNumber sequence = record->sequence();
  std::atomic<VersionRecord*>* link = head;
  VersionRecord* next = link->load(std::memory_order_acquire);
  for (;;) {
    while (next != nullptr && next->sequence() > sequence) {
      link = &next->older;
      next = link->load(std::memory_order_acquire);
    }
    record->older.store(next, std::memory_order_relaxed);
    if (link->compare_exchange_weak(next, record, std::memory_order_release,
                                    std::memory_order_acquire)) {
      return;
    }
  }
}

const VersionRecord* MemTable::Visible(const Index::Node* node, SequenceNumber snapshot) {
  const VersionRecord* r = node->payload().load(std::memory_order_acquire);
  while (r != nullptr && r->sequence() > snapshot) r = r->older.load(std::memory_order_acquire);
  return r;
}

MemTable::LookupResult MemTable::Get(std::string_view key, SequenceNumber snapshot,
                                     std::string* value) const {
  const Index::Node* node = index_.Find(key);
  if (node == nullptr) return LookupResult::kNotPresent;
  const VersionRecord* r = Visible(node, snapshot);
  if (r == nullptr) return LookupResult::kNotPresent;
  if (r->kind() == EntryKind::kDelete) return LookupResult::kDeleted;
  value->assign(r->value());
  return LookupResult::kFound;
}

std::uint64_t MemTable::num_entries() const {
  std::uint64_t total = 0;
  for (const Stripe& s : entries_) total += s.count.load(std::memory_order_relaxed);
  return total;
}

// --- EntryIterator ---

MemTable::EntryIterator::EntryIterator(MemTableRef table)
    : table_(std::move(table)), it_(table_->index_.NewIterator()) {}

void MemTable::EntryIterator::SettleOnNode() {
  record_ = nullptr;
  for (; it_.Valid(); it_.Next()) {
    record_ = it_.node()->payload().load(std::memory_order_acquire);
    if (record_ != nullptr) return;
  }
}

void MemTable::EntryIterator::SeekToFirst() {
  it_.SeekToFirst();
  SettleOnNode();
}

void MemTable::EntryIterator::Seek(std::string_view key) {
  it_.Seek(key);
  SettleOnNode();
}

void MemTable::EntryIterator::Next() {
  record_ = record_->older.load(std::memory_order_acquire);
  if (record_ != nullptr) return;
  it_.Next();
  SettleOnNode();
}

// --- SnapshotIterator ---

MemTable::SnapshotIterator::SnapshotIterator(MemTableRef table, SequenceNumber snapshot)
    : table_(std::move(table)), snapshot_(snapshot), it_(table_->index_.NewIterator()) {}

void MemTable::SnapshotIterator::SkipInvisible(Step step) {
  for (record_ = nullptr; it_.Valid(); (it_.*step)()) {
    const VersionRecord* r = Visible(it_.node(), snapshot_);
    if (r != nullptr && r->kind() == EntryKind::kPut) {
      record_ = r;
      return;
    }
  }
}

void MemTable::SnapshotIterator::SeekToFirst() {
  it_.SeekToFirst();
  SkipInvisible(&Index::Iterator::Next);
}

void MemTable::SnapshotIterator::SeekToLast() {
  it_.SeekToLast();
  SkipInvisible(&Index::Iterator::Prev);
}

void MemTable::SnapshotIterator::Seek(std::string_view target) {
  it_.Seek(target);
  SkipInvisible(&Index::Iterator::Next);
}

void MemTable::SnapshotIterator::SeekForPrev(std::string_view target) {
  it_.SeekForPrev(target);
  SkipInvisible(&Index::Iterator::Prev);
}

void MemTable::SnapshotIterator::Next() {
  it_.Next();
  SkipInvisible(&Index::Iterator::Next);
}

void MemTable::SnapshotIterator::Prev() {
  it_.Prev();
  SkipInvisible(&Index::Iterator::Prev);
}

}  // namespace arenakv
