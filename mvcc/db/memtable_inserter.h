// SPDX-License-Identifier: Apache-2.0
// InsertBatch: applies a WriteBatch to a memtable, the batch's i-th
// operation at sequence batch.Sequence() + i. Used by the write path (each
// member of a write group inserts its own batch, concurrently with the
// others: MemTable::Add is thread-safe) and by WAL replay at Open.
#ifndef ARENAKV_MVCC_DB_MEMTABLE_INSERTER_H_
#define ARENAKV_MVCC_DB_MEMTABLE_INSERTER_H_

#include <arenakv/mvcc/status.h>
#include <arenakv/mvcc/write_batch.h>

#include <optional>
#include <string_view>

#include "mvcc/memtable/memtable.h"

namespace arenakv {

// The first error of the memtable (MemoryLimit when its arena is full, or
// InvalidArgument for a key it cannot hold) or of the batch's encoding.
// Operations after a failed one are not applied. With `outside_value`, the
// batch is one Put whose value that is (mvcc/db/outside_value.h), not the
// empty one it holds.
Status InsertBatch(MemTable* mem, const WriteBatch& batch,
                   std::optional<std::string_view> outside_value = std::nullopt);

// The memtable pools one thread inserting `batch` may allocate from
// (MemTable::InsertPools), for MemTable::InsertBound.
std::size_t InsertPoolsOf(const WriteBatch& batch);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_MEMTABLE_INSERTER_H_
