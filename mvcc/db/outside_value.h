// SPDX-License-Identifier: Apache-2.0
// DB::Put of a large value without a copy of it.
//
// DB::Put builds a one-Put WriteBatch, and a batch holds copies of its keys
// and values: for a value of megabytes the engine would hold it twice (the
// caller's buffer and the batch) until the write is done, outside any memory
// budget. From kOutsideValueBytes on, the batch holds the Put with an empty
// value instead, and the write path takes the real value from the caller's
// buffer: the WAL record is OutsideValueHead + value (written from where each
// lies; the same bytes as the full batch's encoding), and the memtable insert
// copies the value straight into the memtable's arena.
//
// Plain functions of their arguments; thread-safe as long as the batch is not
// modified meanwhile.
#ifndef ARENAKV_MVCC_DB_OUTSIDE_VALUE_H_
#define ARENAKV_MVCC_DB_OUTSIDE_VALUE_H_

#include <arenakv/mvcc/write_batch.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace arenakv {

// Smaller values are copied into the batch (the copy is cheaper than the
// bookkeeping, and bounded per writing thread).
inline constexpr std::size_t kOutsideValueBytes = 64 << 10;

// `batch` ends in a Put with an empty value (checked in debug builds). The
// bytes before the value of that Put, with the value's length `value_size`:
// OutsideValueHead(batch, v.size()) + v is the encoding of `batch` with v as
// that Put's value.
std::string OutsideValueHead(const WriteBatch& batch, std::size_t value_size);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_OUTSIDE_VALUE_H_
