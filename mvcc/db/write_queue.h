// SPDX-License-Identifier: Apache-2.0
// WriteQueue: the writers waiting to commit, formed into groups (group
// commit), and the leader/follower hand-off between them.
//
// A writer joins the queue and waits. The writer at the front is the leader:
// it forms a group (itself and the writers queued behind it that may share
// its WAL record run, up to a byte limit), and the DB writes the group's WAL
// records. Then the leader either finishes the group at once (an error, or a
// rotation request) or starts the inserts: every member inserts its own batch
// into the memtable concurrently, and the last member to finish retires the
// group, which wakes the members and the next leader. Groups are thus
// retired in queue order.
//
// Thread safety: the queue and every Writer in it are guarded by the DB's
// mutex (DBImpl declares its WriteQueue ARENAKV_GUARDED_BY(mu_)); every call
// needs it held, and the waiting calls let go of it while they wait and hold
// it again on return. A Writer lives on its thread's stack; a Group on its
// leader's, which returns only after the group is retired.
//
// Memory orders: a Writer's `wakeups` is bumped with release and spun on with
// acquire, but it only tells a spinning waiter when to take the mutex again;
// everything the waiter then reads, it reads under the mutex.
#ifndef ARENAKV_MVCC_DB_WRITE_QUEUE_H_
#define ARENAKV_MVCC_DB_WRITE_QUEUE_H_

#include <arenakv/mvcc/status.h>
#include <arenakv/mvcc/write_batch.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "arenakv/base/mutex.h"
#include "mvcc/memtable/memtable.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

class WriteQueue {
 public:
  struct Group;

  struct Writer {
    WriteBatch* batch = nullptr;  // nullptr: a rotation request from Flush()
    std::size_t pools = 0;        // MemTable::InsertPools of the batch
    bool sync = false;
    bool disable_wal = false;
    bool force_rotate = false;
    bool insert = false;  // the leader has written the WAL; insert now
    bool done = false;
    Status status;
    Group* group = nullptr;
    CondVar cv;
    // Bumped (release) with every notify of cv, under the mutex, so that a
    // waiter can spin on it without the lock before it falls back to cv.
    std::atomic<std::uint32_t> wakeups{0};

    explicit Writer(Mutex* mu) : cv(mu) {}
    void Wake();
    // Returns once ready() (which reads state the mutex guards) holds. A
    // group's hand-off usually comes within a few microseconds, well below
    // the cost of a futex sleep and wake-up, so the writer first spins
    // (yielding the core) on `wakeups` for up to 50 us.
    template <typename Ready>
    void Await(Mutex* mu, Ready ready) ARENAKV_REQUIRES(mu);
  };

  struct Group {
    std::vector<Writer*> members;  // members[0] is the leader
    MemTableRef mem;
    SequenceNumber last_sequence = 0;
    std::size_t pending = 0;  // members still inserting
    bool failed = false;      // an insert failed: the group's sequence is never published
    Status error;             // when failed: what every member whose insert worked hears
  };

  // Queues `w` and waits until it leads (front of the queue), has been told
  // to insert, or is done.
  void Join(Writer* w, Mutex* mu) ARENAKV_REQUIRES(mu);

  // Leader only: `group` becomes the leader and the writers queued behind it
  // that share its disable_wal choice, while the group's batches stay within
  // max(max_bytes, the leader's own batch). A rotation request goes alone.
  void FormGroup(Writer* leader, std::size_t max_bytes, Group* group);

  // Leader only: every member becomes done with status `s` without
  // inserting (an error, or a rotation request); the next leader is woken.
  void FinishEarly(Group* group, Writer* leader, const Status& s);
  // Leader only: the members insert now (the leader too).
  void StartInserts(Group* group, Writer* leader);
  // Member `w` has inserted; true if it was the last of its group (the
  // caller then publishes the group's sequence and calls Retire).
  bool InsertDone(Writer* w) { return --w->group->pending == 0; }
  // Every member of `group` becomes done (with group->error if the group
  // failed and its own insert worked); the next leader is woken.
  void Retire(Group* group, Writer* self);

 private:
  void PopAndWake(Group* group, Writer* self);

  std::deque<Writer*> writers_;
};

template <typename Ready>
void WriteQueue::Writer::Await(Mutex* mu, Ready ready) {
  if (ready()) return;
  constexpr auto kSpin = std::chrono::microseconds(50);
  const std::uint32_t seen = wakeups.load(std::memory_order_relaxed);
  mu->Unlock();
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (unsigned i = 1; wakeups.load(std::memory_order_acquire) == seen; ++i) {
    if (i % 64 == 0 && std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::yield();
  }
  mu->Lock();
  while (!ready()) cv.Wait();
}

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_WRITE_QUEUE_H_
