// SPDX-License-Identifier: Apache-2.0
// The predecessor marker: the first record of a WAL created while the WAL
// before it was not yet synced. It names that earlier WAL, the last sequence
// the logs up to it account for, and whether it holds any record, so that
// replay can tell a lost unsynced tail of it (point in time stops there)
// from an intact one, without trusting the manifest's last sequence (which
// may already count writes still only in the logs).
//
// Encoding: a write batch header with `sequence` = that last sequence and
// `count` 0, then the byte kPredecessorTag, the earlier WAL's number
// (fixed64) and one byte: 1 if it holds records, else 0.
// WriteBatch::FromContents rejects the tag (an unknown record kind), so no
// user batch can be taken for a marker.
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
inline constexpr std::size_t kPredecessorMarkerSize = WriteBatch::kHeaderSize + 1 + 8 + 1;

struct PredecessorMarker {
  std::uint64_t log_number = 0;  // the earlier WAL
  SequenceNumber last = 0;       // the last sequence accounted for up to its end
  bool has_records = false;      // it holds at least one batch
};

inline std::string EncodePredecessorMarker(const PredecessorMarker& marker) {
  std::string record(kPredecessorMarkerSize, '\0');
  EncodeFixed64(record.data(), marker.last);
  EncodeFixed32(record.data() + 8, 0);
  record[WriteBatch::kHeaderSize] = kPredecessorTag;
  EncodeFixed64(record.data() + WriteBatch::kHeaderSize + 1, marker.log_number);
  record[kPredecessorMarkerSize - 1] = marker.has_records ? 1 : 0;
  return record;
}

// True, with *marker filled, if `record` is a predecessor marker.
inline bool DecodePredecessorMarker(std::string_view record, PredecessorMarker* marker) {
  if (record.size() != kPredecessorMarkerSize ||
      record[WriteBatch::kHeaderSize] != kPredecessorTag || DecodeFixed32(record.data() + 8) != 0 ||
      (record.back() != 0 && record.back() != 1)) {
    return false;
  }
  marker->last = DecodeFixed64(record.data());
  marker->log_number = DecodeFixed64(record.data() + WriteBatch::kHeaderSize + 1);
  marker->has_records = record.back() == 1;
  return true;
}

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_WAL_MARKER_H_
