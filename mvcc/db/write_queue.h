// SPDX-License-Identifier: Apache-2.0
// WriteQueue: the writers waiting to commit, formed into groups (group
// commit), and the leader/follower hand-off between them.
//
// A writer joins the queue and waits. The writer at the front is the leader:
// it forms a group (itself and the writers queued behind it that may share
// its WAL record run, up to a byte limit), and the DB writes the group's WAL
// records. Then the leader either finishes the group at once (an error, or a
// rotation request) or starts the inserts: every member inserts its own batch
// into the memtable concurrently.
//
// Pipelined: starting the inserts takes the group off the queue, so the next
// writer leads at once and forms, logs and starts the next group while
// earlier groups still insert. Groups in flight are retired strictly in the
// order they started: when the last member of the oldest group finishes, its
// sequence is published (by the caller's callback), and so are the groups
// behind it that had already finished. A group that finishes early waits for
// the ones before it. Once a group's insert failed, no later group in flight
// is published either (its sequences would cover the failed one's): they all
// get the failure. A leader that must change the memtable (rotation, a
// replacement, a budget reservation) first waits for every group in flight
// (AwaitInserts).
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
#include <functional>
#include <optional>
#include <string_view>
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
    // DB::Put of a large value: the batch holds the one Put with an empty
    // value, and this is its real value, which the WAL record and the insert
    // take from the caller's buffer (OutsideValueHead). Lives until the
    // writer is done.
    std::optional<std::string_view> outside_value;
    std::size_t pools = 0;  // MemTable::InsertPools of the batch
    bool sync = false;
    bool disable_wal = false;
    bool force_rotate = false;
    // A transaction's commit check (DBImpl::WriteValidated): its writer
    // leads a group of its own, and runs the check once no earlier group is
    // in flight.
    const std::function<Status()>* validate = nullptr;
    std::size_t OutsideBytes() const { return outside_value ? outside_value->size() : 0; }
    // The bytes the writer logs: its batch's encoding, and its outside value.
    std::size_t Bytes() const { return batch->ApproximateSize() + OutsideBytes(); }
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
    std::size_t need = 0;     // memtable bytes its inserts may take (DBImpl::MemoryNeed)
    std::size_t pending = 0;  // members still inserting
    bool failed = false;      // an insert failed: the group's sequence is never published
    Status error;             // when failed: what every member whose insert worked hears
  };

  // Queues `w` and waits until it leads (front of the queue), has been told
  // to insert, or is done.
  void Join(Writer* w, Mutex* mu) ARENAKV_REQUIRES(mu);

  // Leader only: `group` becomes the leader and the writers queued behind it
  // that share its disable_wal choice, while the group's batches stay within
  // max(max_bytes, the leader's own batch). A rotation request and a writer
  // with a commit check go alone, and neither joins another's group.
  void FormGroup(Writer* leader, std::size_t max_bytes, Group* group);

  // Leader only: every member becomes done with status `s` without
  // inserting (an error, or a rotation request); the next leader is woken.
  void FinishEarly(Group* group, Writer* leader, const Status& s);
  // Leader only: the members insert now (the leader too). The group leaves
  // the queue (the next writer leads) and joins the groups in flight.
  void StartInserts(Group* group, Writer* leader);
  // Member `w` has inserted. Retires, in start order, every group in flight
  // whose members have all inserted and which no unfinished group precedes:
  // their members become done (with the failure if it or an earlier group
  // failed and their own insert worked) and are woken. Returns the last
  // sequence of the newest retired group that did not fail, which the caller
  // publishes before it lets go of the mutex; nullopt if there is none.
  std::optional<SequenceNumber> InsertDone(Writer* w);

  // Groups in flight (started, not yet retired), and the memtable bytes
  // their inserts may still take.
  bool inserting() const { return !in_flight_.empty(); }
  std::size_t in_flight_need() const { return in_flight_need_; }
  // Leader only: returns once no group is in flight.
  void AwaitInserts(Writer* leader, Mutex* mu) ARENAKV_REQUIRES(mu);

 private:
  // Takes the group's members off the queue and wakes the next leader.
  void Pop(Group* group);
  // Marks the retired group's members done and wakes them (not `self`).
  void MarkDone(Group* group, Writer* self);

  std::deque<Writer*> writers_;
  std::deque<Group*> in_flight_;  // oldest first
  std::size_t in_flight_need_ = 0;
  Status insert_error_;  // the first failed insert: no later group is published
};

template <typename Ready>
void WriteQueue::Writer::Await(Mutex* mu, Ready ready) {
  if (ready()) return;
  constexpr auto kSpin = std::chrono::microseconds(50);
  constexpr unsigned kPauseSpins = 256;
  const std::uint32_t seen = wakeups.load(std::memory_order_relaxed);
  mu->Unlock();
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (unsigned i = 1; wakeups.load(std::memory_order_acquire) == seen; ++i) {
    if (i % 64 == 0 && std::chrono::steady_clock::now() > deadline) break;
    // A hand-off within a few hundred cycles is caught without a system
    // call; after that the core is offered to others (another writer may be
    // the one this one waits for).
    if (i < kPauseSpins) {
      CpuRelax();
    } else {
      std::this_thread::yield();
    }
  }
  mu->Lock();
  while (!ready()) cv.Wait();
}

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_WRITE_QUEUE_H_
