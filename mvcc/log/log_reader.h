// SPDX-License-Identifier: Apache-2.0
// LogReader: reads the records of a write-ahead log (mvcc/log/log_format.h) back,
// in order, for recovery.
//
// Tail handling ("prefix recovery"). A crash while a record was being
// appended leaves the log ending in a torn record: a header cut short, a
// payload cut short, a record whose last fragment was never written, or
// zero-filled space the file system allocated but never filled. The torn
// record is dropped without a report and ReadRecord returns false with an OK
// status(): the reader yields exactly the records whose bytes reached the
// file intact.
//
// Corruption. Damage anywhere else (a checksum mismatch, including one in the
// last fragment of the file; a fragment length that runs past its block; an
// unknown fragment type; fragments out of sequence; zero-filled space followed
// by more records) is reported to the Reporter, if any, and then
//   - by default, reading stops: ReadRecord returns false and status() is
//     Corruption;
//   - with skip_corruption, the damaged region is dropped (the rest of its
//     block when a header cannot be trusted, else the fragments of the broken
//     record) and reading continues at the next intact record; status() stays
//     OK.
// A read error from the file stops reading, and status() returns it.
//
// Not thread-safe. The file and the reporter must outlive the LogReader.
#ifndef ARENAKV_MVCC_LOG_LOG_READER_H_
#define ARENAKV_MVCC_LOG_LOG_READER_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mvcc/log/log_format.h"

namespace arenakv {

class LogReader {
 public:
  // Told about every region of the log the reader drops as corrupt.
  class Reporter {
   public:
    virtual ~Reporter() = default;
    // `bytes`: an estimate of the bytes dropped; `reason`: a Corruption.
    virtual void Corruption(std::size_t bytes, const Status& reason) = 0;
  };

  // `reporter` may be null. verify_checksums: check every fragment's checksum
  // (turning it off trades detection of damaged payloads for speed).
  // skip_corruption: see the header comment.
  LogReader(SequentialFile* file, Reporter* reporter, bool verify_checksums,
            bool skip_corruption = false);

  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // Reads the next record into *record (replacing its contents). Returns
  // false at the end of the log, after a torn tail, or when reading stopped
  // (see status()); then *record is unspecified.
  bool ReadRecord(std::string* record);

  // OK, the Corruption that stopped reading (default mode only), or the
  // file's read error.
  Status status() const { return status_; }

  // The file offset just past the last record ReadRecord returned (0 before
  // the first): where the damage or the torn tail starts once reading ends.
  std::uint64_t last_record_end() const { return last_record_end_; }
  // Bytes read from the file so far. At the end of a log read with an OK
  // status(), bytes_read() > last_record_end() means the log ends in a torn
  // tail (or in zero-filled space) of that many bytes.
  std::uint64_t bytes_read() const { return bytes_read_; }

 private:
  // What ReadFragment found besides a fragment of type 1..4 (or an unknown
  // type, which ReadRecord reports). Above any type byte (0..255), so that no
  // fragment's type reads as one of these.
  enum : unsigned {
    kEof = 0x100,  // end of file (or a read error in status_)
    kBadFragment,  // corrupt; already reported
    kZeroRegion,   // zero-filled space; *dropped bytes skipped
  };

  unsigned ReadFragment(std::string_view* fragment, std::size_t* dropped);
  // Reports a dropped region. Returns true if reading goes on
  // (skip_corruption), false if it stops (status_ is then set).
  bool ReportCorruption(std::size_t bytes, std::string_view reason);

  SequentialFile* const file_;
  Reporter* const reporter_;
  const bool verify_checksums_;
  const bool skip_corruption_;

  Status status_;
  bool stopped_ = false;           // a corruption or read error ended reading
  std::unique_ptr<char[]> block_;  // kLogBlockSize bytes of read buffer
  // The unread rest of the current block; points into block_.
  std::string_view buffer_;
  std::size_t block_length_ = 0;  // bytes the last read put into block_
  std::uint64_t bytes_read_ = 0;  // file offset just past block_'s bytes
  std::uint64_t last_record_end_ = 0;
  bool eof_ = false;  // the last read returned a short block
  // Bytes of zero-filled space seen since the last record: a torn tail if the
  // log ends before the next record, corruption if a record follows.
  std::size_t pending_zero_bytes_ = 0;
  std::string scratch_;  // the fragments of the record being assembled
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_LOG_LOG_READER_H_
