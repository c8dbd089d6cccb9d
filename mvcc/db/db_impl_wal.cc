// SPDX-License-Identifier: Apache-2.0
// DBImpl's WAL rotation: a new log for each new memtable, and the sync of the
// old one, which rotation leaves to the background (or to the next synced
// write) so that no writer waits for it. The class comment is in
// mvcc/db/db_impl.h; the marker that makes this safe for recovery is in
// mvcc/db/wal_marker.h.
#include <utility>

#include "mvcc/db/db_impl.h"
#include "mvcc/db/wal_marker.h"
#include "mvcc/env/filename.h"

namespace arenakv {

// Only point-in-time (and skip-any) replay can stop at a lost unsynced tail
// of an earlier log; under the strict modes every log but the newest must be
// whole, so rotation syncs the old one before the new one exists.
bool DBImpl::DefersOldLogSync() const {
  return options_.wal_recovery_mode == WALRecoveryMode::kPointInTimeRecovery ||
         options_.wal_recovery_mode == WALRecoveryMode::kSkipAnyCorruptedRecords;
}

Status DBImpl::NewLog(std::uint64_t* number) {
  // A rotation (not Open) under point-in-time or skip-any recovery.
  const bool defer = log_file_ != nullptr && DefersOldLogSync();
  // Strict modes: a synced write in the new WAL must never survive a crash
  // that loses an earlier, unsynced write of the old one.
  if (log_file_ != nullptr && !defer) {
    Status s = log_file_->Sync();
    if (!s.ok()) {
      SetBackgroundError(s, ErrorSeverity::kFatal);
      return s;
    }
  }
  *number = versions_->NewFileNumber();
  std::unique_ptr<WritableFile> file;
  Status s = fs_->NewWritableFile(LogFileName(path_, *number), &file);
  // The new name must survive a machine crash before a synced write relies
  // on it. Deferred, the directory is synced with the old logs: a directory
  // sync waits for the file system's journal, which may be writing out the
  // old log behind a flush.
  if (s.ok() && !defer) s = fs_->SyncDir(path_);
  auto log = s.ok() ? std::make_unique<LogWriter>(file.get()) : nullptr;
  // The old log may lose its unsynced tail in a crash: the new one says
  // where it ends, so that replay stops there instead of seeing a gap.
  if (s.ok() && defer) {
    s = log->AddRecord(EncodePredecessorMarker(mem_.log_number, wal_last_sequence_));
  }
  if (!s.ok()) {
    log.reset();
    file.reset();
    (void)fs_->RemoveFile(LogFileName(path_, *number));
    return s;  // nothing changed: the old WAL takes the writes
  }
  if (log_file_ != nullptr) {
    log_.reset();
    if (defer) {
      // Synced and closed by the background, or by the next synced write.
      old_logs_.push_back({mem_.log_number, std::move(log_file_)});
      log_dir_unsynced_ = true;
      bg_cv_.SignalAll();
    } else {
      s = log_file_->Close();
      if (!s.ok()) SetBackgroundError(s, ErrorSeverity::kFatal);
    }
  }
  log_file_ = std::move(file);
  log_ = std::move(log);
  return Status::OK();
}

Status DBImpl::SyncOldLogs() {
  while (syncing_old_logs_) bg_cv_.Wait();
  if (old_logs_.empty() && !log_dir_unsynced_) return Status::OK();
  std::deque<OldLog> logs = std::move(old_logs_);
  old_logs_.clear();
  const bool sync_dir = log_dir_unsynced_;
  log_dir_unsynced_ = false;
  syncing_old_logs_ = true;
  mu_.Unlock();
  Status s;
  for (OldLog& log : logs) {
    if (s.ok()) s = log.file->Sync();
    const Status closed = log.file->Close();
    if (s.ok()) s = closed;
  }
  logs.clear();
  if (s.ok() && sync_dir) s = fs_->SyncDir(path_);
  mu_.Lock();
  syncing_old_logs_ = false;
  // A write acknowledged as synced may depend on these logs: nothing may be
  // acknowledged after this (and a log whose sync failed is never re-synced).
  if (!s.ok()) SetBackgroundError(s, ErrorSeverity::kFatal);
  bg_cv_.SignalAll();
  return s;
}

void DBImpl::DropOldLogsBefore(std::uint64_t number) {
  while (syncing_old_logs_) bg_cv_.Wait();
  while (!old_logs_.empty() && old_logs_.front().number < number) {
    (void)old_logs_.front().file->Close();  // its data is in a table now
    old_logs_.pop_front();
  }
}

}  // namespace arenakv
