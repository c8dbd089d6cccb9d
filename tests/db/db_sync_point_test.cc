// SPDX-License-Identifier: Apache-2.0
// Races and crashes placed exactly, with SyncPoint (mvcc/util/sync_point.h):
// a write group in which one member's memtable insert fails, the write
// pipeline (a later group inserting beside an earlier one), a power loss
// between a flush's table and its manifest edit, and one between a
// compaction's install and the deletion of its inputs. Black-box on a
// MemFileSystem, apart from the named points.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "mvcc/db/wal_marker.h"
#include "mvcc/env/filename.h"
#include "mvcc/log/log_writer.h"
#include "mvcc/util/sync_point.h"
#include "tests/support/db_files.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using test::FilesWithSuffix;
using test::KeyFor;

constexpr const char* kDir = "/db";

class DbSyncPointTest : public ::testing::Test {
 protected:
  DbSyncPointTest() { options_.file_system = &fs_; }
  ~DbSyncPointTest() override {
    // Before db_ and fs_ die: no callback may run against them any more.
    SyncPoint::Get()->DisableProcessing();
    SyncPoint::Get()->ClearAll();
  }

  void Open() {
    db_.reset();
    Status s = DB::Open(options_, kDir, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::string Get(std::string_view key) { return test::GetOrNotFound(db_.get(), key); }

  MemFileSystem fs_;  // outlives db_
  Options options_;
  std::unique_ptr<DB> db_;
};

// Spins until `done()` or about 20 s; false on timeout.
template <typename Done>
bool WaitFor(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// Flush() on its own thread, held right after its table is written (the
// memtable rotated, the manifest not yet edited) until Release().
class HeldFlush {
 public:
  explicit HeldFlush(DB* db) {
    SyncPoint* sp = SyncPoint::Get();
    sp->SetCallBack("DBImpl::FlushOldest:TableWritten", [this](void*) {
      held_ = true;
      if (!WaitFor([this] { return release_.load(); })) timed_out_ = true;
    });
    sp->EnableProcessing();
    thread_ = std::thread([this, db] { status_ = db->Flush(); });
  }
  ~HeldFlush() {
    if (thread_.joinable()) (void)Release();
  }
  HeldFlush(const HeldFlush&) = delete;
  HeldFlush& operator=(const HeldFlush&) = delete;

  // Waits until the flush is held; false after about 20 s.
  bool Held() const {
    return WaitFor([this] { return held_.load(); });
  }
  // Lets the flush go on; returns what Flush() returned.
  Status Release() {
    release_ = true;
    thread_.join();
    SyncPoint::Get()->DisableProcessing();
    return status_;
  }
  bool timed_out() const { return timed_out_.load(); }

 private:
  std::atomic<bool> held_{false}, release_{false}, timed_out_{false};
  Status status_;
  std::thread thread_;
};

// DB::Put of a large value logs it and inserts it from the caller's buffer:
// the batch handed to the insert holds the key, not the megabyte (before,
// every large Put held a second copy of its value in its batch). The WAL
// record is the whole write: a synced Put survives a crash, also beside
// small writes of the same group.
TEST_F(DbSyncPointTest, ALargePutIsNotCopiedIntoItsBatch) {
  Open();
  std::atomic<std::size_t> largest_batch{0};
  SyncPoint* sp = SyncPoint::Get();
  sp->SetCallBack("DBImpl::WriteImpl:BeforeInsert", [&](void* arg) {
    const std::size_t size = static_cast<const WriteBatch*>(arg)->ApproximateSize();
    std::size_t seen = largest_batch.load();
    while (size > seen && !largest_batch.compare_exchange_weak(seen, size)) {
    }
  });
  sp->EnableProcessing();
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + i / 4096);
  WriteOptions synced;
  synced.sync = true;
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        const std::string value = t == 0 ? big.substr(i) : key;  // 1 MiB - i bytes, or small
        EXPECT_TRUE(db_->Put(synced, key, value).ok());
      }
    });
  }
  for (std::thread& w : writers) w.join();
  sp->DisableProcessing();
  EXPECT_LT(largest_batch.load(), 1024u);
  const auto check = [&] {
    for (int t = 0; t < 3; ++t) {
      for (int i = 0; i < 20; ++i) {
        const std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        ASSERT_EQ(Get(key), t == 0 ? big.substr(i) : key) << key;
      }
    }
  };
  check();
  fs_.SimulateCrash();  // the memtable is gone: replay of the WAL alone
  Open();
  check();
}

// Two writers form one group behind a first writer; the memtable refuses
// one member's batch. The group's sequence is never published, so the other
// member's write is invisible too: it must not hear OK (it did before).
TEST_F(DbSyncPointTest, EveryMemberOfAGroupWithAFailedInsertHearsAnError) {
  Open();
  std::atomic<int> queued{0};
  std::atomic<bool> first_wal{true};
  std::atomic<bool> timed_out{false};
  std::atomic<int> inserting_in_group{0};
  SyncPoint* sp = SyncPoint::Get();
  sp->SetCallBack("WriteQueue::Join:Queued", [&](void*) { queued.fetch_add(1); });
  // The first writer holds its group open (WAL written, not inserted) until
  // both others queue behind it; they then form the next group together.
  sp->SetCallBack("DBImpl::WriteImpl:WalWritten", [&](void*) {
    if (first_wal.exchange(false) && !WaitFor([&] { return queued.load() >= 2; })) {
      timed_out = true;
    }
  });
  thread_local const WriteBatch* inserting = nullptr;
  sp->SetCallBack("DBImpl::WriteImpl:BeforeInsert", [&](void* arg) {
    inserting = static_cast<const WriteBatch*>(arg);
    if (inserting->Contents().find("member") != std::string_view::npos) {
      inserting_in_group.fetch_add(1);
    }
  });
  sp->SetCallBack("DBImpl::WriteImpl:AfterInsert", [&](void* arg) {
    if (inserting->Contents().find("bad-member") != std::string_view::npos) {
      *static_cast<Status*>(arg) = Status::MemoryLimit("injected by the test");
    }
  });
  sp->EnableProcessing();

  Status first, good, bad;
  std::thread t1([&] { first = db_->Put({}, "first", "1"); });
  ASSERT_TRUE(WaitFor([&] { return !first_wal.load(); }));  // t1 leads and waits
  std::thread t2([&] { good = db_->Put({}, "good-member", "2"); });
  std::thread t3([&] { bad = db_->Put({}, "bad-member", "3"); });
  t1.join();
  t2.join();
  t3.join();
  sp->DisableProcessing();
  ASSERT_FALSE(timed_out.load()) << "the two writers never queued behind the first";
  ASSERT_EQ(inserting_in_group.load(), 2);

  EXPECT_TRUE(first.ok()) << first.ToString();
  EXPECT_TRUE(bad.IsMemoryLimit()) << bad.ToString();
  EXPECT_TRUE(good.IsMemoryLimit()) << "a member of a failed group heard " << good.ToString();
  EXPECT_EQ(Get("first"), "1");
  EXPECT_EQ(Get("good-member"), "NOT_FOUND");
  EXPECT_EQ(Get("bad-member"), "NOT_FOUND");
  // The error is sticky until a reopen, which replays the WAL: a write that
  // failed this way may be applied then (as after any failed write).
  EXPECT_FALSE(db_->Put({}, "later", "x").ok());
  Open();
  EXPECT_EQ(Get("first"), "1");
  EXPECT_EQ(Get("good-member"), "2");
  EXPECT_EQ(Get("bad-member"), "3");
}

// The write pipeline, with a first writer ("slow") held just before its
// memtable insert (its group has its sequence, and its WAL record unless
// disable_wal) until the test lets it go.
class DbWritePipelineTest : public DbSyncPointTest {
 protected:
  void HoldSlowWriter() {
    SyncPoint* sp = SyncPoint::Get();
    sp->SetCallBack("DBImpl::WriteImpl:BeforeInsert", [&](void* arg) {
      inserting_ = static_cast<const WriteBatch*>(arg);
      if (inserting_->Contents().find("slow") == std::string_view::npos) return;
      slow_held_ = true;
      if (!WaitFor([&] { return release_slow_.load(); })) timed_out_ = true;
    });
    sp->SetCallBack("DBImpl::WriteImpl:AfterInsert", [&](void* arg) {
      if (inserting_->Contents().find("slow") != std::string_view::npos) {
        if (fail_slow_) *static_cast<Status*>(arg) = Status::MemoryLimit("injected by the test");
      } else {
        others_inserted_.fetch_add(1);
      }
    });
    sp->EnableProcessing();
  }

  static thread_local const WriteBatch* inserting_;
  std::atomic<bool> slow_held_{false};
  std::atomic<bool> release_slow_{false};
  std::atomic<bool> fail_slow_{false};
  std::atomic<bool> timed_out_{false};
  std::atomic<int> others_inserted_{0};
};

thread_local const WriteBatch* DbWritePipelineTest::inserting_ = nullptr;

// A later writer leads its own group, logs it and inserts it while the
// earlier group still inserts (before, it waited for that group to retire),
// but its write stays invisible, and its Put does not return, until the
// earlier group is published: groups are published in order.
TEST_F(DbWritePipelineTest, ALaterGroupInsertsBesideAnEarlierOneAndIsPublishedAfterIt) {
  Open();
  HoldSlowWriter();
  Status slow, fast;
  std::atomic<bool> fast_returned{false};
  std::thread t1([&] { slow = db_->Put({}, "slow", "1"); });
  ASSERT_TRUE(WaitFor([&] { return slow_held_.load(); }));
  std::thread t2([&] {
    fast = db_->Put({}, "fast", "2");
    fast_returned = true;
  });
  const bool overlapped = WaitFor([&] { return others_inserted_.load() == 1; });
  const std::string fast_while_held = Get("fast");
  const bool returned_while_held = fast_returned.load();
  release_slow_ = true;
  t1.join();
  t2.join();
  SyncPoint::Get()->DisableProcessing();
  ASSERT_FALSE(timed_out_.load());
  EXPECT_TRUE(overlapped) << "the second group never inserted while the first was held";
  EXPECT_EQ(fast_while_held, "NOT_FOUND");
  EXPECT_FALSE(returned_while_held);
  EXPECT_TRUE(slow.ok()) << slow.ToString();
  EXPECT_TRUE(fast.ok()) << fast.ToString();
  EXPECT_EQ(Get("slow"), "1");
  EXPECT_EQ(Get("fast"), "2");
}

// A flush never waits behind compactions: while the compaction thread is
// held where it deletes a finished compaction's inputs (which takes hundreds
// of milliseconds for large files) and a second compaction is due, a flush
// still runs. (When any thread took any job, the other one took the second
// compaction and nothing flushed.)
TEST_F(DbSyncPointTest, AFlushRunsWhileTheCompactionThreadDeletesInputs) {
  options_.level0_file_num_compaction_trigger = 2;
  options_.max_background_jobs = 2;
  Open();
  SyncPoint* sp = SyncPoint::Get();
  std::atomic<bool> drop_held{false}, release{false}, timed_out{false};
  std::atomic<int> installed{0};
  sp->SetCallBack("DBImpl::DropOutsideLock", [&](void*) {
    if (drop_held.exchange(true)) return;  // the first compaction's drop only
    if (!WaitFor([&] { return release.load(); })) timed_out = true;
  });
  sp->SetCallBack("DBImpl::RunCompaction:Installed", [&](void*) {
    if (installed.fetch_add(1) == 0) return;  // later compactions wait too
    if (!WaitFor([&] { return release.load(); })) timed_out = true;
  });
  sp->EnableProcessing();
  auto put_and_flush = [&](const std::string& key) {
    Status s = db_->Put({}, key, "v");
    if (s.ok()) s = db_->Flush();
    return s;
  };
  ASSERT_TRUE(put_and_flush("a").ok());
  ASSERT_TRUE(put_and_flush("b").ok());  // level 0 at the trigger: compaction 1
  ASSERT_TRUE(WaitFor([&] { return drop_held.load(); }));
  // Two more files make a second compaction due.
  Status second;
  std::atomic<bool> second_done{false};
  std::thread t([&] {
    second = put_and_flush("c");
    if (second.ok()) second = put_and_flush("d");
    if (second.ok()) second = put_and_flush("e");
    second_done = true;
  });
  const bool flushed_while_held = WaitFor([&] { return second_done.load(); });
  release = true;
  t.join();
  sp->DisableProcessing();
  EXPECT_FALSE(timed_out.load());
  EXPECT_TRUE(flushed_while_held) << "the flushes waited for the compaction thread";
  EXPECT_TRUE(second.ok()) << second.ToString();
  EXPECT_EQ(Get("e"), "v");
}

// Background work is pending until a compaction's inputs are let go of:
// a caller that waited for arenakv.compaction-pending to read 0 finds the
// obsolete files deleted. (It read 0 while the compaction thread was still
// about to delete them, and a test counting files on disk was flaky.)
TEST_F(DbSyncPointTest, BackgroundWorkIsPendingUntilTheInputsAreDropped) {
  options_.level0_file_num_compaction_trigger = 2;
  Open();
  SyncPoint* sp = SyncPoint::Get();
  std::atomic<bool> drop_held{false}, release{false}, timed_out{false};
  sp->SetCallBack("DBImpl::DropOutsideLock", [&](void*) {
    if (drop_held.exchange(true)) return;
    if (!WaitFor([&] { return release.load(); })) timed_out = true;
  });
  sp->EnableProcessing();
  ASSERT_TRUE(db_->Put({}, "a", "1").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Put({}, "b", "2").ok());
  ASSERT_TRUE(db_->Flush().ok());  // level 0 at the trigger: a compaction
  ASSERT_TRUE(WaitFor([&] { return drop_held.load(); }));
  std::string pending;
  ASSERT_TRUE(db_->GetProperty("arenakv.compaction-pending", &pending));
  release = true;
  sp->DisableProcessing();
  EXPECT_FALSE(timed_out.load());
  EXPECT_EQ(pending, "1");
  test::WaitForBackgroundWork(db_.get());
  EXPECT_EQ(Get("a"), "1");
}

// An iterator created while a flush is between its garbage collection and
// its install refreshes onto the flush's output at its next seek, and reads
// what it read before: the flush collected against a sequence no newer than
// the iterator's (ReadOptions::auto_refresh_iterator).
TEST_F(DbSyncPointTest, AnIteratorCreatedDuringAFlushRefreshesOntoItsOutput) {
  Open();
  ASSERT_TRUE(db_->Put({}, "a", "1").ok());
  ASSERT_TRUE(db_->Put({}, "b", "1").ok());
  ASSERT_TRUE(db_->Put({}, "a", "2").ok());  // the flush drops a=1
  HeldFlush flush(db_.get());
  ASSERT_TRUE(flush.Held());
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  ASSERT_TRUE(db_->Put({}, "a", "3").ok());  // newer than the iterator
  ASSERT_TRUE(db_->Delete({}, "b").ok());
  ASSERT_TRUE(flush.Release().ok());
  EXPECT_FALSE(flush.timed_out());
  const std::vector<std::pair<std::string, std::string>> then = {{"a", "2"}, {"b", "1"}};
  EXPECT_EQ(test::ScanIterator(it.get()), then);
  EXPECT_EQ(test::StatsLine(db_.get(), "iterator_refreshes"), 1u);
  it.reset();
  EXPECT_EQ(Get("a"), "3");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
}

// The same with a compaction into the bottom level (which drops shadowed
// versions and zeroes sequences) held just before its install.
TEST_F(DbSyncPointTest, AnIteratorCreatedDuringACompactionRefreshesOntoItsOutput) {
  options_.level0_file_num_compaction_trigger = 2;
  Open();
  SyncPoint* sp = SyncPoint::Get();
  std::atomic<bool> held{false}, release{false}, timed_out{false};
  sp->SetCallBack("DBImpl::RunCompaction:BeforeInstall", [&](void*) {
    if (held.exchange(true)) return;
    if (!WaitFor([&] { return release.load(); })) timed_out = true;
  });
  sp->EnableProcessing();
  ASSERT_TRUE(db_->Put({}, "a", "1").ok());
  ASSERT_TRUE(db_->Put({}, "b", "1").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->Put({}, "a", "2").ok());
  ASSERT_TRUE(db_->Delete({}, "b").ok());
  ASSERT_TRUE(db_->Flush().ok());  // level 0 at the trigger: a compaction
  ASSERT_TRUE(WaitFor([&] { return held.load(); }));
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  ASSERT_TRUE(db_->Put({}, "a", "3").ok());
  ASSERT_TRUE(db_->Put({}, "b", "3").ok());
  release = true;
  test::WaitForBackgroundWork(db_.get());
  sp->DisableProcessing();
  EXPECT_FALSE(timed_out.load());
  EXPECT_EQ(test::StatsLine(db_.get(), "compactions"), 1u);
  const std::vector<std::pair<std::string, std::string>> then = {{"a", "2"}};
  EXPECT_EQ(test::ScanIterator(it.get()), then);
  EXPECT_EQ(test::StatsLine(db_.get(), "iterator_refreshes"), 1u);
  it.reset();
  EXPECT_EQ(Get("a"), "3");
  EXPECT_EQ(Get("b"), "3");
}

// A transaction's commit checks for conflicts only once every earlier group
// has inserted: a plain write logged before the commit but still inserting
// is seen by the check (Busy), never missed.
TEST_F(DbWritePipelineTest, ACommitChecksOnlyAfterTheGroupsInFlightInserted) {
  Open();
  std::unique_ptr<Transaction> txn = db_->BeginTransaction({}, {});
  ASSERT_TRUE(txn->Put("slow-key", "txn").ok());
  std::atomic<bool> awaiting{false}, validating{false};
  SyncPoint::Get()->SetCallBack("WriteQueue::AwaitInserts", [&](void*) { awaiting = true; });
  SyncPoint::Get()->SetCallBack("DBImpl::WriteImpl:Validate", [&](void*) { validating = true; });
  HoldSlowWriter();
  Status plain, commit;
  std::thread t1([&] { plain = db_->Put({}, "slow-key", "plain"); });
  ASSERT_TRUE(WaitFor([&] { return slow_held_.load(); }));
  std::thread t2([&] { commit = txn->Commit(); });
  const bool waited = WaitFor([&] { return awaiting.load(); });
  const bool validated_while_held = validating.load();
  release_slow_ = true;
  t1.join();
  t2.join();
  SyncPoint::Get()->DisableProcessing();
  ASSERT_FALSE(timed_out_.load());
  EXPECT_TRUE(waited) << "the commit never waited for the group in flight";
  EXPECT_FALSE(validated_while_held);
  EXPECT_TRUE(validating.load());
  EXPECT_TRUE(plain.ok()) << plain.ToString();
  EXPECT_TRUE(commit.IsBusy()) << commit.ToString();
  EXPECT_EQ(Get("slow-key"), "plain");
}

// When the earlier group's insert fails, the later group (which inserted
// fine) is not published either: its sequence would cover the failed batch.
// Both writers hear the error; a reopen replays both from the WAL.
TEST_F(DbWritePipelineTest, AFailedGroupHidesTheGroupsStartedAfterIt) {
  Open();
  fail_slow_ = true;
  HoldSlowWriter();
  Status slow, fast;
  std::thread t1([&] { slow = db_->Put({}, "slow", "1"); });
  ASSERT_TRUE(WaitFor([&] { return slow_held_.load(); }));
  std::thread t2([&] { fast = db_->Put({}, "fast", "2"); });
  const bool overlapped = WaitFor([&] { return others_inserted_.load() == 1; });
  release_slow_ = true;
  t1.join();
  t2.join();
  SyncPoint::Get()->DisableProcessing();
  ASSERT_FALSE(timed_out_.load());
  ASSERT_TRUE(overlapped) << "the second group never inserted while the first was held";
  EXPECT_TRUE(slow.IsMemoryLimit()) << slow.ToString();
  EXPECT_TRUE(fast.IsMemoryLimit()) << "a group after a failed one heard " << fast.ToString();
  EXPECT_EQ(Get("slow"), "NOT_FOUND");
  EXPECT_EQ(Get("fast"), "NOT_FOUND");
  EXPECT_FALSE(db_->Put({}, "later", "x").ok());
  Open();
  EXPECT_EQ(Get("slow"), "1");
  EXPECT_EQ(Get("fast"), "2");
}

// A flush (a memtable rotation) waits for the inserts still in flight into
// the memtable it retires: the held write, without the WAL, must land in the
// memtable before it becomes immutable (an insert into an immutable memtable
// fails), and so be in the flushed table.
TEST_F(DbWritePipelineTest, ARotationWaitsForTheInsertsInFlight) {
  Open();
  HoldSlowWriter();
  std::atomic<bool> rotation_waits{false};
  SyncPoint::Get()->SetCallBack("WriteQueue::AwaitInserts", [&](void*) { rotation_waits = true; });
  Status slow, flush;
  std::thread t1([&] {
    WriteOptions options;
    options.disable_wal = true;
    slow = db_->Put(options, "slow", "1");
  });
  ASSERT_TRUE(WaitFor([&] { return slow_held_.load(); }));
  std::thread t2([&] { flush = db_->Flush(); });
  const bool waited = WaitFor([&] { return rotation_waits.load(); });
  release_slow_ = true;
  t1.join();
  t2.join();
  SyncPoint::Get()->DisableProcessing();
  ASSERT_FALSE(timed_out_.load());
  EXPECT_TRUE(waited) << "the flush never reached the wait for inserts in flight";
  EXPECT_TRUE(slow.ok()) << slow.ToString();
  EXPECT_TRUE(flush.ok()) << flush.ToString();
  EXPECT_EQ(Get("slow"), "1");
  EXPECT_EQ(test::FilesAtLevel(db_.get(), 0), 1u);
  // Nothing was left in the new memtable: a second flush has nothing to write.
  ASSERT_TRUE(db_->Flush().ok());
  EXPECT_EQ(test::FilesAtLevel(db_.get(), 0), 1u);
}

// Power loss after a flush wrote its table and before the manifest names it:
// the WAL still holds the data (the last write was synced), the reopened DB
// has every write, and the orphan table is gone.
TEST_F(DbSyncPointTest, CrashBetweenFlushTableAndManifestEditLosesNothing) {
  Open();
  WriteOptions synced;
  synced.sync = true;
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(db_->Put(i == 199 ? synced : WriteOptions{}, KeyFor(i), "v").ok());
  std::atomic<int> crashes{0};
  SyncPoint::Get()->SetCallBack("DBImpl::FlushOldest:TableWritten", [&](void*) {
    if (crashes.fetch_add(1) == 0) fs_.SimulateCrash();
  });
  SyncPoint::Get()->EnableProcessing();
  EXPECT_FALSE(db_->Flush().ok());  // the manifest write after the crash fails
  SyncPoint::Get()->DisableProcessing();
  ASSERT_EQ(crashes.load(), 1);
  db_.reset();
  Open();
  for (int i = 0; i < 200; ++i) ASSERT_EQ(Get(KeyFor(i)), "v") << i;
  std::string files;
  ASSERT_TRUE(db_->GetProperty("arenakv.num-files-at-level0", &files));
  EXPECT_EQ(FilesWithSuffix(&fs_, kDir, ".sst").size(), std::stoul(files));
}

// A rotation does not sync the old log; a synced write made before its
// memtable is flushed syncs it before its own log, so that a power loss
// cannot keep the synced write and lose the writes before it (replay would
// stop at the old log's lost tail and drop the synced write too).
TEST_F(DbSyncPointTest, ASyncedWriteSyncsTheLogsARotationLeftUnsynced) {
  Open();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(db_->Put({}, KeyFor(i), "v").ok());
  HeldFlush held(db_.get());  // rotates; the flush then waits
  ASSERT_TRUE(held.Held());
  WriteOptions synced;
  synced.sync = true;
  const int dir_syncs = fs_.SyncDirCount(kDir);
  const Status put = db_->Put(synced, "synced", "y");
  // The rotation left the new log's name unsynced too: the synced write
  // makes it durable (the flush, held, syncs no directory meanwhile).
  EXPECT_GT(fs_.SyncDirCount(kDir), dir_syncs);
  fs_.SimulateCrash();  // the flush's manifest edit fails after this
  const Status flush = held.Release();
  ASSERT_FALSE(held.timed_out());
  ASSERT_TRUE(put.ok()) << put.ToString();
  EXPECT_FALSE(flush.ok());
  Open();
  EXPECT_EQ(Get("synced"), "y");
  for (int i = 0; i < 50; ++i) ASSERT_EQ(Get(KeyFor(i)), "v") << i;
}

// A flush records the newest published sequence in the manifest, which may
// count writes that are only in the next log (here the 20 made while the
// flush ran). A crash that empties that log must stop replay at the marker
// of the log after it, although the manifest "covers" the marker's sequence:
// applying the later log would leave a hole (it did).
TEST_F(DbSyncPointTest, ALogEmptiedByACrashStopsReplayAlthoughTheManifestCountsIt) {
  Open();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(db_->Put({}, KeyFor(i), "first").ok());
  HeldFlush held(db_.get());  // rotates to a second log
  ASSERT_TRUE(held.Held());
  for (int i = 20; i < 40; ++i) ASSERT_TRUE(db_->Put({}, KeyFor(i), "second").ok());
  const Status flush = held.Release();
  ASSERT_FALSE(held.timed_out());
  ASSERT_TRUE(flush.ok()) << flush.ToString();
  db_.reset();  // the second log, unflushed, stays
  const std::vector<std::string> logs = FilesWithSuffix(&fs_, kDir, ".log");
  ASSERT_EQ(logs.size(), 1u);
  const std::string second = logs[0].substr(logs[0].rfind('/') + 1);
  std::uint64_t number = 0;
  FileType type;
  ASSERT_TRUE(ParseFileName(second, &number, &type));
  // Pages of a third log, written after a rotation, reached the disk ...
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_.NewWritableFile(LogFileName(kDir, number + 100), &file).ok());
    LogWriter writer(file.get());
    const PredecessorMarker marker{.log_number = number, .last = 40, .has_records = true};
    ASSERT_TRUE(writer.AddRecord(EncodePredecessorMarker(marker)).ok());
    WriteBatch later;
    later.Put("third", "z");
    later.SetSequence(41);
    ASSERT_TRUE(writer.AddRecord(later.Contents()).ok());
    ASSERT_TRUE(file->Close().ok());
  }
  // ... while the crash took the whole second log (nothing in it was synced).
  test::Image image = test::Capture(&fs_, kDir);
  ASSERT_TRUE(image.contains(second));
  image[second].clear();
  test::Restore(image, &fs_, kDir);
  Open();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(Get(KeyFor(i)), "first") << i;  // in the table
  for (int i = 20; i < 40; ++i) ASSERT_EQ(Get(KeyFor(i)), "NOT_FOUND") << i;
  EXPECT_EQ(Get("third"), "NOT_FOUND");
}

// Power loss after a compaction's outputs were installed and before its
// inputs were deleted: the reopened DB reads the outputs, and the inputs
// (no longer in the manifest) are deleted by the Open.
TEST_F(DbSyncPointTest, CrashBetweenCompactionInstallAndInputDeletion) {
  options_.disable_auto_compactions = true;
  Open();
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(db_->Put({}, KeyFor(i), "v" + std::to_string(round)).ok());
    }
    ASSERT_TRUE(db_->Flush().ok());
  }
  ASSERT_EQ(FilesWithSuffix(&fs_, kDir, ".sst").size(), 3u);
  std::atomic<int> reached{0};
  std::size_t tables_at_install = 0;
  SyncPoint::Get()->SetCallBack("DBImpl::RunCompaction:Installed", [&](void*) {
    if (reached.fetch_add(1) > 0) return;
    tables_at_install = FilesWithSuffix(&fs_, kDir, ".sst").size();
    fs_.SimulateCrash();
  });
  SyncPoint::Get()->EnableProcessing();
  (void)db_->CompactRange(std::nullopt, std::nullopt);
  SyncPoint::Get()->DisableProcessing();
  ASSERT_EQ(reached.load(), 1);
  EXPECT_EQ(tables_at_install, 4u);  // the three inputs and the output
  db_.reset();
  Open();
  for (int i = 0; i < 300; ++i) ASSERT_EQ(Get(KeyFor(i)), "v2") << i;
  EXPECT_EQ(test::FilesAtLevel(db_.get(), 0), 0u);
  EXPECT_EQ(FilesWithSuffix(&fs_, kDir, ".sst").size(), 1u);
}

// A dependency makes one thread wait at a point until another has passed
// another point; a callback sees the point's argument.
TEST(SyncPointTest, DependencyOrdersTwoThreads) {
  SyncPoint* sp = SyncPoint::Get();
  SyncPoint::Scope scope;
  sp->LoadDependency({{"test:first", "test:second"}});
  std::vector<int> order;
  std::atomic<bool> second_waiting{false};
  sp->SetCallBack("test:second", [&](void* arg) { order.push_back(*static_cast<int*>(arg)); });
  std::thread waiter([&] {
    int two = 2;
    second_waiting = true;
    ARENAKV_SYNC_POINT_CALLBACK("test:second", &two);
  });
  ASSERT_TRUE(WaitFor([&] { return second_waiting.load(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(order.empty());  // still waiting for test:first
  order.push_back(1);
  ARENAKV_SYNC_POINT("test:first");
  waiter.join();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

// DisableProcessing lets a thread waiting at a point go on (a test that
// gives up must not leave a DB thread parked).
TEST(SyncPointTest, DisablingProcessingReleasesWaiters) {
  SyncPoint* sp = SyncPoint::Get();
  sp->LoadDependency({{"test:never", "test:waiting"}});
  sp->EnableProcessing();
  std::atomic<bool> entered{false}, passed{false};
  std::thread waiter([&] {
    entered = true;
    ARENAKV_SYNC_POINT("test:waiting");
    passed = true;
  });
  ASSERT_TRUE(WaitFor([&] { return entered.load(); }));
  sp->DisableProcessing();
  waiter.join();  // hangs (and the test times out) if the waiter stays parked
  EXPECT_TRUE(passed.load());
  sp->ClearAll();
}

// A flushed memtable is released (its arena unmapped, milliseconds for a
// large one) without the DB mutex: a write, whose group leader takes it,
// completes while the flush thread is held at that point.
TEST_F(DbSyncPointTest, AFlushedMemTableIsReleasedWithoutTheDbMutex) {
  Open();
  ASSERT_TRUE(db_->Put({}, "k", "v").ok());
  std::atomic<bool> write_done{false};
  std::atomic<bool> timed_out{false};
  std::atomic<bool> released{false};
  SyncPoint* sp = SyncPoint::Get();
  sp->SetCallBack("DBImpl::FlushOldest:ReleasingMemTable", [&](void*) {
    std::thread writer([&] {
      EXPECT_TRUE(db_->Put({}, "during", "release").ok());
      write_done = true;
    });
    if (!WaitFor([&] { return write_done.load(); })) timed_out = true;
    writer.join();  // a write blocked on the mutex gets it once this returns
    released = true;
  });
  sp->EnableProcessing();
  // Flush returns once the table is installed, which may be before the
  // flush thread has released the memtable: wait for that too.
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(WaitFor([&] { return released.load(); }));
  sp->DisableProcessing();
  EXPECT_FALSE(timed_out.load()) << "the write waited for the flush thread's release";
  EXPECT_EQ(Get("during"), "release");
  EXPECT_EQ(Get("k"), "v");
}

}  // namespace
}  // namespace arenakv
