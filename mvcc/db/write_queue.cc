// SPDX-License-Identifier: Apache-2.0
#include "mvcc/db/write_queue.h"

#include <algorithm>

#include "mvcc/util/sync_point.h"

namespace arenakv {

void WriteQueue::Writer::Wake() {
  wakeups.fetch_add(1, std::memory_order_release);
  cv.Signal();
}

void WriteQueue::Join(Writer* w, Mutex* mu) {
  writers_.push_back(w);
  // Arg: the Writer. Reached with the DB mutex held: for callbacks that do
  // not block, never as a dependency's successor.
  if (writers_.front() != w) ARENAKV_SYNC_POINT_CALLBACK("WriteQueue::Join:Queued", w);
  w->Await(mu, [&] { return w->done || w->insert || writers_.front() == w; });
}

void WriteQueue::FormGroup(Writer* leader, std::size_t max_bytes, Group* group) {
  group->members.push_back(leader);
  if (leader->batch == nullptr || leader->validate != nullptr) return;
  std::size_t bytes = leader->Bytes();
  for (auto it = writers_.begin() + 1; it != writers_.end(); ++it) {
    Writer* m = *it;
    if (m->batch == nullptr || m->validate != nullptr || m->disable_wal != leader->disable_wal ||
        bytes + m->Bytes() > std::max(max_bytes, bytes)) {
      break;
    }
    bytes += m->Bytes();
    group->members.push_back(m);
  }
}

void WriteQueue::FinishEarly(Group* group, Writer* leader, const Status& s) {
  for (Writer* m : group->members) m->status = s;
  Pop(group);
  MarkDone(group, leader);
}

void WriteQueue::StartInserts(Group* group, Writer* leader) {
  group->pending = group->members.size();
  for (Writer* m : group->members) {
    m->group = group;
    if (m != leader) {
      m->insert = true;
      m->Wake();
    }
  }
  in_flight_.push_back(group);
  in_flight_need_ += group->need;
  Pop(group);
}

std::optional<SequenceNumber> WriteQueue::InsertDone(Writer* w) {
  --w->group->pending;
  std::optional<SequenceNumber> publish;
  while (!in_flight_.empty() && in_flight_.front()->pending == 0) {
    Group* group = in_flight_.front();
    in_flight_.pop_front();
    in_flight_need_ -= group->need;
    if (group->failed && insert_error_.ok()) insert_error_ = group->error;
    if (!insert_error_.ok()) {
      // Nothing of the group becomes visible: no member may hear OK.
      for (Writer* m : group->members) {
        if (m->status.ok()) m->status = insert_error_;
      }
    } else {
      publish = group->last_sequence;
    }
    MarkDone(group, w);
  }
  // A leader waiting in AwaitInserts leads the queue.
  if (in_flight_.empty() && !writers_.empty()) writers_.front()->Wake();
  return publish;
}

void WriteQueue::AwaitInserts(Writer* leader, Mutex* mu) {
  // Reached with the DB mutex held: for callbacks that do not block.
  ARENAKV_SYNC_POINT("WriteQueue::AwaitInserts");
  leader->Await(mu, [&] { return in_flight_.empty(); });
}

void WriteQueue::Pop(Group* group) {
  for (std::size_t i = 0; i < group->members.size(); ++i) writers_.pop_front();
  if (!writers_.empty()) writers_.front()->Wake();
}

void WriteQueue::MarkDone(Group* group, Writer* self) {
  for (Writer* m : group->members) {
    m->done = true;
    if (m != self) m->Wake();
  }
}

}  // namespace arenakv
