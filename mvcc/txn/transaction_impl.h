// SPDX-License-Identifier: Apache-2.0
// TransactionImpl: the optimistic transaction behind arenakv::Transaction
// (DB::BeginTransaction). mvcc/txn/README.md has the protocol and the
// argument for its correctness; in short:
//   - Begin takes a DB snapshot S, held until the transaction ends: every
//     read of the DB is at S, and no version newer than S is ever collected
//     as garbage or stored with a zeroed sequence while it is held.
//   - Writes go into a WriteBatch (what Commit writes) and into an index: a
//     MemTable of the transaction's own, in its own arena, released whole at
//     the end (an arena recycled through the DB's ArenaCache: reset, its
//     pages kept warm for the next transaction). Own write number i (from 1) is
//     stored there with sequence kOwnWriteBase + i, above every DB sequence,
//     so the newest own write of a key wins over the DB's versions (which an
//     iterator filters to S underneath).
//   - Commit hands the batch to the write path with a check that the write
//     leader runs alone, once every earlier write is in the memtable: no
//     validated key (and, under kSerializable, no key in a validated range)
//     may have a version newer than S. Busy otherwise, and nothing written.
//
// Thread safety: one thread at a time, as arenakv::Transaction says.
// Memory: the batch is heap memory, charged to the DB's memory budget (if
// it has one) as kTransactions; the index lives in its own arena, whose
// pages are charged as kTransactions too. Both are freed, and their charges
// given back, when the transaction ends (Commit, Rollback, destruction; an
// iterator still open keeps the index until it goes), except what the
// recycled arena keeps warm: at most kIndexKeepBytes per idle arena, and at
// most kIdleIndexArenas of them per DB. The ReadSet is shared with the
// transaction's iterators.
#ifndef ARENAKV_MVCC_TXN_TRANSACTION_IMPL_H_
#define ARENAKV_MVCC_TXN_TRANSACTION_IMPL_H_

#include <arenakv/mvcc/db.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "mvcc/db/db_impl.h"
#include "mvcc/memtable/memtable.h"
#include "mvcc/txn/read_set.h"

namespace arenakv {

class TransactionImpl final : public Transaction {
 public:
  // Own write i (from 1) gets sequence kOwnWriteBase + i in the index; a
  // batch holds fewer than 2^32 operations.
  static constexpr SequenceNumber kOwnWriteBase = kMaxSequenceNumber - (SequenceNumber{1} << 32);
  // The smallest capacity of the index's arena (its hard limit; address
  // space is reserved for it, memory committed only as used).
  static constexpr std::size_t kMinIndexCapacity = DBImpl::kTransactionIndexCapacity;
  // What an index's arena keeps committed when it goes back to the DB's
  // cache, and how many idle arenas the cache keeps (enough for one
  // transaction per core of a large machine; more are released).
  static constexpr std::size_t kIndexKeepBytes = DBImpl::kTransactionIndexKeepBytes;
  static constexpr std::size_t kIdleIndexArenas = DBImpl::kIdleTransactionArenas;
  // A write set larger than this is indexed only once a read needs it.
  static constexpr std::size_t kEagerIndexBytes = std::size_t{1} << 20;
  // The batch is charged to the memory budget in steps of this many bytes.
  static constexpr std::size_t kBudgetStep = std::size_t{64} << 10;

  TransactionImpl(DBImpl* db, const WriteOptions& options, const TransactionOptions& txn_options);
  ~TransactionImpl() override;

  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  Status GetForUpdate(const ReadOptions& options, std::string_view key,
                      std::string* value) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  void SetSavePoint() override;
  Status RollbackToSavePoint() override;
  Status Commit() override;
  Status Rollback() override;

 private:
  Status CheckActive() const;
  Status CheckReadOptions(const ReadOptions& options) const;
  Status GetImpl(const ReadOptions& options, std::string_view key, std::string* value,
                 bool for_update);
  Status Write(EntryKind kind, std::string_view key, std::string_view value);
  // Builds the index of the own writes if there is none.
  Status EnsureIndex();
  // With a memory budget: makes sure the batch may grow by `bytes`,
  // charging kBudgetStep at a time (MemoryLimit if the budget refuses).
  Status ChargeBatch(std::size_t bytes);
  // Ends the transaction: releases the snapshot, the batch and the index.
  void Finish();

  DBImpl* const db_;
  const WriteOptions write_options_;
  const TransactionOptions::Isolation isolation_;
  const Snapshot* snapshot_;  // null once finished
  WriteBatch batch_;
  MemTableRef index_;           // null until the first write, or after a refusal
  bool index_refused_ = false;  // the arena said no: writes stop trying until a rollback
  bool index_read_ = false;     // a read used the index: writes keep it up to date
  std::shared_ptr<ReadSet> reads_ = std::make_shared<ReadSet>();
  std::vector<std::size_t> save_points_;  // batch_.Count() at each
  std::size_t batch_charged_ = 0;         // bytes charged to the budget for batch_
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TXN_TRANSACTION_IMPL_H_
