// SPDX-License-Identifier: Apache-2.0
// LogWriter: appends records to a write-ahead log (mvcc/log/log_format.h).
//
// Each AddRecord appends one record, split into fragments at block
// boundaries, with one or more WritableFile::Append calls. Durability is the
// caller's business: call file->Flush() or file->Sync() after AddRecord when
// the record must survive a process or machine crash.
//
// Not thread-safe: one writer (the group-commit leader) at a time. The file
// must outlive the LogWriter.
#ifndef ARENAKV_MVCC_LOG_LOG_WRITER_H_
#define ARENAKV_MVCC_LOG_LOG_WRITER_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <string_view>

#include "mvcc/log/log_format.h"

namespace arenakv {

class LogWriter {
 public:
  // Continues the log at file->Size() bytes (0 for a new file). Appending to
  // a log whose tail is torn would bury the torn record in the middle of the
  // log, where LogReader reports it as corruption: start a new log instead.
  explicit LogWriter(WritableFile* file);

  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Appends `record` (any size, empty allowed). Returns the file's error if an
  // Append fails; the log may then end in a torn record, and this writer must
  // not be used again.
  Status AddRecord(std::string_view record) { return AddRecord(record, {}); }
  // Appends one record whose bytes are head + tail, written from where both
  // lie (a large value is not copied into one buffer with its header first).
  // The log holds the same bytes as AddRecord(head + tail).
  Status AddRecord(std::string_view head, std::string_view tail);

 private:
  // One fragment whose payload is a + b.
  Status EmitFragment(LogRecordType type, std::string_view a, std::string_view b);

  WritableFile* const file_;
  // Bytes written into the current block; in [0, kLogBlockSize].
  std::size_t block_offset_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_LOG_LOG_WRITER_H_
