// SPDX-License-Identifier: Apache-2.0
// NewLevelIterator: one InternalIterator over a sorted run of table files (a
// level >= 1 of a Version, or the part of it a compaction reads), opening one
// file's iterator at a time.
//
// Features
//   - Every move of InternalIterator in both directions; crossing from one
//     file to the next (or previous) opens that file's iterator and drops the
//     old one, so a scan of a level holds one data block at a time.
//   - Seeks binary-search the files by their smallest/largest keys: a seek
//     costs one file's index lookup, not one per file.
// Caveats
//   - The files must be in key order with disjoint ranges (Version levels >= 1
//     are); a violation is a caller bug and yields entries out of order.
// Errors
//   status() is the current file iterator's; while it is not OK the level
//   iterator is !Valid(). A seek moves to a (possibly other) file and starts
//   afresh.
//
// Thread safety and ownership: one thread at a time, as for any
// InternalIterator. The iterator shares ownership of its files (TableFileRef)
// so they outlive it; key() and value() point into the current file's block.
#ifndef ARENAKV_MVCC_VERSION_LEVEL_ITERATOR_H_
#define ARENAKV_MVCC_VERSION_LEVEL_ITERATOR_H_

#include <memory>
#include <vector>

#include "mvcc/iter/internal_iterator.h"
#include "mvcc/version/version_set.h"

namespace arenakv {

// fill_cache, key_first: Table::NewIterator's; use: TableCache::Find's.
std::unique_ptr<InternalIterator> NewLevelIterator(std::vector<TableFileRef> files,
                                                   bool verify_checksums, bool fill_cache = true,
                                                   ReaderUse use = ReaderUse::kHeld,
                                                   bool key_first = false);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_VERSION_LEVEL_ITERATOR_H_
