// SPDX-License-Identifier: Apache-2.0
#include "mvcc/memtable/memtable.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <span>

#include "mvcc/memtable/memtable_recycler.h"
#include "mvcc/util/coding.h"

namespace arenakv {

namespace {

// A stripe per thread, picked once; threads spread over the stripes.
int ThisThreadStripe(int stripes) {
  static std::atomic<int> next{0};
  thread_local const int stripe = next.fetch_add(1, std::memory_order_relaxed);
  return stripe % stripes;
}

// Bytes of the link that starts a version chunk.
constexpr std::size_t kLinkSize = sizeof(std::atomic<std::uint32_t>);

// A version body: varint (sequence << 1 | kind), varint value size, value.
std::size_t BodySize(SequenceNumber sequence, std::size_t value_size) {
  return VarintLength(sequence << 1 | 1) + VarintLength(value_size) + value_size;
}

void EncodeBody(char* dst, SequenceNumber sequence, EntryKind kind, std::string_view value) {
  dst += EncodeVarint64(dst, sequence << 1 | static_cast<std::uint8_t>(kind));
  dst += EncodeVarint64(dst, value.size());
  if (!value.empty()) std::memcpy(dst, value.data(), value.size());
}

// Decodes a varint this process wrote into the arena (no bounds to check).
std::uint64_t DecodeVarint(const char** p) {
  std::uint64_t value = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(*(*p)++);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) return value;
  }
}

}  // namespace

MemTableRef MemTable::Create(std::size_t write_buffer_size, std::size_t capacity) {
  return MemTableRef(new MemTable(write_buffer_size, capacity, nullptr, /*huge_pages=*/true));
}

MemTableRef MemTable::Create(std::size_t write_buffer_size, std::size_t capacity,
                             std::function<void(const MemTable*)> on_release) {
  return Create(write_buffer_size, capacity, std::move(on_release), nullptr);
}

MemTableRef MemTable::Create(std::size_t write_buffer_size, std::size_t capacity,
                             std::function<void(const MemTable*)> on_release,
                             MemoryBudget* budget) {
  return Create(write_buffer_size, capacity, std::move(on_release), budget, nullptr);
}

MemTableRef MemTable::Create(std::size_t write_buffer_size, std::size_t capacity,
                             std::function<void(const MemTable*)> on_release, MemoryBudget* budget,
                             std::shared_ptr<MemTableRecycler> recycler, bool huge_pages) {
  MemTable* table = nullptr;
  if (recycler != nullptr && recycler->write_buffer_size() == write_buffer_size &&
      recycler->capacity() == capacity) {
    table = recycler->Take();
  }
  if (table == nullptr) table = new MemTable(write_buffer_size, capacity, budget, huge_pages);
  return MemTableRef(
      table, [on_release = std::move(on_release), recycler = std::move(recycler)](MemTable* t) {
        if (on_release) on_release(t);
        if (recycler != nullptr) {
          recycler->Give(t);
        } else {
          delete t;
        }
      });
}

bool MemTable::Recycle(std::size_t keep_committed) noexcept {
  if (account_) (void)account_->SetReserve(0);
  arena_->Reset(keep_committed);
  if (!index_.Clear()) return false;
  for (Stripe& stripe : entries_) stripe.count.store(0, std::memory_order_relaxed);
  immutable_.store(false, std::memory_order_relaxed);
  return true;
}

MemTableRef MemTable::Create(ArenaLease arena, std::size_t capacity) {
  return MemTableRef(new MemTable(std::move(arena), capacity));
}

MemTable::MemTable(std::size_t write_buffer_size, std::size_t capacity, MemoryBudget* budget,
                   bool huge_pages)
    : account_(budget != nullptr ? std::make_unique<BudgetAccount>(budget) : nullptr),
      arena_(OwnArena(ArenaOptions{.capacity = capacity,
                                   .charge = account_.get(),
                                   .huge_pages = huge_pages && budget == nullptr})),
      index_(arena_.get()),
      write_buffer_size_(write_buffer_size),
      capacity_(capacity) {}

MemTable::MemTable(ArenaLease arena, std::size_t capacity)
    : arena_(std::move(arena)),
      index_(arena_.get()),
      write_buffer_size_(capacity),
      capacity_(capacity) {}

bool MemTable::BudgetAccount::TryCharge(std::size_t bytes) noexcept {
  // The reservation first: those bytes are in the budget already.
  std::size_t reserve = reserve_.load(std::memory_order_relaxed);
  std::size_t taken = 0;
  do {
    taken = std::min(reserve, bytes);
  } while (!reserve_.compare_exchange_weak(reserve, reserve - taken, std::memory_order_relaxed));
  if (taken == bytes || budget_->TryCharge(MemoryBudget::Consumer::kMemtables, bytes - taken)) {
    return true;
  }
  reserve_.fetch_add(taken, std::memory_order_relaxed);
  return false;
}

void MemTable::BudgetAccount::Release(std::size_t bytes) noexcept {
  budget_->Release(MemoryBudget::Consumer::kMemtables, bytes);
}

bool MemTable::BudgetAccount::SetReserve(std::size_t bytes) noexcept {
  const std::size_t reserve = reserve_.load(std::memory_order_relaxed);
  if (bytes > reserve) {
    if (!budget_->TryCharge(MemoryBudget::Consumer::kMemtables, bytes - reserve)) return false;
  } else if (reserve > bytes) {
    budget_->Release(MemoryBudget::Consumer::kMemtables, reserve - bytes);
  }
  reserve_.store(bytes, std::memory_order_relaxed);
  return true;
}

void MemTable::MarkImmutable() {
  immutable_.store(true, std::memory_order_release);
  if (account_) (void)account_->SetReserve(0);
}

void MemTable::InsertPools::Add(std::size_t key_size, std::size_t value_size) {
  ++ops_;
  // A version chunk (link + body) at the least; a node of the greatest
  // height with the body in its tail at the most. A body's sequence takes 1
  // to 10 varint bytes (BodySize).
  const std::size_t value_bytes = VarintLength(value_size) + value_size;
  smallest_ = std::min(smallest_, kLinkSize + 1 + value_bytes);
  largest_ = std::max(largest_, Index::NodeBytes(key_size, Index::kMaxHeight, 10 + value_bytes));
}

std::size_t MemTable::AddBound(std::size_t bytes, std::size_t ops, bool racing) {
  // An Add's chunk is at most a node of the greatest height with the key and
  // the body in it: the key and value bytes plus `fixed` (the node's links
  // and header, a key size varint of up to 5 bytes, a body's sequence and
  // value size varints of up to 10 and 5). Its slab exceeds it by at most 7
  // bytes (up to 512) or by less than an eighth (size_classes.h), and
  // (a + b) / 8 <= a / 8 + b / 8 + 1 in integers.
  constexpr std::size_t fixed = Index::NodeBytes(0, Index::kMaxHeight, 0) + 4 + 10 + 5;
  constexpr std::size_t per_op = fixed + fixed / 8 + 1 + 7;
  const std::size_t once = bytes + bytes / 8 + ops * per_op;
  return racing ? 2 * once : once;
}

std::size_t MemTable::InsertPools::pools() const {
  if (ops_ == 0) return 0;
  // One pool per slab class between the smallest and the largest chunk (a
  // thread allocates from its own pools), plus one for a pool that fills
  // midway and leaves its tail behind; an Add allocates at most twice (a
  // node that turns out to be a duplicate, then a version chunk).
  const std::span<const std::size_t> slabs = Arena::Slabs();
  const auto first = std::lower_bound(slabs.begin(), slabs.end(), Arena::SlabSize(smallest_));
  const auto last = std::lower_bound(slabs.begin(), slabs.end(), Arena::SlabSize(largest_));
  const auto classes = static_cast<std::size_t>(last - first) + 1;
  return std::min(2 * ops_, classes + 1);
}

bool MemTable::Reserve(std::size_t bytes) {
  return account_ == nullptr || account_->SetReserve(bytes);
}

MemTable::~MemTable() = default;  // the lease releases (or recycles) the arena whole

Status MemTable::Add(SequenceNumber sequence, EntryKind kind, std::string_view key,
                     std::string_view value) {
  if (immutable()) return Status::InvalidArgument("Add to an immutable memtable");
  if (sequence > kMaxSequenceNumber) return Status::InvalidArgument("sequence number too large");
  if (value.size() > UINT32_MAX || key.size() > UINT32_MAX) {
    return Status::InvalidArgument("key or value larger than 4 GiB");
  }
  const std::size_t body_size = BodySize(sequence, value.size());
  const CompactRefs& refs = index_.refs();

  // A new key: its node carries this version in its tail, published with it.
  const Index::InsertResult result = index_.Insert(key, body_size, [&](KeyHead& head, char* tail) {
    EncodeBody(tail, sequence, kind, value);
    head.first_older.store(0, std::memory_order_relaxed);
    head.newest.store(refs.ToRef(&head.first_older), std::memory_order_relaxed);
  });
  if (result.node == nullptr) return Status::MemoryLimit("memtable arena is full");
  if (!result.inserted) {
    // An existing key: a version chunk, complete before LinkVersion publishes it.
    const std::size_t bytes = kLinkSize + body_size;
    char* mem = static_cast<char*>(arena_->TryAlloc(bytes));
    if (mem != nullptr && !refs.InSpan(mem)) {
      arena_->Free(mem);
      mem = nullptr;
    }
    if (mem == nullptr) return Status::MemoryLimit("memtable arena is full");
    new (mem) std::atomic<std::uint32_t>(0);
    EncodeBody(mem + kLinkSize, sequence, kind, value);
    LinkVersion(result.node, refs.ToRef(mem), sequence);
  }
  entries_[ThisThreadStripe(kStripes)].count.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

MemTable::Slot MemTable::Locate(const Index::Node* node, std::uint32_t ref) const {
  auto& head = const_cast<KeyHead&>(node->payload());
  if (ref == index_.refs().ToRef(&head.first_older)) return {&head.first_older, node->tail()};
  auto* link = index_.refs().Get<std::atomic<std::uint32_t>>(ref);
  return {link, reinterpret_cast<const char*>(link) + kLinkSize};
}

SequenceNumber MemTable::SequenceOf(const Index::Node* node, std::uint32_t ref) const {
  const char* p = Locate(node, ref).body;
  return DecodeVarint(&p) >> 1;
}

KeyHistoryEntry MemTable::Decode(const Index::Node* node, std::uint32_t ref) const {
  const char* p = Locate(node, ref).body;
  const std::uint64_t tag = DecodeVarint(&p);
  const std::uint64_t size = DecodeVarint(&p);
  return {.sequence = tag >> 1,
          .kind = static_cast<EntryKind>(tag & 1),
          .value = std::string_view(p, size)};
}

// Inserts version `ref` into a newest-first chain. Racing writers of the same
// key each CAS the link they found; a failed CAS re-reads it and walks on, so
// the chain stays sorted by sequence whatever order the writers arrive in.
void MemTable::LinkVersion(Index::Node* node, std::uint32_t ref, SequenceNumber sequence) {
  std::atomic<std::uint32_t>* const own_older = Locate(node, ref).older;
  std::atomic<std::uint32_t>* link = &node->payload().newest;
  std::uint32_t next = link->load(std::memory_order_acquire);
  for (;;) {
    while (next != 0 && SequenceOf(node, next) > sequence) {
      link = Locate(node, next).older;
      next = link->load(std::memory_order_acquire);
    }
    own_older->store(next, std::memory_order_relaxed);
    if (link->compare_exchange_weak(next, ref, std::memory_order_release,
                                    std::memory_order_acquire)) {
      return;
    }
  }
}

std::uint32_t MemTable::Visible(const Index::Node* node, SequenceNumber snapshot) const {
  std::uint32_t ref = Newest(node);
  while (ref != 0 && SequenceOf(node, ref) > snapshot) ref = Older(node, ref);
  return ref;
}

MemTable::LookupResult MemTable::Get(std::string_view key, SequenceNumber snapshot,
                                     std::string* value) const {
  const Index::Node* node = index_.Find(key);
  if (node == nullptr) return LookupResult::kNotPresent;
  const std::uint32_t ref = Visible(node, snapshot);
  if (ref == 0) return LookupResult::kNotPresent;
  const KeyHistoryEntry version = Decode(node, ref);
  if (version.kind == EntryKind::kDelete) return LookupResult::kDeleted;
  value->assign(version.value);
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

void MemTable::EntryIterator::Land(std::uint32_t ref) {
  ref_ = ref;
  if (ref != 0) version_ = table_->Decode(it_.node(), ref);
}

void MemTable::EntryIterator::SettleOnNewest() {
  Land(it_.Valid() ? table_->Newest(it_.node()) : 0);
}

void MemTable::EntryIterator::CollectChain() {
  chain_.clear();
  chain_node_ = it_.Valid() ? it_.node() : nullptr;
  if (!it_.Valid()) return;
  for (std::uint32_t ref = table_->Newest(it_.node()); ref != 0;
       ref = table_->Older(it_.node(), ref)) {
    chain_.push_back(ref);
  }
}

void MemTable::EntryIterator::SettleOnOldest() {
  CollectChain();
  if (chain_.empty()) return Land(0);
  chain_pos_ = chain_.size() - 1;
  Land(chain_.back());
}

void MemTable::EntryIterator::SeekToFirst() {
  it_.SeekToFirst();
  SettleOnNewest();
}

void MemTable::EntryIterator::SeekToLast() {
  it_.SeekToLast();
  SettleOnOldest();
}

void MemTable::EntryIterator::Seek(std::string_view key) {
  it_.Seek(key);
  SettleOnNewest();
}

void MemTable::EntryIterator::Seek(std::string_view key, SequenceNumber sequence) {
  it_.Seek(key);
  if (!it_.Valid() || it_.key() != key) return SettleOnNewest();
  // Same key: the first version with sequence <= `sequence`, else the next key.
  std::uint32_t ref = table_->Newest(it_.node());
  while (ref != 0 && table_->SequenceOf(it_.node(), ref) > sequence) {
    ref = table_->Older(it_.node(), ref);
  }
  if (ref != 0) return Land(ref);
  it_.Next();
  SettleOnNewest();
}

void MemTable::EntryIterator::SeekForPrev(std::string_view key, SequenceNumber sequence) {
  it_.SeekForPrev(key);
  if (!it_.Valid() || it_.key() != key) return SettleOnOldest();
  // Same key: the last (oldest) version with sequence >= `sequence`, else the
  // previous key's oldest version.
  std::uint32_t found = 0;
  for (std::uint32_t ref = table_->Newest(it_.node());
       ref != 0 && table_->SequenceOf(it_.node(), ref) >= sequence;
       ref = table_->Older(it_.node(), ref)) {
    found = ref;
  }
  if (found != 0) return Land(found);
  it_.Prev();
  SettleOnOldest();
}

void MemTable::EntryIterator::Next() {
  const std::uint32_t older = table_->Older(it_.node(), ref_);
  if (older != 0) return Land(older);
  it_.Next();
  SettleOnNewest();
}

void MemTable::EntryIterator::Prev() {
  // The next newer version of this key, if any, from the chain copy (taken
  // again when a Next or seek moved within the key since).
  if (chain_node_ != it_.node() || chain_pos_ >= chain_.size() || chain_[chain_pos_] != ref_) {
    CollectChain();
    chain_pos_ =
        static_cast<std::size_t>(std::find(chain_.begin(), chain_.end(), ref_) - chain_.begin());
  }
  if (chain_pos_ > 0 && chain_pos_ < chain_.size()) {
    --chain_pos_;
    return Land(chain_[chain_pos_]);
  }
  it_.Prev();
  SettleOnOldest();
}

// --- SnapshotIterator ---

MemTable::SnapshotIterator::SnapshotIterator(MemTableRef table, SequenceNumber snapshot)
    : table_(std::move(table)), snapshot_(snapshot), it_(table_->index_.NewIterator()) {}

void MemTable::SnapshotIterator::SkipInvisible(Step step) {
  for (valid_ = false; it_.Valid(); (it_.*step)()) {
    const std::uint32_t ref = table_->Visible(it_.node(), snapshot_);
    if (ref == 0) continue;
    version_ = table_->Decode(it_.node(), ref);
    if (version_.kind == EntryKind::kPut) {
      valid_ = true;
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
