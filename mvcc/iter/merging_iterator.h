// SPDX-License-Identifier: Apache-2.0
// NewMergingIterator: one InternalIterator over the union of several sources
// (the memtables and SST files of a read view, or the inputs of a compaction),
// in InternalKeyCompare order.
//
// Features
//   - Every move of InternalIterator, in both directions, with direction
//     switches at any point (after Seek/SeekForPrev included).
//   - Next/Prev cost O(log k) comparisons for k children; a seek or a
//     direction switch repositions every child (k child seeks).
// Caveats
//   - Children are expected to hold disjoint entries (the engine gives every
//     version a unique sequence number). If two children hold the same
//     internal key, both copies may be returned in a run; nothing breaks.
//   - A Seek/SeekForPrev target must not point into this iterator's own
//     key(): the first child repositioned may free what it points to.
//   - Children whose keys are shorter than a trailer (corrupt) are still
//     ordered without reading out of bounds; the DB iterator above reports
//     them as Corruption.
// Errors
//   status() is the first non-OK status among the children, in the order they
//   were given. While a child reports an error the merged iterator is
//   !Valid(); a later seek repositions every child and clears the condition
//   if no child still reports an error.
//
// Thread safety and ownership: as for any InternalIterator, one thread at a
// time. The merged iterator owns its children and destroys them with itself;
// key() and value() point into the current child.
#ifndef ARENAKV_MVCC_ITER_MERGING_ITERATOR_H_
#define ARENAKV_MVCC_ITER_MERGING_ITERATOR_H_

#include <memory>
#include <vector>

#include "mvcc/iter/internal_iterator.h"

namespace arenakv {

// No children: an iterator that is never Valid() and whose status() is OK.
// One child: that child itself, returned as is. Every child must be non-null.
std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_ITER_MERGING_ITERATOR_H_
