// SPDX-License-Identifier: Apache-2.0
// The predecessor marker: the first record of a WAL created while the WAL
// before it was not yet synced. It names that earlier WAL and the last
// sequence it accounts for, so that replay can tell a lost unsynced tail of
// it (replayed, but the sequence was not reached: point in time stops there)
// from a missing log or region (a gap: Corruption).
//
// Encoding: a write batch header with `sequence` = that last sequence and
// `count` 0, then the byte kPredecessorTag and the earlier WAL's number
// (fixed64). WriteBatch::FromContents rejects the tag (an unknown record
// kind), so no user batch can be taken for a marker.
#ifndef ARENAKV_MVCC_DB_WAL_MARKER_H_
#define ARENAKV_MVCC_DB_WAL_MARKER_H_

#include <arenakv/mvcc/write_batch.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mvcc/util/coding.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {

inline constexpr char kPredecessorTag = 0x50;  // 'P'

inline constexpr std::size_t kPredecessorMarkerSize = WriteBatch::kHeaderSize + 1 + 8;

inline std::string EncodePredecessorMarker(std::uint64_t log_number, SequenceNumber last) {
  std::string record(kPredecessorMarkerSize, '\0');
  EncodeFixed64(record.data(), last);
  EncodeFixed32(record.data() + 8, 0);
  record[WriteBatch::kHeaderSize] = kPredecessorTag;
  EncodeFixed64(record.data() + WriteBatch::kHeaderSize + 1, log_number);
  return record;
}

// True, with *log_number and *last filled, if `record` is a predecessor marker.
inline bool DecodePredecessorMarker(std::string_view record, std::uint64_t* log_number,
                                    SequenceNumber* last) {
  if (record.size() != kPredecessorMarkerSize ||
      record[WriteBatch::kHeaderSize] != kPredecessorTag || DecodeFixed32(record.data() + 8) != 0) {
    return false;
  }
  *last = DecodeFixed64(record.data());
  *log_number = DecodeFixed64(record.data() + WriteBatch::kHeaderSize + 1);
  return true;
}

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_WAL_MARKER_H_
