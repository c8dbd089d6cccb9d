// SPDX-License-Identifier: Apache-2.0
// InfoLog: the DB's human-readable log, `LOG` in the DB directory: what an
// operator reads after an incident (open, recovery, flushes, compactions,
// stalls, background errors, close), one timestamped line per event:
//
//   2026/12/06-11:47:22.123456 4711 Flush: 120345 entries -> table #12, ...
//   (local time to the microsecond, the thread id, the message)
//
// Opening renames an existing LOG to `LOG.old.<microseconds since the
// epoch>`; so does a LOG that reaches max_file_size (0: no limit). Only the
// newest keep_old old logs stay. Lines go to the file system at once (one
// Append and Flush each, never synced): a crash loses at most the line being
// written. The file goes through the DB's FileSystem, so tests see it; a
// logging library writing files itself would not.
//
// Writing the LOG never fails a DB operation: a write or rotation error
// turns the log off (and is kept for error()).
//
// Thread safety: Log() may be called from any thread; a mutex orders the
// lines. Log() does file I/O; callers avoid it where they hold a mutex that
// the write path needs, except for rare events.
#ifndef ARENAKV_MVCC_ENV_INFO_LOG_H_
#define ARENAKV_MVCC_ENV_INFO_LOG_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "arenakv/base/mutex.h"
#include "arenakv/base/thread_annotations.h"

#if defined(__GNUC__) || defined(__clang__)
#define ARENAKV_PRINTF_FORMAT(format_index, first_arg) \
  __attribute__((format(printf, format_index, first_arg)))
#else
#define ARENAKV_PRINTF_FORMAT(format_index, first_arg)
#endif

namespace arenakv {

class InfoLog {
 public:
  // Opens `dir`/LOG as described above. The caller holds the DB's LOCK (so
  // no other process is writing the LOG being renamed).
  static Status Open(FileSystem* fs, const std::string& dir, std::size_t max_file_size,
                     std::size_t keep_old, std::unique_ptr<InfoLog>* log);
  ~InfoLog();

  InfoLog(const InfoLog&) = delete;
  InfoLog& operator=(const InfoLog&) = delete;

  // printf-style; the newline is added.
  void Log(const char* format, ...) ARENAKV_PRINTF_FORMAT(2, 3);

  // OK, or the write error that turned the log off.
  Status error() const;

 private:
  InfoLog(FileSystem* fs, std::string dir, std::size_t max_file_size, std::size_t keep_old);
  // Renames LOG (if any) to LOG.old.<now> and deletes old logs beyond keep_old_,
  // then creates a fresh LOG.
  Status StartFile() ARENAKV_REQUIRES(mu_);

  FileSystem* const fs_;
  const std::string dir_;
  const std::size_t max_file_size_;
  const std::size_t keep_old_;
  mutable Mutex mu_;
  std::unique_ptr<WritableFile> file_ ARENAKV_GUARDED_BY(mu_);  // null once off
  Status error_ ARENAKV_GUARDED_BY(mu_);
};

// Logs to `log` if it is not null.
#define ARENAKV_LOG(log, ...)                      \
  do {                                             \
    if ((log) != nullptr) (log)->Log(__VA_ARGS__); \
  } while (false)

}  // namespace arenakv

#endif  // ARENAKV_MVCC_ENV_INFO_LOG_H_
