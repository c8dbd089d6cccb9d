// SPDX-License-Identifier: Apache-2.0
// Optimistic transactions, black-box through <arenakv/mvcc/db.h>: reads at
// the transaction's snapshot, its own writes through Get and iterators,
// save points, conflicts at Commit under both isolation levels (write-write,
// GetForUpdate, write skew, phantoms in scanned ranges), conflicts found in
// history that a flush and a compaction moved to tables, atomicity across a
// crash during Commit, and a bank-transfer invariant under 8 threads.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "mvcc/txn/transaction_impl.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using KvVector = std::vector<std::pair<std::string, std::string>>;

class DbTransactionTest : public ::testing::Test {
 protected:
  DbTransactionTest() { options_.file_system = &fs_; }
  void SetUp() override { Open(); }

  // Options for a DB under a memory budget of `limit` bytes that
  // transactions fill: small write buffers, no block cache. Open() next.
  std::shared_ptr<MemoryBudget> TightBudget(std::size_t limit) {
    auto budget = MemoryBudget::Create(limit);
    options_.memory_budget = budget;
    options_.write_buffer_size = 1 << 20;
    options_.block_cache_size = 0;
    return budget;
  }
  void Open() {
    db_.reset();
    Status s = DB::Open(options_, kPath, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::unique_ptr<Transaction> Begin(
      TransactionOptions::Isolation isolation = TransactionOptions::kSnapshot,
      WriteOptions write_options = {}) {
    TransactionOptions txn_options;
    txn_options.isolation = isolation;
    return db_->BeginTransaction(write_options, txn_options);
  }
  void Put(std::string_view key, std::string_view value) {
    Status s = db_->Put({}, key, value);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::string Get(std::string_view key) { return test::GetOrNotFound(db_.get(), key); }
  static std::string Get(Transaction* txn, std::string_view key) {
    std::string value;
    Status s = txn->Get({}, key, &value);
    if (s.IsNotFound()) return "NOT_FOUND";
    return s.ok() ? value : "ERROR: " + s.ToString();
  }
  // Everything the iterator yields forward (from SeekToFirst) and backward
  // (from SeekToLast, returned ascending): both must agree.
  static KvVector Scan(Transaction* txn, const ReadOptions& ro = {}) {
    KvVector forward, backward;
    std::unique_ptr<Iterator> it = txn->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      forward.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      backward.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    std::reverse(backward.begin(), backward.end());
    EXPECT_EQ(forward, backward);
    return forward;
  }

  static constexpr const char* kPath = "/db";
  MemFileSystem fs_;  // declared before db_: outlives it
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(DbTransactionTest, ReadsAtItsSnapshotAndSeesItsOwnWrites) {
  Put("a", "1");
  Put("b", "2");
  auto txn = Begin();
  Put("a", "changed later");  // after the transaction began: not seen
  Put("c", "3");
  EXPECT_EQ(Get(txn.get(), "a"), "1");
  EXPECT_EQ(Get(txn.get(), "c"), "NOT_FOUND");

  ASSERT_TRUE(txn->Put("b", "own").ok());
  ASSERT_TRUE(txn->Delete("a").ok());
  ASSERT_TRUE(txn->Put("d", "own d").ok());
  EXPECT_EQ(Get(txn.get(), "a"), "NOT_FOUND");
  EXPECT_EQ(Get(txn.get(), "b"), "own");
  EXPECT_EQ(Get(txn.get(), "d"), "own d");
  EXPECT_EQ(Scan(txn.get()), (KvVector{{"b", "own"}, {"d", "own d"}}));
  // Nothing is in the DB before Commit.
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(Get("d"), "NOT_FOUND");

  // A later write of the same key wins; a Put after a Delete brings it back.
  ASSERT_TRUE(txn->Put("b", "own again").ok());
  ASSERT_TRUE(txn->Put("a", "back").ok());
  EXPECT_EQ(Get(txn.get(), "b"), "own again");
  EXPECT_EQ(Scan(txn.get()), (KvVector{{"a", "back"}, {"b", "own again"}, {"d", "own d"}}));
}

TEST_F(DbTransactionTest, IteratorMergesOwnWritesWithBoundsAndSeeks) {
  for (int i = 0; i < 10; i += 2) Put(test::KeyFor(i), "db" + std::to_string(i));
  auto txn = Begin();
  ASSERT_TRUE(txn->Put(test::KeyFor(3), "own3").ok());
  ASSERT_TRUE(txn->Delete(test::KeyFor(4)).ok());
  ASSERT_TRUE(txn->Put(test::KeyFor(6), "own6").ok());
  ReadOptions ro;
  ro.lower_bound = test::KeyFor(2);
  ro.upper_bound = test::KeyFor(8);
  EXPECT_EQ(
      Scan(txn.get(), ro),
      (KvVector{{test::KeyFor(2), "db2"}, {test::KeyFor(3), "own3"}, {test::KeyFor(6), "own6"}}));
  std::unique_ptr<Iterator> it = txn->NewIterator({});
  it->Seek(test::KeyFor(4));  // deleted by the transaction: skipped
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), test::KeyFor(6));
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), test::KeyFor(3));
  it->SeekForPrev(test::KeyFor(5));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "own3");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "own6");

  // An iterator sees the writes made before its creation, not after.
  ASSERT_TRUE(txn->Put(test::KeyFor(7), "own7").ok());
  it->Seek(test::KeyFor(7));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), test::KeyFor(8));
  std::unique_ptr<Iterator> fresh = txn->NewIterator({});
  fresh->Seek(test::KeyFor(7));
  ASSERT_TRUE(fresh->Valid());
  EXPECT_EQ(fresh->value(), "own7");
}

TEST_F(DbTransactionTest, CommitWritesEverythingAtomically) {
  Put("gone", "x");
  auto txn = Begin();
  ASSERT_TRUE(txn->Put("k1", "v1").ok());
  ASSERT_TRUE(txn->Put("k2", "v2").ok());
  ASSERT_TRUE(txn->Delete("gone").ok());
  const Snapshot* before = db_->GetSnapshot();
  Status s = txn->Commit();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Get("k1"), "v1");
  EXPECT_EQ(Get("k2"), "v2");
  EXPECT_EQ(Get("gone"), "NOT_FOUND");
  EXPECT_EQ(test::GetOrNotFound(db_.get(), "k1", before), "NOT_FOUND");
  db_->ReleaseSnapshot(before);
  // Finished: every call is refused.
  std::string value;
  EXPECT_TRUE(txn->Put("k3", "v3").IsInvalidArgument());
  EXPECT_TRUE(txn->Get({}, "k1", &value).IsInvalidArgument());
  EXPECT_TRUE(txn->Commit().IsInvalidArgument());
  EXPECT_TRUE(txn->Rollback().IsInvalidArgument());
  EXPECT_TRUE(txn->NewIterator({})->status().IsInvalidArgument());
  // And the commit survives a reopen (it went through the WAL).
  txn.reset();
  Open();
  EXPECT_EQ(Get("k2"), "v2");
  EXPECT_EQ(Get("gone"), "NOT_FOUND");
}

TEST_F(DbTransactionTest, RollbackAndDestructionWriteNothing) {
  auto txn = Begin();
  ASSERT_TRUE(txn->Put("a", "1").ok());
  ASSERT_TRUE(txn->Rollback().ok());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  {
    auto dropped = Begin();
    ASSERT_TRUE(dropped->Put("b", "1").ok());
  }
  EXPECT_EQ(Get("b"), "NOT_FOUND");
}

TEST_F(DbTransactionTest, SavePointsUndoTheWritesSinceTheirMark) {
  Put("a", "db");
  auto txn = Begin();
  EXPECT_TRUE(txn->RollbackToSavePoint().IsNotFound());
  ASSERT_TRUE(txn->Put("a", "1").ok());
  txn->SetSavePoint();
  ASSERT_TRUE(txn->Put("b", "2").ok());
  ASSERT_TRUE(txn->Delete("a").ok());
  EXPECT_EQ(Get(txn.get(), "a"), "NOT_FOUND");
  txn->SetSavePoint();
  ASSERT_TRUE(txn->Put("c", "3").ok());
  ASSERT_TRUE(txn->RollbackToSavePoint().ok());  // drops c
  EXPECT_EQ(Get(txn.get(), "c"), "NOT_FOUND");
  EXPECT_EQ(Get(txn.get(), "b"), "2");
  EXPECT_EQ(Get(txn.get(), "a"), "NOT_FOUND");   // the delete before the mark stays
  ASSERT_TRUE(txn->RollbackToSavePoint().ok());  // drops b and the delete of a
  EXPECT_EQ(Get(txn.get(), "a"), "1");
  EXPECT_EQ(Get(txn.get(), "b"), "NOT_FOUND");
  EXPECT_EQ(Scan(txn.get()), (KvVector{{"a", "1"}}));
  EXPECT_TRUE(txn->RollbackToSavePoint().IsNotFound());
  ASSERT_TRUE(txn->Put("d", "4").ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
  EXPECT_EQ(Get("c"), "NOT_FOUND");
  EXPECT_EQ(Get("d"), "4");
}

TEST_F(DbTransactionTest, ASavePointBeforeAnyWriteUndoesThemAll) {
  Put("a", "db");
  auto txn = Begin();
  txn->SetSavePoint();
  ASSERT_TRUE(txn->Put("a", "1").ok());
  ASSERT_TRUE(txn->Put("b", "2").ok());
  ASSERT_TRUE(txn->RollbackToSavePoint().ok());
  EXPECT_EQ(Get(txn.get(), "a"), "db");
  EXPECT_EQ(Get(txn.get(), "b"), "NOT_FOUND");
  EXPECT_EQ(Scan(txn.get()), (KvVector{{"a", "db"}}));
  ASSERT_TRUE(txn->Put("c", "3").ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Get("a"), "db");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
  EXPECT_EQ(Get("c"), "3");
}

TEST_F(DbTransactionTest, AWriteAfterBeginConflictsWithTheTransactionsWrite) {
  for (auto isolation : {TransactionOptions::kSnapshot, TransactionOptions::kSerializable}) {
    Put("k", "before");
    auto txn = Begin(isolation);
    ASSERT_TRUE(txn->Put("k", "txn").ok());
    ASSERT_TRUE(txn->Put("other", "txn").ok());
    Put("k", "plain put after begin");
    Status s = txn->Commit();
    EXPECT_TRUE(s.IsBusy()) << s.ToString();
    EXPECT_EQ(Get("k"), "plain put after begin");
    EXPECT_EQ(Get("other"), "NOT_FOUND");  // nothing of it written
  }
  // A committed transaction conflicts with another the same way.
  auto first = Begin();
  auto second = Begin();
  ASSERT_TRUE(first->Put("k", "first").ok());
  ASSERT_TRUE(second->Put("k", "second").ok());
  ASSERT_TRUE(first->Commit().ok());
  EXPECT_TRUE(second->Commit().IsBusy());
  EXPECT_EQ(Get("k"), "first");
  // A write before Begin is no conflict.
  Put("k", "again");
  auto later = Begin();
  ASSERT_TRUE(later->Put("k", "later").ok());
  EXPECT_TRUE(later->Commit().ok());
  EXPECT_EQ(Get("k"), "later");
}

TEST_F(DbTransactionTest, ReadsAreValidatedPerIsolationLevel) {
  // Snapshot isolation validates GetForUpdate, not Get; serializable both.
  struct Case {
    TransactionOptions::Isolation isolation;
    bool for_update;
    bool conflict;
  };
  for (const Case c : {Case{TransactionOptions::kSnapshot, false, false},
                       Case{TransactionOptions::kSnapshot, true, true},
                       Case{TransactionOptions::kSerializable, false, true},
                       Case{TransactionOptions::kSerializable, true, true}}) {
    SCOPED_TRACE(testing::Message()
                 << "isolation " << c.isolation << " for_update " << c.for_update);
    Put("read", "v0");
    auto txn = Begin(c.isolation);
    std::string value;
    Status s = c.for_update ? txn->GetForUpdate({}, "read", &value) : txn->Get({}, "read", &value);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(txn->Put("written", value).ok());
    Put("read", "v1");
    s = txn->Commit();
    EXPECT_EQ(s.IsBusy(), c.conflict) << s.ToString();
    EXPECT_EQ(s.ok(), !c.conflict) << s.ToString();
  }
}

TEST_F(DbTransactionTest, AKeyReadAsAbsentConflictsWhenItAppears) {
  auto txn = Begin(TransactionOptions::kSnapshot);
  std::string value;
  EXPECT_TRUE(txn->GetForUpdate({}, "missing", &value).IsNotFound());
  ASSERT_TRUE(txn->Put("x", "1").ok());
  Put("missing", "now here");
  EXPECT_TRUE(txn->Commit().IsBusy());
}

// Every kind of write conflicts: a delete, a write without the WAL, a batch.
TEST_F(DbTransactionTest, DeletesUnloggedWritesAndBatchesConflictToo) {
  WriteOptions unlogged;
  unlogged.disable_wal = true;
  const std::vector<std::function<Status()>> writes = {
      [&] { return db_->Delete({}, "k"); },
      [&] { return db_->Put(unlogged, "k", "unlogged"); },
      [&] {
        WriteBatch batch;
        batch.Put("other", "x");
        batch.Delete("k");
        return db_->Write({}, &batch);
      },
  };
  for (std::size_t i = 0; i < writes.size(); ++i) {
    SCOPED_TRACE(i);
    Put("k", "v");
    auto txn = Begin(TransactionOptions::kSerializable);
    std::string value;
    ASSERT_TRUE(txn->Get({}, "k", &value).ok());
    ASSERT_TRUE(txn->Put("result", value).ok());
    ASSERT_TRUE(writes[i]().ok());
    EXPECT_TRUE(txn->Commit().IsBusy());
    EXPECT_EQ(Get("result"), "NOT_FOUND");
  }
}

// Ranges read backwards, from the ends and within bounds, are validated as
// forward ones are, and so is a seek whose target is the iterator's own key.
TEST_F(DbTransactionTest, SerializableRangesAreRecordedInEveryDirection) {
  for (int i = 0; i < 10; i += 2) Put(test::KeyFor(i), "v");
  ASSERT_TRUE(db_->Flush().ok());  // keys in a table: key() points into a block
  struct Case {
    const char* what;
    std::function<void(Iterator*)> read;
    std::optional<std::string> lower_bound;
    int inserted;
    bool conflict;
  };
  const std::vector<Case> cases = {
      {"SeekToLast, Prev off the front",
       [](Iterator* it) {
         for (it->SeekToLast(); it->Valid(); it->Prev()) {
         }
       },
       std::nullopt, 1, true},
      {"SeekForPrev, Prev",
       [](Iterator* it) {
         it->SeekForPrev(test::KeyFor(7));
         it->Prev();
       },
       std::nullopt, 5, true},
      {"SeekForPrev below everything read",
       [](Iterator* it) {
         it->SeekForPrev(test::KeyFor(7));
         it->Prev();
       },
       std::nullopt, 3, false},
      {"SeekToFirst within a lower bound", [](Iterator* it) { it->SeekToFirst(); }, test::KeyFor(3),
       3, true},
      {"SeekToFirst within a lower bound, below it", [](Iterator* it) { it->SeekToFirst(); },
       test::KeyFor(3), 1, false},
      {"SeekForPrev to its own key",
       [](Iterator* it) {
         it->Seek(test::KeyFor(4));
         it->SeekForPrev(it->key());
       },
       std::nullopt, 4, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto txn = Begin(TransactionOptions::kSerializable);
    {
      ReadOptions ro;
      ro.lower_bound = c.lower_bound;
      std::unique_ptr<Iterator> it = txn->NewIterator(ro);
      c.read(it.get());
      ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    }
    ASSERT_TRUE(txn->Put("summary", "x").ok());
    Put(test::KeyFor(c.inserted), "changed");
    Status s = txn->Commit();
    EXPECT_EQ(s.IsBusy(), c.conflict) << s.ToString();
  }
}

// With the memory budget spent, a write the write set's arena has no page
// for gets MemoryLimit; the transaction stays as it was and usable, and the
// same write succeeds once the budget has room.
TEST_F(DbTransactionTest, ABudgetWithNoRoomForTheWriteSetGivesAClearStatus) {
  auto budget = TightBudget(std::size_t{8} << 20);
  ASSERT_NO_FATAL_FAILURE(Open());
  Put("db-key", "db-value");
  // A fresh DB: no idle arena with warm pages could take the write.
  const std::size_t fill = budget->limit() - budget->charged();
  ASSERT_TRUE(budget->TryCharge(MemoryBudget::Consumer::kOther, fill));
  auto txn = Begin();
  Status s = txn->Put("own", "write");
  EXPECT_TRUE(s.IsMemoryLimit()) << s.ToString();
  std::string value;
  EXPECT_TRUE(txn->Get({}, "own", &value).IsNotFound());
  s = txn->Get({}, "db-key", &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "db-value");
  {
    std::unique_ptr<Iterator> it = txn->NewIterator({});
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid()) << it->status().ToString();
    EXPECT_EQ(it->key(), "db-key");
    it->Next();
    EXPECT_FALSE(it->Valid());
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  }
  EXPECT_LE(budget->charged(), budget->limit());
  budget->Release(MemoryBudget::Consumer::kOther, fill);
  ASSERT_TRUE(txn->Put("own", "write").ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Get("own"), "write");
}

// Two doctors on call; each transaction checks that the other is on call and
// takes itself off. Snapshot isolation lets both commit (write skew: nobody
// on call); serializable refuses the second.
TEST_F(DbTransactionTest, WriteSkewIsAllowedBySnapshotAndRefusedBySerializable) {
  for (auto isolation : {TransactionOptions::kSnapshot, TransactionOptions::kSerializable}) {
    Put("alice", "on");
    Put("bob", "on");
    auto t1 = Begin(isolation);
    auto t2 = Begin(isolation);
    auto off_call = [](Transaction* t, const char* self, const char* other) {
      std::string value;
      ASSERT_TRUE(t->Get({}, other, &value).ok());
      ASSERT_EQ(value, "on");
      ASSERT_TRUE(t->Put(self, "off").ok());
    };
    off_call(t1.get(), "alice", "bob");
    off_call(t2.get(), "bob", "alice");
    ASSERT_TRUE(t1->Commit().ok());
    Status s = t2->Commit();
    if (isolation == TransactionOptions::kSnapshot) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(Get("bob"), "off");  // the anomaly snapshot isolation allows
    } else {
      EXPECT_TRUE(s.IsBusy()) << s.ToString();
      EXPECT_EQ(Get("bob"), "on");
    }
    EXPECT_EQ(Get("alice"), "off");
  }
}

TEST_F(DbTransactionTest, SerializableScansConflictWithPhantomsInTheirRange) {
  for (int i = 0; i < 10; i += 2) Put(test::KeyFor(i), "v");
  struct Case {
    int inserted;
    bool conflict;
  };
  // The transaction seeks to key2 and steps forward until it passes key6
  // (to key8), then back: it passed over everything from key2 to key8, so a
  // key appearing anywhere in there (key7 included) conflicts.
  for (const Case c :
       {Case{3, true}, Case{5, true}, Case{7, true}, Case{1, false}, Case{9, false}}) {
    SCOPED_TRACE(c.inserted);
    auto txn = Begin(TransactionOptions::kSerializable);
    {
      std::unique_ptr<Iterator> it = txn->NewIterator({});
      int seen = 0;
      for (it->Seek(test::KeyFor(2)); it->Valid() && it->key() <= test::KeyFor(6); it->Next()) {
        ++seen;
      }
      EXPECT_EQ(seen, 3);
      it->Prev();  // back from key8 to key6
    }
    ASSERT_TRUE(txn->Put("summary", "3").ok());
    Put(test::KeyFor(c.inserted), "phantom");
    Status s = txn->Commit();
    EXPECT_EQ(s.IsBusy(), c.conflict) << s.ToString();
    ASSERT_TRUE(db_->Delete({}, test::KeyFor(c.inserted)).ok());
  }
  // Running off the end covers everything to the upper bound (or the end).
  auto txn = Begin(TransactionOptions::kSerializable);
  ReadOptions ro;
  ro.upper_bound = "m";
  {
    std::unique_ptr<Iterator> it = txn->NewIterator(ro);
    it->Seek(test::KeyFor(9));
    EXPECT_FALSE(it->Valid());
  }
  ASSERT_TRUE(txn->Put("summary", "none").ok());
  Put("key99", "phantom");
  EXPECT_TRUE(txn->Commit().IsBusy());
  // Under snapshot isolation the same scan validates nothing.
  auto si = Begin(TransactionOptions::kSnapshot);
  {
    std::unique_ptr<Iterator> it = si->NewIterator({});
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
    }
  }
  ASSERT_TRUE(si->Put("summary", "all").ok());
  Put("key5", "phantom");
  EXPECT_TRUE(si->Commit().ok());
}

// The transaction's history moved into tables (a flush, then a compaction
// to the last level): the conflict is still found there, never missed and
// never refused for lack of history.
TEST_F(DbTransactionTest, ConflictsAreFoundAfterTheHistoryWasFlushedAndCompacted) {
  Put("k", "old");
  Put("quiet", "old");
  ASSERT_TRUE(db_->Flush().ok());
  auto conflicting = Begin();
  auto clean = Begin();
  Put("k", "after begin");
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->CompactRange(std::nullopt, std::nullopt).ok());
  std::string value;
  ASSERT_TRUE(conflicting->GetForUpdate({}, "k", &value).ok());
  EXPECT_EQ(value, "old");  // the snapshot kept the old version through the compaction
  ASSERT_TRUE(conflicting->Put("k", "txn").ok());
  EXPECT_TRUE(conflicting->Commit().IsBusy());
  ASSERT_TRUE(clean->GetForUpdate({}, "quiet", &value).ok());
  ASSERT_TRUE(clean->Put("quiet", "txn").ok());
  Status s = clean->Commit();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Get("quiet"), "txn");
  EXPECT_EQ(Get("k"), "after begin");
}

TEST_F(DbTransactionTest, BadArgumentsGetAClearStatus) {
  options_.max_key_size = 8;
  options_.max_value_size = 8;
  Open();
  auto txn = Begin();
  EXPECT_TRUE(txn->Put("a key too long", "v").IsInvalidArgument());
  EXPECT_TRUE(txn->Put("k", "a value too long").IsInvalidArgument());
  EXPECT_TRUE(txn->Delete("a key too long").IsInvalidArgument());
  const Snapshot* snapshot = db_->GetSnapshot();
  ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  EXPECT_TRUE(txn->Get(ro, "k", &value).IsInvalidArgument());
  EXPECT_TRUE(txn->NewIterator(ro)->status().IsInvalidArgument());
  EXPECT_TRUE(txn->Get({}, "k", nullptr).IsInvalidArgument());
  db_->ReleaseSnapshot(snapshot);
  ASSERT_TRUE(txn->Put("k", "v").ok());
  EXPECT_TRUE(txn->Commit().ok());

  WriteOptions both;
  both.sync = true;
  both.disable_wal = true;
  auto bad = Begin(TransactionOptions::kSnapshot, both);
  ASSERT_TRUE(bad->Put("k", "v2").ok());
  EXPECT_TRUE(bad->Commit().IsInvalidArgument());
  EXPECT_EQ(Get("k"), "v");
}

TEST_F(DbTransactionTest, AReadOnlyDbRefusesACommitThatWrites) {
  Put("k", "v");
  db_.reset();
  std::unique_ptr<DB> ro;
  ASSERT_TRUE(DB::OpenForReadOnly(options_, kPath, &ro).ok());
  auto txn = ro->BeginTransaction({}, {});
  EXPECT_EQ(Get(txn.get(), "k"), "v");
  ASSERT_TRUE(txn->Put("k", "new").ok());
  EXPECT_TRUE(txn->Commit().IsNotSupported());
}

// A crash (power loss) while a synced commit is being logged leaves all of
// the transaction or none of it; an acknowledged synced commit survives.
TEST_F(DbTransactionTest, ACrashDuringCommitLeavesAllOrNothing) {
  WriteOptions synced;
  synced.sync = true;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    auto done = Begin(TransactionOptions::kSnapshot, synced);
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(done->Put(test::KeyFor(i), "done" + std::to_string(round)).ok());
    ASSERT_TRUE(done->Commit().ok());
    // Unsynced: the crash keeps a random part of its WAL record.
    auto torn = Begin();
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(torn->Put(test::KeyFor(i), "torn" + std::to_string(round)).ok());
    ASSERT_TRUE(torn->Put(test::KeyFor(100), std::string(5000, 'x')).ok());
    ASSERT_TRUE(torn->Commit().ok());
    db_.reset();
    fs_.SimulateCrash(MemFileSystem::TailLoss::kMixed, round);
    Open();
    const std::string first = Get(test::KeyFor(0));
    ASSERT_TRUE(first == "done" + std::to_string(round) || first == "torn" + std::to_string(round))
        << first;
    for (int i = 1; i < 5; ++i) EXPECT_EQ(Get(test::KeyFor(i)), first);
    EXPECT_EQ(Get(test::KeyFor(100)) != "NOT_FOUND", first[0] == 't');
  }
}

// With a memory budget, a transaction's pending writes (its arena's pages)
// are charged to it: writes past the budget get MemoryLimit, the transaction
// stays usable, and ending it gives everything back.
TEST_F(DbTransactionTest, BufferedWritesAreChargedToTheMemoryBudget) {
  auto budget = TightBudget(std::size_t{8} << 20);
  ASSERT_NO_FATAL_FAILURE(Open());
  const std::size_t before = budget->charged();
  auto txn = Begin();
  const std::string value(100 << 10, 'v');
  int written = 0;
  Status s;
  for (; written < 200; ++written) {  // 20 MB: more than the budget
    s = txn->Put(test::KeyFor(written), value);
    if (!s.ok()) break;
  }
  EXPECT_TRUE(s.IsMemoryLimit()) << s.ToString();
  EXPECT_GT(written, 10);
  EXPECT_GE(budget->charged(MemoryBudget::Consumer::kTransactions),
            static_cast<std::size_t>(written) * value.size());
  EXPECT_LE(budget->charged(), budget->limit());
  // Still usable: every write made reads back, through Get and an iterator.
  std::string got;
  s = txn->Get({}, test::KeyFor(written - 1), &got);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(got == value) << got.size() << " bytes";
  EXPECT_TRUE(txn->Get({}, "never written", &got).IsNotFound());
  std::unique_ptr<Iterator> it = txn->NewIterator({});
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++seen) {
    EXPECT_EQ(it->key(), test::KeyFor(seen));
    EXPECT_TRUE(it->value() == value);
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(seen, written);
  it.reset();
  EXPECT_LE(budget->charged(), budget->limit());
  // Given back at the end, except the pages the recycled arena keeps
  // warm for the next transaction (one arena idle here).
  ASSERT_TRUE(txn->Rollback().ok());
  const std::size_t warm = budget->charged(MemoryBudget::Consumer::kTransactions);
  EXPECT_LE(warm, TransactionImpl::kIndexKeepBytes);
  EXPECT_EQ(budget->charged(), before + warm);
  auto small = Begin();
  ASSERT_TRUE(small->Put("k", "v").ok());
  EXPECT_GT(budget->charged(MemoryBudget::Consumer::kTransactions), 0u);
  ASSERT_TRUE(small->Commit().ok());
  EXPECT_LE(budget->charged(MemoryBudget::Consumer::kTransactions),
            TransactionImpl::kIndexKeepBytes);
  EXPECT_EQ(Get("k"), "v");
}

// A transaction's own writes live in an arena of its own, which is not
// made and released per transaction (a quarter of a millisecond of system
// calls) but recycled: reset at the end, with some pages kept warm and
// charged, and handed to the next transaction.
TEST_F(DbTransactionTest, TheWriteSetArenaIsRecycledAcrossTransactions) {
  auto budget = MemoryBudget::Create(std::size_t{64} << 20);
  options_.memory_budget = budget;
  Open();
  auto run = [&](int i) {
    auto txn = Begin();
    ASSERT_TRUE(txn->Put(test::KeyFor(i), "value").ok());
    std::string got;
    ASSERT_TRUE(txn->Get({}, test::KeyFor(i), &got).ok());
    EXPECT_EQ(got, "value");
    EXPECT_GT(budget->charged(MemoryBudget::Consumer::kTransactions), 0u);
    ASSERT_TRUE(txn->Commit().ok());
  };
  run(0);
  const std::size_t warm = budget->charged(MemoryBudget::Consumer::kTransactions);
  EXPECT_GT(warm, 0u);
  EXPECT_LE(warm, TransactionImpl::kIndexKeepBytes);
  for (int i = 1; i < 50; ++i) {
    run(i);
    ASSERT_EQ(budget->charged(MemoryBudget::Consumer::kTransactions), warm) << i;
  }
  // Two at once need two arenas; both wait for the next ones afterwards.
  {
    auto a = Begin();
    auto b = Begin();
    ASSERT_TRUE(a->Put("a", "1").ok());
    ASSERT_TRUE(b->Put("b", "2").ok());
    ASSERT_TRUE(a->Commit().ok());
    ASSERT_TRUE(b->Commit().ok());
  }
  EXPECT_LE(budget->charged(MemoryBudget::Consumer::kTransactions),
            2 * TransactionImpl::kIndexKeepBytes);
  EXPECT_EQ(Get(test::KeyFor(49)), "value");
  EXPECT_EQ(Get("b"), "2");
}

// The pending writes live once, in the transaction's arena: reads of them
// (a Get, an iterator) make no second copy, so the budget is charged about
// the write set's size however the transaction reads.
TEST_F(DbTransactionTest, ATransactionHoldsItsPendingWritesOnce) {
  auto budget = MemoryBudget::Create(std::size_t{256} << 20);
  options_.memory_budget = budget;
  Open();
  auto txn = Begin();
  const std::string value(10 << 10, 'v');
  const int n = 400;  // 4 MB
  for (int i = 0; i < n; ++i) ASSERT_TRUE(txn->Put(test::KeyFor(i), value).ok());
  const std::size_t written = n * (value.size() + test::KeyFor(0).size());
  const std::size_t most = written + written / 4 + TransactionImpl::kIndexKeepBytes;
  EXPECT_GE(budget->charged(MemoryBudget::Consumer::kTransactions), written);
  EXPECT_LE(budget->charged(MemoryBudget::Consumer::kTransactions), most);
  std::string got;
  ASSERT_TRUE(txn->Get({}, test::KeyFor(n - 1), &got).ok());
  EXPECT_TRUE(got == value);
  std::unique_ptr<Iterator> it = txn->NewIterator({});
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++seen;
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(seen, n);
  EXPECT_LE(budget->charged(MemoryBudget::Consumer::kTransactions), most)
      << "the pending writes are held twice";
  it.reset();
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Get(test::KeyFor(7)), value);
}

// A write set larger than its first arena moves to an arena of twice the
// capacity or more (2 x kMinIndexCapacity of writes cannot fit in the first
// one): nothing is lost, save points still undo exactly their writes, and
// an iterator positioned before the move keeps reading the old arena.
TEST_F(DbTransactionTest, AWriteSetOutgrowingItsArenaMovesToALargerOne) {
  options_.write_buffer_size = 64 << 20;
  Open();
  auto txn = Begin();
  const std::string value(64 << 10, 'v');
  const int n = 2 * static_cast<int>(TransactionImpl::kMinIndexCapacity / value.size());
  ASSERT_TRUE(txn->Put("first", "1").ok());
  ASSERT_TRUE(txn->Put("second", "2").ok());
  std::unique_ptr<Iterator> early = txn->NewIterator({});
  early->SeekToFirst();
  ASSERT_TRUE(early->Valid());
  EXPECT_EQ(early->key(), "first");
  txn->SetSavePoint();  // two writes
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(txn->Put(test::KeyFor(i), value + std::to_string(i)).ok()) << i;
    if (i == n / 2) txn->SetSavePoint();
  }
  ASSERT_TRUE(txn->Put("first", "changed").ok());
  EXPECT_EQ(Get(txn.get(), "first"), "changed");
  EXPECT_EQ(Get(txn.get(), test::KeyFor(n - 1)), value + std::to_string(n - 1));
  EXPECT_EQ(early->value(), "1");
  early->Next();
  ASSERT_TRUE(early->Valid());
  EXPECT_EQ(early->key(), "second");
  early->Next();
  EXPECT_FALSE(early->Valid());
  EXPECT_TRUE(early->status().ok()) << early->status().ToString();
  early.reset();
  ASSERT_TRUE(txn->RollbackToSavePoint().ok());  // back to write n / 2
  EXPECT_EQ(Get(txn.get(), "first"), "1");
  EXPECT_EQ(Get(txn.get(), test::KeyFor(n / 2)), value + std::to_string(n / 2));
  EXPECT_EQ(Get(txn.get(), test::KeyFor(n / 2 + 1)), "NOT_FOUND");
  ASSERT_TRUE(txn->Put("third", "3").ok());
  {
    auto committed = Begin();  // the first transaction's writes stay its own
    EXPECT_EQ(Get(committed.get(), "first"), "NOT_FOUND");
  }
  txn->SetSavePoint();
  ASSERT_TRUE(txn->RollbackToSavePoint().ok());  // nothing since: nothing undone
  EXPECT_EQ(Get(txn.get(), "third"), "3");
  ASSERT_TRUE(txn->RollbackToSavePoint().ok());  // back to the two first writes
  EXPECT_EQ(Get(txn.get(), test::KeyFor(0)), "NOT_FOUND");
  EXPECT_EQ(Get(txn.get(), "third"), "NOT_FOUND");
  EXPECT_EQ(Scan(txn.get()), (KvVector{{"first", "1"}, {"second", "2"}}));
  ASSERT_TRUE(txn->Put(test::KeyFor(1), "small").ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Get("first"), "1");
  EXPECT_EQ(Get("second"), "2");
  EXPECT_EQ(Get(test::KeyFor(0)), "NOT_FOUND");
  EXPECT_EQ(Get(test::KeyFor(1)), "small");
}

// The commit record holds the newest own write of each key: what a key was
// overwritten with earlier in the transaction never reaches the DB.
TEST_F(DbTransactionTest, OnlyTheNewestOwnWriteOfAKeyIsCommitted) {
  Put("gone", "db");
  auto txn = Begin();
  ASSERT_TRUE(txn->Put("k", "a").ok());
  ASSERT_TRUE(txn->Delete("k").ok());
  ASSERT_TRUE(txn->Put("k", "c").ok());
  ASSERT_TRUE(txn->Put("gone", "x").ok());
  ASSERT_TRUE(txn->Delete("gone").ok());
  ASSERT_TRUE(txn->Put("only", "once").ok());
  const Snapshot* before = db_->GetSnapshot();
  ASSERT_TRUE(txn->Commit().ok());
  const Snapshot* after = db_->GetSnapshot();
  EXPECT_EQ(after->sequence() - before->sequence(), 3u) << "one write per key committed";
  db_->ReleaseSnapshot(before);
  db_->ReleaseSnapshot(after);
  EXPECT_EQ(Get("k"), "c");
  EXPECT_EQ(Get("gone"), "NOT_FOUND");
  EXPECT_EQ(Get("only"), "once");
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(Get("k"), "c");
  EXPECT_EQ(Get("gone"), "NOT_FOUND");
}

// Rolling back to a save point copies the writes before it into a new
// arena, and a commit charges its record: with no room in the budget for
// either, MemoryLimit. A refused rollback changes nothing; a refused commit
// writes nothing and gives every charge back.
TEST_F(DbTransactionTest, ARollbackOrCommitTheBudgetHasNoRoomForGetsMemoryLimit) {
  auto budget = TightBudget(std::size_t{16} << 20);
  ASSERT_NO_FATAL_FAILURE(Open());
  const std::size_t before = budget->charged();
  auto txn = Begin();
  const std::string value(100 << 10, 'v');
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(txn->Put(test::KeyFor(i), value).ok());
    if (i == 9) txn->SetSavePoint();
  }
  std::size_t fill = budget->limit() - budget->charged();
  ASSERT_TRUE(budget->TryCharge(MemoryBudget::Consumer::kOther, fill));
  Status s = txn->RollbackToSavePoint();
  EXPECT_TRUE(s.IsMemoryLimit()) << s.ToString();
  EXPECT_EQ(Get(txn.get(), test::KeyFor(19)), value);  // unchanged
  budget->Release(MemoryBudget::Consumer::kOther, fill);
  ASSERT_TRUE(txn->RollbackToSavePoint().ok());  // the mark stayed
  EXPECT_EQ(Get(txn.get(), test::KeyFor(9)), value);
  EXPECT_EQ(Get(txn.get(), test::KeyFor(10)), "NOT_FOUND");
  fill = budget->limit() - budget->charged();
  ASSERT_TRUE(budget->TryCharge(MemoryBudget::Consumer::kOther, fill));
  s = txn->Commit();
  EXPECT_TRUE(s.IsMemoryLimit()) << s.ToString();
  EXPECT_LE(budget->charged(), budget->limit());
  budget->Release(MemoryBudget::Consumer::kOther, fill);
  EXPECT_EQ(Get(test::KeyFor(0)), "NOT_FOUND");
  EXPECT_LE(budget->charged(), before + TransactionImpl::kIndexKeepBytes);
}

// Idle write-set arenas keep pages charged to the budget; a writer the
// budget stalls frees them first.
TEST_F(DbTransactionTest, AStalledWriterDropsIdleWriteSetArenas) {
  auto budget = TightBudget(std::size_t{2} << 20);
  ASSERT_NO_FATAL_FAILURE(Open());
  {
    std::vector<std::unique_ptr<Transaction>> open;
    for (int t = 0; t < 8; ++t) {
      open.push_back(Begin());
      ASSERT_TRUE(open.back()->Put("t" + std::to_string(t), "v").ok());
    }
    for (auto& txn : open) ASSERT_TRUE(txn->Commit().ok());
  }
  ASSERT_GT(budget->charged(MemoryBudget::Consumer::kTransactions), 0u);
  const std::string value(1000, 'x');
  for (int i = 0; i < 20000; ++i) {  // 20 MB through a 2 MB budget
    ASSERT_TRUE(db_->Put({}, test::KeyFor(i), value).ok()) << i;
  }
  EXPECT_EQ(budget->charged(MemoryBudget::Consumer::kTransactions), 0u);
  EXPECT_EQ(Get("t3"), "v");
}

// Random transfers between accounts from 8 threads: every committed
// transaction moves money, none creates or destroys it, so the sum of the
// balances is constant in every snapshot.
void RunBankTransfers(DB* db, TransactionOptions::Isolation isolation) {
  constexpr int kAccounts = 16;
  constexpr int kInitial = 1000;
  constexpr int kThreads = 8;
  const int transfers_per_thread = 400 / test::kScale;
  for (int a = 0; a < kAccounts; ++a) {
    ASSERT_TRUE(db->Put({}, test::KeyFor(a), std::to_string(kInitial)).ok());
  }
  test::Failures failures;
  std::atomic<int> committed{0}, busy{0};
  std::atomic<bool> stop{false};
  auto transfer_loop = [&](int thread) {
    std::mt19937_64 rng(thread);
    TransactionOptions txn_options;
    txn_options.isolation = isolation;
    for (int n = 0; n < transfers_per_thread; ++n) {
      const int from = static_cast<int>(rng() % kAccounts);
      const int to = static_cast<int>((from + 1 + rng() % (kAccounts - 1)) % kAccounts);
      const int amount = static_cast<int>(rng() % 50);
      for (;;) {
        auto txn = db->BeginTransaction({}, txn_options);
        std::string a, b;
        // Snapshot isolation needs GetForUpdate to validate the balances
        // it reads; serializable validates a plain Get.
        Status s = isolation == TransactionOptions::kSnapshot
                       ? txn->GetForUpdate({}, test::KeyFor(from), &a)
                       : txn->Get({}, test::KeyFor(from), &a);
        if (s.ok()) {
          s = isolation == TransactionOptions::kSnapshot
                  ? txn->GetForUpdate({}, test::KeyFor(to), &b)
                  : txn->Get({}, test::KeyFor(to), &b);
        }
        if (s.ok()) s = txn->Put(test::KeyFor(from), std::to_string(std::stoi(a) - amount));
        if (s.ok()) s = txn->Put(test::KeyFor(to), std::to_string(std::stoi(b) + amount));
        if (s.ok()) s = txn->Commit();
        if (s.ok()) {
          committed.fetch_add(1, std::memory_order_relaxed);
          break;
        }
        if (!s.IsBusy()) {
          failures.Add("transfer: " + s.ToString());
          return;
        }
        busy.fetch_add(1, std::memory_order_relaxed);
      }
    }
  };
  // A reader checks the invariant in snapshots (through a read-only
  // serializable transaction, which commits without validation).
  auto audit_loop = [&] {
    while (!stop.load(std::memory_order_relaxed)) {
      TransactionOptions txn_options;
      txn_options.isolation = TransactionOptions::kSerializable;
      auto txn = db->BeginTransaction({}, txn_options);
      std::unique_ptr<Iterator> it = txn->NewIterator({});
      long long sum = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next()) sum += std::stoll(std::string(it->value()));
      if (!it->status().ok()) failures.Add("audit: " + it->status().ToString());
      if (sum != static_cast<long long>(kAccounts) * kInitial) {
        failures.Add("audit: sum " + std::to_string(sum));
      }
      it.reset();
      if (!txn->Commit().ok()) failures.Add("audit commit");
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(transfer_loop, t);
  std::thread auditor(audit_loop);
  for (auto& t : threads) t.join();
  stop.store(true);
  auditor.join();
  EXPECT_EQ(failures.count(), 0) << failures.Report();
  EXPECT_EQ(committed.load(), kThreads * transfers_per_thread);
  long long sum = 0;
  for (int a = 0; a < kAccounts; ++a) {
    std::string v;
    ASSERT_TRUE(db->Get({}, test::KeyFor(a), &v).ok());
    sum += std::stoll(v);
  }
  EXPECT_EQ(sum, static_cast<long long>(kAccounts) * kInitial);
  // 8 threads on 16 accounts: some transfers must have collided and retried
  // on most machines, but that depends on scheduling; only report it.
  std::printf("committed %d, busy %d\n", committed.load(), busy.load());
}

TEST_F(DbTransactionTest, BankTransfersKeepTheSumUnderSnapshotIsolation) {
  RunBankTransfers(db_.get(), TransactionOptions::kSnapshot);
}

TEST_F(DbTransactionTest, BankTransfersKeepTheSumUnderSerializable) {
  RunBankTransfers(db_.get(), TransactionOptions::kSerializable);
}

// Write skew under contention: each transaction reads both balances with a
// plain Get and withdraws 10 from one of them only if their sum covers it, so
// that the sum never goes below zero. Each writes only one key: only the
// validation of what it read (serializable) keeps the rule. Each round
// starts 8 threads at once on x = 10, y = 5, where any two withdrawals
// from different keys would break it.
TEST_F(DbTransactionTest, SerializableKeepsARuleOverKeysNobodyWritesTogether) {
  test::Failures failures;
  for (int round = 0; round < 40 / test::kScale; ++round) {
    Put("x", "10");
    Put("y", "5");
    std::atomic<int> ready{0};
    auto withdraw = [&](int thread) {
      auto txn = Begin(TransactionOptions::kSerializable);
      ready.fetch_add(1);
      while (ready.load() < 8) std::this_thread::yield();
      std::string x, y;
      Status s = txn->Get({}, "x", &x);
      if (s.ok()) s = txn->Get({}, "y", &y);
      if (!s.ok()) return failures.Add("read: " + s.ToString());
      if (std::stoi(x) + std::stoi(y) < 10) return;
      const bool from_x = thread % 2 == 0;
      s = txn->Put(from_x ? "x" : "y", std::to_string(std::stoi(from_x ? x : y) - 10));
      if (s.ok()) s = txn->Commit();
      if (!s.ok() && !s.IsBusy()) failures.Add("commit: " + s.ToString());
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) threads.emplace_back(withdraw, t);
    for (auto& t : threads) t.join();
    const int sum = std::stoi(Get("x")) + std::stoi(Get("y"));
    if (sum < 0) failures.Add("round " + std::to_string(round) + ": sum " + std::to_string(sum));
  }
  EXPECT_EQ(failures.count(), 0) << failures.Report();
}

// A lost update through plain reads under snapshot isolation is still
// refused: the written key itself is validated.
TEST_F(DbTransactionTest, AWrittenKeyIsValidatedAlsoWhenReadWithAPlainGet) {
  Put("acct", "100");
  auto t1 = Begin(TransactionOptions::kSnapshot);
  auto t2 = Begin(TransactionOptions::kSnapshot);
  std::string a, b;
  ASSERT_TRUE(t1->Get({}, "acct", &a).ok());  // plain Get: not validated
  ASSERT_TRUE(t2->Get({}, "acct", &b).ok());
  ASSERT_TRUE(t1->Put("acct", std::to_string(std::stoi(a) + 10)).ok());
  ASSERT_TRUE(t2->Put("acct", std::to_string(std::stoi(b) + 10)).ok());
  ASSERT_TRUE(t1->Commit().ok());
  EXPECT_TRUE(t2->Commit().IsBusy());
  EXPECT_EQ(Get("acct"), "110");
}

}  // namespace
}  // namespace arenakv
