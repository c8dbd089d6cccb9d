// SPDX-License-Identifier: Apache-2.0
// NewSequenceFilterIterator: an InternalIterator that hides every entry of
// another one whose sequence is above a limit.
//
// A transaction's iterator (mvcc/txn/) merges the DB's entries, which it must
// see as of its snapshot, with its own writes, which carry sequences above
// every DB sequence; the DB iterator above the merge reads at the newest of
// the own writes, so the DB's entries newer than the snapshot are taken out
// here, below the merge.
//
// Every move of InternalIterator works, in both directions; each skips the
// hidden entries in the direction of the move. An entry whose key is shorter
// than a trailer (corrupt) is not hidden: the DB iterator above reports it.
//
// Thread safety and ownership: one thread at a time; owns `inner`.
#ifndef ARENAKV_MVCC_ITER_SEQUENCE_FILTER_H_
#define ARENAKV_MVCC_ITER_SEQUENCE_FILTER_H_

#include <memory>

#include "mvcc/iter/internal_iterator.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

// `inner` must be non-null.
std::unique_ptr<InternalIterator> NewSequenceFilterIterator(std::unique_ptr<InternalIterator> inner,
                                                            SequenceNumber max_sequence);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_ITER_SEQUENCE_FILTER_H_
