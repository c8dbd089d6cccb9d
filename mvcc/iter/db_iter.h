// SPDX-License-Identifier: Apache-2.0
// NewDBIterator: the user's view of an InternalIterator (usually a merging
// iterator over a read view's memtables and SST files) at one snapshot.
//
// What it shows
//   User keys in bytewise order. For each user key only its newest entry with
//   sequence <= snapshot counts: a put shows the key with that value, a delete
//   hides the key. Entries newer than the snapshot are invisible.
//
// Bounds
//   lower_bound is inclusive, upper_bound exclusive; keys outside never show.
//   Seek below lower_bound starts at lower_bound; SeekForPrev at or above
//   upper_bound starts at the last key below upper_bound; SeekToFirst and
//   SeekToLast start at the bounds when they are set. Iteration stops at the
//   bounds without reading further than the first entry past them.
//
// Cost
//   Next/Prev read each internal entry they pass once (hidden versions and
//   tombstones included); Prev never rescans from the start. Moving backward
//   copies the current key and value into owned buffers; moving forward does
//   not copy.
//
// Errors
//   A key that fails ParseInternalKey makes the iterator !Valid() with a
//   Corruption status; an error of the internal iterator makes it !Valid()
//   with that error. A Seek*/SeekTo* clears a Corruption found earlier (the
//   internal iterator's own error is reported for as long as it reports it).
//
// Thread safety and ownership: one thread at a time. The DB iterator owns the
// internal iterator (which, in the engine, holds the references that keep
// memtables and files alive) and destroys it with itself. key() and value()
// stay valid until the next move or the iterator's destruction.
#ifndef ARENAKV_MVCC_ITER_DB_ITER_H_
#define ARENAKV_MVCC_ITER_DB_ITER_H_

#include <arenakv/mvcc/db.h>

#include <memory>
#include <optional>
#include <string>

#include "mvcc/iter/internal_iterator.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

// `internal` must be non-null. A snapshot above kMaxSequenceNumber is treated
// as kMaxSequenceNumber.
std::unique_ptr<Iterator> NewDBIterator(std::unique_ptr<InternalIterator> internal,
                                        SequenceNumber snapshot,
                                        std::optional<std::string> lower_bound,
                                        std::optional<std::string> upper_bound);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_ITER_DB_ITER_H_
