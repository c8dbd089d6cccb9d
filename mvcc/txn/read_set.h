// SPDX-License-Identifier: Apache-2.0
// What an optimistic transaction read and must validate at Commit, and the
// check itself (mvcc/txn/README.md has the protocol and why it is correct).
//
// Thread safety: a ReadSet belongs to one transaction, used by one thread at
// a time (the transaction's and its iterators', which share it).
// CheckConflicts reads through whatever iterator it is given.
#ifndef ARENAKV_MVCC_TXN_READ_SET_H_
#define ARENAKV_MVCC_TXN_READ_SET_H_

#include <arenakv/mvcc/status.h>

#include <optional>
#include <string>
#include <vector>

#include "mvcc/iter/internal_iterator.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

// The user keys from `first` to `last`, both included; nullopt: unbounded.
struct KeyRange {
  bool covered = false;  // false: nothing yet (an iterator that never moved)
  std::optional<std::string> first;
  std::optional<std::string> last;

  // Grows the range to cover [from, to] as well (its convex hull: a
  // transaction's iterator records one range, never less than it passed over).
  void Cover(std::optional<std::string_view> from, std::optional<std::string_view> to);
};

struct ReadSet {
  std::vector<std::string> keys;  // point reads to validate; duplicates allowed
  std::vector<KeyRange> ranges;   // one per iterator that validates what it passed over
};

// Busy if `source` (every version of every key, in internal key order, as
// DBImpl::NewInternalIterator gives it) holds a version newer than
// `snapshot` of one of `keys` (any order, duplicates allowed; sorted here) or
// of any key in a covered range of `ranges`. Otherwise OK, or the source's
// error (I/O, Corruption).
Status CheckConflicts(InternalIterator* source, std::vector<std::string> keys,
                      const std::vector<KeyRange>& ranges, SequenceNumber snapshot);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_TXN_READ_SET_H_
