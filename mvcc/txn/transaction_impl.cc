// SPDX-License-Identifier: Apache-2.0
#include "mvcc/txn/transaction_impl.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <new>
#include <utility>

#include "arenakv/base/check.h"
#include "mvcc/iter/db_iter.h"
#include "mvcc/iter/merging_iterator.h"
#include "mvcc/iter/sequence_filter.h"
#include "mvcc/memtable/memtable_iterator.h"
#include "mvcc/txn/transaction_iterator.h"

namespace arenakv {

namespace {

// Gives a charge of the memory budget (if any) back when it goes.
class ChargeGuard {
 public:
  ChargeGuard(MemoryBudget* budget, std::size_t bytes) : budget_(budget), bytes_(bytes) {}
  ~ChargeGuard() {
    if (budget_ != nullptr) budget_->Release(MemoryBudget::Consumer::kTransactions, bytes_);
  }
  ChargeGuard(const ChargeGuard&) = delete;
  ChargeGuard& operator=(const ChargeGuard&) = delete;

 private:
  MemoryBudget* const budget_;
  const std::size_t bytes_;
};

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
  const std::size_t op_bytes = OpBytes(key, value);
  if (writes_ == nullptr) {
    s = NewWriteSet(kMinIndexCapacity, &writes_);
    if (!s.ok()) return s;
  }
  const SequenceNumber sequence = kOwnWriteBase + count_ + 1;
  s = writes_->Add(sequence, kind, key, value);
  if (s.IsMemoryLimit()) {
    // The arena is full, or the memory budget refused its next page. A
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
      *bytes += OpBytes(key, v->value);
    }
  }
  return Status::OK();
}

std::size_t TransactionImpl::BytesUpTo(const MemTableRef& from, std::size_t count) {
  std::size_t bytes = 0;
  MemTable::EntryIterator it(from);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    if (it.sequence() <= kOwnWriteBase + count) {
      bytes += OpBytes(it.key(), it.value());
    }
  }
  return bytes;
}

std::size_t TransactionImpl::CapacityFor(std::size_t bytes) {
  // Room for the writes several times over (an entry takes a few times its
  // bytes in a batch, plus a commit step per size class in use); the arena
  // commits pages only as they are used. A small write set gets a recycled
  // arena.
  if (4 * bytes <= kMinIndexCapacity) return kMinIndexCapacity;
  return std::min(DBImpl::kMaxMemTableCapacity, 4 * bytes + kMinIndexCapacity);
}

Status TransactionImpl::Grow(std::size_t extra) {
  // A budget without room for a second copy of the write set (what a move
  // needs for a while) is what refused: a move could not succeed, and trying
  // would only fill the budget for everyone else meanwhile.
  MemoryBudget* budget = db_->options().memory_budget.get();
  const std::size_t copy = writes_->ApproximateMemoryUsage() + extra;
  if (budget != nullptr && budget->charged() + copy > budget->limit()) {
    db_->TransactionArenas()->Drop();  // idle arenas' pages first
    if (budget->charged() + copy > budget->limit()) {
      return Status::MemoryLimit("the transaction's writes do not fit in the memory budget (" +
                                 budget->Describe() + ")");
    }
  }
  const std::size_t capacity = writes_->capacity();
  if (capacity >= DBImpl::kMaxMemTableCapacity) {
    return Status::MemoryLimit("the transaction's writes do not fit in its largest arena (" +
                               std::to_string(capacity) + " bytes)");
  }
  // At least twice the capacity: each write is moved about once more at most.
  const std::size_t wanted =
      std::max(std::min(DBImpl::kMaxMemTableCapacity, 2 * capacity), CapacityFor(bytes_ + extra));
  MemTableRef larger;
  Status s = NewWriteSet(wanted, &larger);
  std::size_t bytes = 0;
  if (s.ok()) s = CopyWrites(writes_, count_, larger.get(), &bytes);
  if (!s.ok()) {
    larger.reset();  // its charge goes back before the budget is described
    return Status::MemoryLimit(
        "no room to move the transaction's writes to a larger arena" +
        (budget != nullptr ? " (" + budget->Describe() + ")" : std::string()));
  }
  ARENAKV_DCHECK(bytes == bytes_);
  writes_ = std::move(larger);  // an open iterator keeps the old arena until it goes
  return Status::OK();
}

std::size_t TransactionImpl::RecordSize() const {
  std::size_t size = WriteBatch::kHeaderSize;
  MemTable::EntryIterator it(writes_);
  it.SeekToFirst();
  while (it.Valid()) {
    const std::string_view key = it.key();
    size += OpBytes(key, it.value());
    while (it.Valid() && it.key() == key) it.Next();
  }
  return size;
}

void TransactionImpl::SerializeWrites(std::size_t record_size, WriteBatch* batch,
                                      std::vector<std::string>* keys) const {
  batch->Reserve(record_size);
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
    // cannot be unlinked from a skiplist built for concurrent readers). A
    // memory budget must have room for that copy beside the old one for a
    // while: if not even after idle arenas go, nothing changes.
    MemTableRef kept;
    std::size_t bytes = 0;
    for (int attempt = 0; count > 0 && attempt < 2; ++attempt) {
      if (attempt > 0) db_->TransactionArenas()->Drop();
      s = NewWriteSet(CapacityFor(BytesUpTo(writes_, count)), &kept);
      if (s.ok()) s = CopyWrites(writes_, count, kept.get(), &bytes);
      if (s.ok()) break;
      kept.reset();
    }
    if (!s.ok()) {
      MemoryBudget* budget = db_->options().memory_budget.get();
      return Status::MemoryLimit(
          "no room to roll the transaction's writes back to its save point" +
          (budget != nullptr ? " (" + budget->Describe() + ")" : std::string()));
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
  // The commit record is serialized from the write set, whose arena then
  // goes: the two are held together only while the record is made. The
  // memory budget (if any) is charged for the record first.
  const std::size_t record = RecordSize();
  MemoryBudget* budget = db_->options().memory_budget.get();
  if (budget != nullptr && !budget->TryCharge(MemoryBudget::Consumer::kTransactions, record) &&
      (db_->TransactionArenas()->Drop() == 0 ||
       !budget->TryCharge(MemoryBudget::Consumer::kTransactions, record))) {
    Finish();
    return Status::MemoryLimit(
        "no room in the memory budget for the transaction's commit record (" + budget->Describe() +
        ")");
  }
  const ChargeGuard charge(budget, record);
  std::vector<std::string> keys;  // validated: every written key, then the read set's
  WriteBatch batch;
  SerializeWrites(record, &batch, &keys);
  writes_.reset();  // (an open iterator keeps the arena until it goes)
  keys.insert(keys.end(), std::make_move_iterator(reads_->keys.begin()),
              std::make_move_iterator(reads_->keys.end()));
  reads_->keys.clear();
  const SequenceNumber snapshot = snapshot_->sequence();
  const std::function<Status()> validate = [&] {
    SequenceNumber newest = 0;
    std::shared_ptr<const ReadView> view;
    std::unique_ptr<InternalIterator> source =
        db_->NewInternalIterator(ReadOptions(), &newest, &view);
    return CheckConflicts(source.get(), std::move(keys), reads_->ranges, snapshot);
  };
  s = db_->WriteValidated(write_options_, &batch, validate);
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
