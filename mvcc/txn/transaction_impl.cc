// SPDX-License-Identifier: Apache-2.0
#include "mvcc/txn/transaction_impl.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <new>
#include <utility>

#include "mvcc/db/memtable_inserter.h"
#include "mvcc/iter/db_iter.h"
#include "mvcc/iter/merging_iterator.h"
#include "mvcc/iter/sequence_filter.h"
#include "mvcc/memtable/memtable_iterator.h"
#include "mvcc/txn/transaction_iterator.h"

namespace arenakv {

namespace {

// Copies the first `count` operations of a batch.
class PrefixCopier final : public WriteBatch::Handler {
 public:
  PrefixCopier(std::size_t count, WriteBatch* out) : left_(count), out_(out) {}
  void Put(std::string_view key, std::string_view value) override {
    if (left_ > 0) {
      --left_;
      out_->Put(key, value);
    }
  }
  void Delete(std::string_view key) override {
    if (left_ > 0) {
      --left_;
      out_->Delete(key);
    }
  }

 private:
  std::size_t left_;
  WriteBatch* const out_;
};

// Finds the last operation on one key in a batch (a linear scan: what a
// read uses when the memory budget has no room for an index).
class LastWriteFinder final : public WriteBatch::Handler {
 public:
  explicit LastWriteFinder(std::string_view key) : key_(key) {}
  void Put(std::string_view key, std::string_view value) override {
    if (key == key_) {
      found_ = MemTable::LookupResult::kFound;
      value_ = value;
    }
  }
  void Delete(std::string_view key) override {
    if (key == key_) found_ = MemTable::LookupResult::kDeleted;
  }
  MemTable::LookupResult found() const { return found_; }
  std::string_view value() const { return value_; }

 private:
  const std::string_view key_;
  MemTable::LookupResult found_ = MemTable::LookupResult::kNotPresent;
  std::string_view value_;
};

// Collects a batch's keys.
class KeyCollector final : public WriteBatch::Handler {
 public:
  explicit KeyCollector(std::vector<std::string>* keys) : keys_(keys) {}
  void Put(std::string_view key, std::string_view) override { keys_->emplace_back(key); }
  void Delete(std::string_view key) override { keys_->emplace_back(key); }

 private:
  std::vector<std::string>* const keys_;
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
  if (batch_.Count() > 0) {
    s = EnsureIndex();
    MemTable::LookupResult own = MemTable::LookupResult::kNotPresent;
    if (s.ok()) {
      index_read_ = true;
      own = index_->Get(key, kMaxSequenceNumber, value);
    } else if (s.IsMemoryLimit()) {
      // No room for an index: the batch itself answers, slowly.
      LastWriteFinder finder(key);
      s = batch_.Iterate(finder);
      if (!s.ok()) return s;
      own = finder.found();
      if (own == MemTable::LookupResult::kFound) value->assign(finder.value());
    } else {
      return s;
    }
    // An own write answers: the key is in the write set, validated anyway.
    switch (own) {
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
  if (batch_.Count() >= (std::size_t{1} << 32) - 1) {
    return Status::InvalidArgument("a transaction holds fewer than 2^32 writes");
  }
  // An operation's encoding: kind, two length varints, key and value.
  s = ChargeBatch(1 + 2 * 5 + key.size() + value.size());
  if (!s.ok()) return s;
  if (kind == EntryKind::kPut) {
    batch_.Put(key, value);
  } else {
    batch_.Delete(key);
  }
  // The write goes into the index too, made now if there is none, as long
  // as the write set is small: a large one that no read has needed is not
  // kept twice (batch and index) in memory; a read builds its index then.
  // An index its arena refuses (full, or the memory budget) is dropped, and
  // no write tries again until a read or a rollback.
  if (index_ != nullptr && !index_read_ && batch_.ApproximateSize() > kEagerIndexBytes) {
    index_.reset();
  }
  if (index_ == nullptr) {
    if (!index_refused_ && batch_.ApproximateSize() <= kEagerIndexBytes && !EnsureIndex().ok()) {
      index_refused_ = true;  // (EnsureIndex indexed the whole batch, this write included)
    }
  } else if (!index_->Add(kOwnWriteBase + batch_.Count(), kind, key, value).ok()) {
    index_.reset();
    index_refused_ = true;
  }
  return Status::OK();
}

Status TransactionImpl::ChargeBatch(std::size_t bytes) {
  MemoryBudget* budget = db_->options().memory_budget.get();
  const std::size_t need = batch_.ApproximateSize() + bytes;
  if (budget == nullptr || need <= batch_charged_) return Status::OK();
  const std::size_t step = (need - batch_charged_ + kBudgetStep - 1) / kBudgetStep * kBudgetStep;
  if (!budget->TryCharge(MemoryBudget::Consumer::kTransactions, step)) {
    return Status::MemoryLimit("the transaction's writes do not fit in the memory budget (" +
                               budget->Describe() + ")");
  }
  batch_charged_ += step;
  return Status::OK();
}

Status TransactionImpl::EnsureIndex() {
  if (index_ != nullptr) return Status::OK();
  // Room for the batch's entries several times over (an entry in a memtable
  // takes at most a few times its bytes in the batch, plus a commit step per
  // size class in use); the arena commits pages only as they are used.
  const std::size_t capacity = std::min(DBImpl::kMaxMemTableCapacity,
                                        std::max(kMinIndexCapacity, 4 * batch_.ApproximateSize()));
  try {
    ArenaCache* arenas = db_->TransactionArenas();
    if (capacity == kMinIndexCapacity) {
      index_ = MemTable::Create(arenas->Take(), capacity);
    } else {
      // A large write set gets an arena of its own, not recycled; a cache
      // that keeps none still keeps the budget alive as long as the index.
      ArenaOptions options = arenas->options();
      options.capacity = capacity;
      index_ = MemTable::Create(
          ArenaCache::Create(options, 0, 0, db_->options().memory_budget)->Take(), capacity);
    }
  } catch (const std::bad_alloc&) {  // ArenaExhausted included: the budget or address space
    return Status::MemoryLimit("no room for the index of the transaction's writes");
  }
  // Op i (from 1) at kOwnWriteBase + i; the commit sets the real sequence.
  batch_.SetSequence(kOwnWriteBase + 1);
  Status s = InsertBatch(index_.get(), batch_);
  if (!s.ok()) index_.reset();
  return s;
}

std::unique_ptr<Iterator> TransactionImpl::NewIterator(const ReadOptions& options) {
  Status s = CheckReadOptions(options);
  if (s.ok() && batch_.Count() > 0) s = EnsureIndex();
  if (!s.ok()) return ErrorDBIterator(std::move(s));
  if (batch_.Count() > 0) index_read_ = true;
  ReadOptions at = options;
  at.snapshot = snapshot_;
  SequenceNumber sequence = 0;
  std::shared_ptr<const ReadView> view;
  std::unique_ptr<InternalIterator> source = db_->NewInternalIterator(at, &sequence, &view);
  if (batch_.Count() > 0) {
    // The own writes, newest first per key, over the DB at the snapshot.
    std::vector<std::unique_ptr<InternalIterator>> children;
    children.push_back(NewSequenceFilterIterator(std::move(source), sequence));
    children.push_back(NewMemTableIterator(index_));
    source = NewMergingIterator(std::move(children));
    sequence = kOwnWriteBase + batch_.Count();  // later own writes stay unseen
  }
  auto inner = NewDBIterator(std::move(source), sequence, options.lower_bound, options.upper_bound);
  std::shared_ptr<ReadSet> reads =
      isolation_ == TransactionOptions::kSerializable ? reads_ : nullptr;
  return std::make_unique<TransactionIterator>(std::move(view), std::move(inner), std::move(reads),
                                               options);
}

void TransactionImpl::SetSavePoint() {
  if (snapshot_ != nullptr) save_points_.push_back(batch_.Count());
}

Status TransactionImpl::RollbackToSavePoint() {
  Status s = CheckActive();
  if (!s.ok()) return s;
  if (save_points_.empty()) return Status::NotFound("no save point to roll back to");
  const std::size_t count = save_points_.back();
  save_points_.pop_back();
  if (count == batch_.Count()) return Status::OK();
  WriteBatch kept;
  PrefixCopier copier(count, &kept);
  s = batch_.Iterate(copier);
  if (!s.ok()) return s;
  batch_ = std::move(kept);
  index_.reset();  // rebuilt from the batch by the next write or read
  index_refused_ = index_read_ = false;
  return Status::OK();
}

Status TransactionImpl::Commit() {
  Status s = CheckActive();
  if (!s.ok()) return s;
  if (batch_.Count() == 0) {
    Finish();
    return Status::OK();
  }
  std::vector<std::string> keys = std::move(reads_->keys);  // the transaction ends here
  KeyCollector collector(&keys);
  s = batch_.Iterate(collector);
  if (s.ok()) {
    const SequenceNumber snapshot = snapshot_->sequence();
    const std::function<Status()> validate = [&] {
      SequenceNumber newest = 0;
      std::shared_ptr<const ReadView> view;
      std::unique_ptr<InternalIterator> source =
          db_->NewInternalIterator(ReadOptions(), &newest, &view);
      return CheckConflicts(source.get(), std::move(keys), reads_->ranges, snapshot);
    };
    s = db_->WriteValidated(write_options_, &batch_, validate);
  }
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
  index_.reset();
  batch_ = WriteBatch();  // frees its buffer, which the charge covered
  if (batch_charged_ > 0) {
    db_->options().memory_budget->Release(MemoryBudget::Consumer::kTransactions, batch_charged_);
    batch_charged_ = 0;
  }
  save_points_.clear();
}

}  // namespace arenakv
