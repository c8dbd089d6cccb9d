// SPDX-License-Identifier: Apache-2.0
#include "mvcc/txn/transaction_impl.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <new>
#include <utility>

#include "mvcc/iter/db_iter.h"
#include "mvcc/iter/merging_iterator.h"
#include "mvcc/iter/sequence_filter.h"
#include "mvcc/memtable/memtable_iterator.h"
#include "mvcc/txn/transaction_iterator.h"

namespace arenakv {

namespace {

std::unique_ptr<Iterator> ErrorDBIterator(Status s) {
  return NewDBIterator(std::make_unique<ErrorIterator>(std::move(s)), 0, std::nullopt,
                       std::nullopt);
}

}  // namespace

std::unique_ptr<Transaction> DBImpl::BeginTransaction(const WriteOptions& options,
                                                      const TransactionOptions& txn_options) {
  return std::make_unique<TransactionImpl>(this, options, txn_options);
}

TransactionImpl::TransactionImpl(DBImpl* db, const WriteOptions& options,
                                 const TransactionOptions& txn_options)
    : db_(db),
      write_options_(options),
      isolation_(txn_options.isolation),
      snapshot_(db->GetSnapshot()) {}

TransactionImpl::~TransactionImpl() {
  if (snapshot_ != nullptr) Finish();
}

Status TransactionImpl::CheckActive() const {
  if (snapshot_ == nullptr) {
    return Status::InvalidArgument("the transaction has already committed or rolled back");
  }
  return Status::OK();
}

Status TransactionImpl::CheckReadOptions(const ReadOptions& options) const {
  Status s = CheckActive();
  if (s.ok() && options.snapshot != nullptr) {
    s = Status::InvalidArgument(
        "a transaction reads at its own snapshot: ReadOptions::snapshot must be null");
  }
  return s;
}

Status TransactionImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  return GetImpl(options, key, value, /*for_update=*/false);
}

Status TransactionImpl::GetForUpdate(const ReadOptions& options, std::string_view key,
                                     std::string* value) {
  return GetImpl(options, key, value, /*for_update=*/true);
}

Status TransactionImpl::GetImpl(const ReadOptions& options, std::string_view key,
                                std::string* value, bool for_update) {
  Status s = CheckReadOptions(options);
  if (!s.ok()) return s;
  if (value == nullptr) return Status::InvalidArgument("null value");
  if (writes_ != nullptr) {
    // An own write answers: the key is in the write set, validated anyway.
    switch (writes_->Get(key, kMaxSequenceNumber, value)) {
      case MemTable::LookupResult::kFound:
        return Status::OK();
      case MemTable::LookupResult::kDeleted:
        return Status::NotFound();
      case MemTable::LookupResult::kNotPresent:
        break;
    }
  }
  // Validated whatever the read finds: a key found absent must stay absent.
  if (for_update || isolation_ == TransactionOptions::kSerializable) {
    reads_->keys.emplace_back(key);
  }
  ReadOptions at = options;
  at.snapshot = snapshot_;
  return db_->Get(at, key, value);
}

Status TransactionImpl::Put(std::string_view key, std::string_view value) {
  if (snapshot_ != nullptr && value.size() > db_->options().max_value_size) {
    return Status::InvalidArgument("value of " + std::to_string(value.size()) +
                                   " bytes is over max_value_size " +
                                   std::to_string(db_->options().max_value_size));
  }
  return Write(EntryKind::kPut, key, value);
}

Status TransactionImpl::Delete(std::string_view key) { return Write(EntryKind::kDelete, key, {}); }

Status TransactionImpl::Write(EntryKind kind, std::string_view key, std::string_view value) {
  Status s = CheckActive();
  if (!s.ok()) return s;
  if (key.size() > db_->options().max_key_size) {
    return Status::InvalidArgument("key of " + std::to_string(key.size()) +
                                   " bytes is over max_key_size " +
                                   std::to_string(db_->options().max_key_size));
  }
  if (count_ >= (std::size_t{1} << 32) - 1) {
    return Status::InvalidArgument("a transaction makes fewer than 2^32 writes");
  }
  const std::size_t op_bytes = kOpOverhead + key.size() + value.size();
  if (writes_ == nullptr) {
    s = NewWriteSet(kMinIndexCapacity, &writes_);
    if (!s.ok()) return s;
  }
  const SequenceNumber sequence = kOwnWriteBase + count_ + 1;
  s = writes_->Add(sequence, kind, key, value);
  if (s.IsMemoryLimit()) {
    // The arena is full, or the memory budget refused its next page: a
    // larger arena, if one can be had, takes the write set and the write.
    s = Grow(op_bytes);
    if (s.ok()) s = writes_->Add(sequence, kind, key, value);
  }
  if (!s.ok()) return s;  // nothing added: the transaction is as it was
  ++count_;
  bytes_ += op_bytes;
  return Status::OK();
}

Status TransactionImpl::NewWriteSet(std::size_t capacity, MemTableRef* out) const {
  try {
    ArenaCache* arenas = db_->TransactionArenas();
    if (capacity <= kMinIndexCapacity) {
      *out = MemTable::Create(arenas->Take(), kMinIndexCapacity);
    } else {
      // A large write set gets an arena of its own, not recycled; a cache
      // that keeps none still keeps the budget alive as long as the arena.
      ArenaOptions options = arenas->options();
      options.capacity = capacity;
      *out = MemTable::Create(
          ArenaCache::Create(options, 0, 0, db_->options().memory_budget)->Take(), capacity);
    }
  } catch (const std::bad_alloc&) {  // ArenaExhausted included: the budget or address space
    return Status::MemoryLimit("no room for an arena for the transaction's writes");
  }
  return Status::OK();
}

Status TransactionImpl::CopyWrites(const MemTableRef& from, std::size_t count, MemTable* to,
                                   std::size_t* bytes) {
  *bytes = 0;
  const SequenceNumber newest = kOwnWriteBase + count;
  // A key's versions come newest first; each is added oldest first, so
  // that every Add links at the head of the key's chain.
  std::vector<KeyHistoryEntry> versions;
  MemTable::EntryIterator it(from);
  it.SeekToFirst();
  while (it.Valid()) {
    const std::string_view key = it.key();
    versions.clear();
    for (; it.Valid() && it.key() == key; it.Next()) {
      if (it.sequence() <= newest) versions.push_back({it.sequence(), it.kind(), it.value()});
    }
    for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
      Status s = to->Add(v->sequence, v->kind, key, v->value);
      if (!s.ok()) return s;
      *bytes += kOpOverhead + key.size() + v->value.size();
    }
  }
  return Status::OK();
}

Status TransactionImpl::Grow(std::size_t extra) {
  const std::size_t capacity = writes_->capacity();
  if (capacity >= DBImpl::kMaxMemTableCapacity) {
    return Status::MemoryLimit("the transaction's writes do not fit in its arena of " +
                               std::to_string(capacity) + " bytes");
  }
  // Twice the capacity, and room for the write set several times over (an
  // entry takes a few times its bytes in a batch, plus a commit step per
  // size class in use); the arena commits pages only as they are used.
  const std::size_t wanted = std::max(2 * capacity, 4 * (bytes_ + extra) + kMinIndexCapacity);
  MemTableRef larger;
  Status s = NewWriteSet(std::min(DBImpl::kMaxMemTableCapacity, wanted), &larger);
  std::size_t bytes = 0;
  if (s.ok()) s = CopyWrites(writes_, count_, larger.get(), &bytes);
  if (!s.ok()) {
    MemoryBudget* budget = db_->options().memory_budget.get();
    return Status::MemoryLimit(
        "the transaction's writes do not fit" +
        (budget != nullptr ? " in the memory budget (" + budget->Describe() + ")" : std::string()));
  }
  writes_ = std::move(larger);  // an open iterator keeps the old arena until it goes
  return Status::OK();
}

void TransactionImpl::SerializeWrites(WriteBatch* batch, std::vector<std::string>* keys) const {
  batch->Reserve(WriteBatch::kHeaderSize + bytes_);
  MemTable::EntryIterator it(writes_);
  it.SeekToFirst();
  while (it.Valid()) {
    // The newest own write of the key is the one to commit: the earlier ones
    // are overwritten within the transaction, and no reader could see them
    // between the batch's sequences.
    const std::string_view key = it.key();
    if (it.kind() == EntryKind::kPut) {
      batch->Put(key, it.value());
    } else {
      batch->Delete(key);
    }
    keys->emplace_back(key);
    while (it.Valid() && it.key() == key) it.Next();
  }
}

std::unique_ptr<Iterator> TransactionImpl::NewIterator(const ReadOptions& options) {
  Status s = CheckReadOptions(options);
  if (!s.ok()) return ErrorDBIterator(std::move(s));
  ReadOptions at = options;
  at.snapshot = snapshot_;
  SequenceNumber sequence = 0;
  std::shared_ptr<const ReadView> view;
  std::unique_ptr<InternalIterator> source = db_->NewInternalIterator(at, &sequence, &view);
  if (writes_ != nullptr) {
    // The own writes, newest first per key, over the DB at the snapshot.
    std::vector<std::unique_ptr<InternalIterator>> children;
    children.push_back(NewSequenceFilterIterator(std::move(source), sequence));
    children.push_back(NewMemTableIterator(writes_));
    source = NewMergingIterator(std::move(children));
    sequence = kOwnWriteBase + count_;  // later own writes stay unseen
  }
  auto inner = NewDBIterator(std::move(source), sequence, options.lower_bound, options.upper_bound);
  std::shared_ptr<ReadSet> reads =
      isolation_ == TransactionOptions::kSerializable ? reads_ : nullptr;
  return std::make_unique<TransactionIterator>(std::move(view), std::move(inner), std::move(reads),
                                               options);
}

void TransactionImpl::SetSavePoint() {
  if (snapshot_ != nullptr) save_points_.push_back(count_);
}

Status TransactionImpl::RollbackToSavePoint() {
  Status s = CheckActive();
  if (!s.ok()) return s;
  if (save_points_.empty()) return Status::NotFound("no save point to roll back to");
  const std::size_t count = save_points_.back();
  if (count < count_) {
    // A write set of the writes up to the mark, in a new arena (versions
    // cannot be unlinked from a skiplist built for concurrent readers).
    MemTableRef kept;
    std::size_t bytes = 0;
    if (count > 0) {
      s = NewWriteSet(writes_->capacity(), &kept);
      if (s.ok()) s = CopyWrites(writes_, count, kept.get(), &bytes);
      if (!s.ok()) {
        return Status::MemoryLimit("no room to roll the transaction's writes back: " +
                                   s.ToString());
      }
    }
    writes_ = std::move(kept);
    count_ = count;
    bytes_ = bytes;
  }
  save_points_.pop_back();
  return Status::OK();
}

Status TransactionImpl::Commit() {
  Status s = CheckActive();
  if (!s.ok()) return s;
  if (count_ == 0) {
    Finish();
    return Status::OK();
  }
  // The commit record is a second copy of the writes while the commit runs.
  MemoryBudget* budget = db_->options().memory_budget.get();
  const std::size_t record = WriteBatch::kHeaderSize + bytes_;
  if (budget != nullptr && !budget->TryCharge(MemoryBudget::Consumer::kTransactions, record)) {
    Finish();
    return Status::MemoryLimit(
        "no room in the memory budget for the transaction's commit record (" + budget->Describe() +
        ")");
  }
  std::vector<std::string> keys = std::move(reads_->keys);  // the transaction ends here
  WriteBatch batch;
  SerializeWrites(&batch, &keys);
  const SequenceNumber snapshot = snapshot_->sequence();
  const std::function<Status()> validate = [&] {
    SequenceNumber newest = 0;
    std::shared_ptr<const ReadView> view;
    std::unique_ptr<InternalIterator> source =
        db_->NewInternalIterator(ReadOptions(), &newest, &view);
    return CheckConflicts(source.get(), std::move(keys), reads_->ranges, snapshot);
  };
  s = db_->WriteValidated(write_options_, &batch, validate);
  batch = WriteBatch();
  if (budget != nullptr) budget->Release(MemoryBudget::Consumer::kTransactions, record);
  Finish();
  return s;
}

Status TransactionImpl::Rollback() {
  Status s = CheckActive();
  if (s.ok()) Finish();
  return s;
}

void TransactionImpl::Finish() {
  db_->ReleaseSnapshot(snapshot_);
  snapshot_ = nullptr;
  writes_.reset();
  count_ = bytes_ = 0;
  save_points_.clear();
}

}  // namespace arenakv
