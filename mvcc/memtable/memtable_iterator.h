// SPDX-License-Identifier: Apache-2.0
// NewMemTableIterator: a memtable as an InternalIterator (internal keys:
// user key + sequence/kind trailer, mvcc/util/dbformat.h), for the engine's merged
// reads and for flush.
//
// Holds a reference to the memtable, so the arena stays alive for the
// iterator's whole life. Not thread-safe (one thread per iterator), but runs
// concurrently with Adds to the memtable; see MemTable for what it sees.
#ifndef ARENAKV_MVCC_MEMTABLE_MEMTABLE_ITERATOR_H_
#define ARENAKV_MVCC_MEMTABLE_MEMTABLE_ITERATOR_H_

#include <memory>

#include "mvcc/iter/internal_iterator.h"
#include "mvcc/memtable/memtable.h"

namespace arenakv {

std::unique_ptr<InternalIterator> NewMemTableIterator(MemTableRef table);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_MEMTABLE_MEMTABLE_ITERATOR_H_
