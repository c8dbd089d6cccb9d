// SPDX-License-Identifier: Apache-2.0
// The write-ahead log's physical format, shared by LogWriter and LogReader.
// docs/FORMATS.md, "Write-ahead log", describes it byte by byte.
//
// A log is a sequence of kLogBlockSize blocks (the last one may be short). A
// record (one write batch) is stored as one or more fragments; a fragment
// never crosses a block boundary:
//
//   checksum  fixed32  Checksum32(type byte + payload)
//   length    fixed16  payload bytes
//   type      u8       LogRecordType
//   payload   `length` bytes
//
// A block's last bytes, when fewer than kLogHeaderSize, are zero-filled (the
// block trailer).
#ifndef ARENAKV_MVCC_LOG_LOG_FORMAT_H_
#define ARENAKV_MVCC_LOG_LOG_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace arenakv {

enum class LogRecordType : std::uint8_t {
  // Zero-filled space (a preallocated or never-written region), never written
  // as a fragment.
  kZero = 0,
  kFull = 1,    // the whole record
  kFirst = 2,   // the first fragment of a record
  kMiddle = 3,  // neither the first nor the last fragment
  kLast = 4,    // the last fragment
};
constexpr unsigned kMaxLogRecordType = static_cast<unsigned>(LogRecordType::kLast);

constexpr std::size_t kLogBlockSize = 32768;
// checksum (4) + length (2) + type (1).
constexpr std::size_t kLogHeaderSize = 7;

}  // namespace arenakv

#endif  // ARENAKV_MVCC_LOG_LOG_FORMAT_H_
