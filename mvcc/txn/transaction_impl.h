// SPDX-License-Identifier: Apache-2.0
// TransactionImpl: the optimistic transaction behind arenakv::Transaction
// (DB::BeginTransaction). mvcc/txn/README.md has the protocol and the
// argument for its correctness; in short:
//   - Begin takes a DB snapshot S, held until the transaction ends: every
//     read of the DB is at S, and no version newer than S is ever collected
//     as garbage or stored with a zeroed sequence while it is held.
//   - Writes live only in the transaction's own arena, as versions in a
//     MemTable there (the "write set"): own write number i (from 1) gets
//     sequence kOwnWriteBase + i, above every DB sequence, so the newest own
//     write of a key wins over the DB's versions (which an iterator filters
//     to S underneath). The arena is recycled through the DB's ArenaCache
//     (reset at the end, its pages kept warm for the next transaction); a
//     write set that outgrows it moves to an arena of twice the capacity.
//   - Commit serializes the newest own write of each key into a WriteBatch
//     (the commit record the WAL needs) and hands it to the write path with
//     a check that the write leader runs alone, once every earlier write is
//     in the memtable: no validated key (and, under kSerializable, no key in
//     a validated range) may have a version newer than S. Busy otherwise,
//     and nothing written.
//
// Thread safety: one thread at a time, as arenakv::Transaction says.
// Memory: the write set's arena pages are charged to the DB's memory budget
// (if it has one) as kTransactions, and so is the commit record while the
// commit runs. Both are given back when the transaction ends (Commit,
// Rollback, destruction; an iterator still open keeps the write set until
// it goes), except what the recycled arena keeps warm: at most
// kIndexKeepBytes per idle arena, and at most kIdleIndexArenas of them per
// DB. The ReadSet is shared with the transaction's iterators.
#ifndef ARENAKV_MVCC_TXN_TRANSACTION_IMPL_H_
#define ARENAKV_MVCC_TXN_TRANSACTION_IMPL_H_

#include <arenakv/mvcc/db.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mvcc/db/db_impl.h"
#include "mvcc/memtable/memtable.h"
#include "mvcc/txn/read_set.h"

namespace arenakv {

class TransactionImpl final : public Transaction {
 public:
  // Own write i (from 1) gets sequence kOwnWriteBase + i in the write set;
  // a transaction makes fewer than 2^32 writes.
  static constexpr SequenceNumber kOwnWriteBase = kMaxSequenceNumber - (SequenceNumber{1} << 32);
  // The capacity of the write set's first arena (its hard limit; address
  // space is reserved for it, memory committed only as used).
  static constexpr std::size_t kMinIndexCapacity = DBImpl::kTransactionIndexCapacity;
  // What a write set's arena keeps committed when it goes back to the DB's
  // cache, and how many idle arenas the cache keeps (enough for one
  // transaction per core of a large machine; more are released).
  static constexpr std::size_t kIndexKeepBytes = DBImpl::kTransactionIndexKeepBytes;
  static constexpr std::size_t kIdleIndexArenas = DBImpl::kIdleTransactionArenas;
  // Bytes an operation's encoding in a batch takes beyond its key and
  // value, at most: the kind and two length varints.
  static constexpr std::size_t kOpOverhead = 1 + 2 * 5;
  // The most an operation on `key` with `value` takes in a batch: what
  // bytes_ counts, and what the commit record is sized by.
  static constexpr std::size_t OpBytes(std::string_view key, std::string_view value) {
    return kOpOverhead + key.size() + value.size();
  }

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
  // A new, empty write set in an arena of capacity `capacity` (recycled if
  // that is at most kMinIndexCapacity). MemoryLimit if no arena can be had.
  Status NewWriteSet(std::size_t capacity, MemTableRef* out) const;
  // The arena capacity for a write set of `bytes` (their size in a batch).
  static std::size_t CapacityFor(std::size_t bytes);
  // Copies into `to` every own write numbered up to `count`, and returns in
  // *bytes their encoded size in a batch.
  static Status CopyWrites(const MemTableRef& from, std::size_t count, MemTable* to,
                           std::size_t* bytes);
  // The encoded size in a batch of the own writes numbered up to `count`.
  static std::size_t BytesUpTo(const MemTableRef& from, std::size_t count);
  // Moves the write set to an arena with room for `extra` more bytes of
  // writes. MemoryLimit if there is none (the write set is unchanged).
  Status Grow(std::size_t extra);
  // The size of the commit record (SerializeWrites), header included.
  std::size_t RecordSize() const;
  // The commit record: the newest own write of every key, in key order, in
  // a batch of `record_size` bytes; the written keys are appended to *keys.
  void SerializeWrites(std::size_t record_size, WriteBatch* batch,
                       std::vector<std::string>* keys) const;
  // Ends the transaction: releases the snapshot and the write set.
  void Finish();

  DBImpl* const db_;
  const WriteOptions write_options_;
  const TransactionOptions::Isolation isolation_;
  const Snapshot* snapshot_;  // null once finished
  MemTableRef writes_;        // null until the first write
  std::size_t count_ = 0;     // own writes made (the newest is kOwnWriteBase + count_)
  std::size_t bytes_ = 0;     // their encoded size in a batch, at most
  std::shared_ptr<ReadSet> reads_ = std::make_shared<ReadSet>();
  std::vector<std::size_t> save_points_;  // count_ at each
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TXN_TRANSACTION_IMPL_H_
