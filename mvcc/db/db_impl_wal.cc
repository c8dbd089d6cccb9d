// SPDX-License-Identifier: Apache-2.0
// DBImpl's WAL rotation: a new log for each new memtable. The old log is not
// synced then (no writer waits for it): only a synced write needs it
// durable, and syncs it first; otherwise it is closed, never synced, once
// its memtable is flushed and the file deleted, as RocksDB does with old
// WALs. The class comment is in mvcc/db/db_impl.h; the marker that makes
// this safe for recovery is in mvcc/db/wal_marker.h.
#include <utility>
#include <vector>

#include "mvcc/db/db_impl.h"
#include "mvcc/db/wal_marker.h"
#include "mvcc/env/filename.h"

namespace arenakv {

// Only point-in-time replay stops at a lost unsynced tail of an earlier log.
// The strict modes need every log but the newest whole, and skip-any would
// replay the later logs past the lost tail (a hole): rotation syncs the old
// log before the new one exists.
bool DBImpl::DefersOldLogSync() const {
  return options_.wal_recovery_mode == WALRecoveryMode::kPointInTimeRecovery;
}

Status DBImpl::NewLog(std::uint64_t* number) {
  // A rotation (not Open) under point-in-time recovery.
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
  // on it. Deferred, the next synced write syncs the directory with the old
  // logs: a directory sync waits for the file system's journal, which may be
  // writing out the old log behind a flush.
  if (s.ok() && !defer) s = fs_->SyncDir(path_);
  auto log = s.ok() ? std::make_unique<LogWriter>(file.get()) : nullptr;
  // The old log may lose its unsynced tail in a crash: the new one says
  // where it ends, so that replay stops there instead of seeing a gap.
  if (s.ok() && defer) {
    s = log->AddRecord(EncodePredecessorMarker({.log_number = mem_.log_number,
                                                .last = wal_last_sequence_,
                                                .has_records = wal_has_records_}));
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
      // Synced by the next synced write, or closed once flushed.
      old_logs_.push_back({mem_.log_number, std::move(log_file_)});
      log_dir_unsynced_ = true;
    } else {
      s = log_file_->Close();
      if (!s.ok()) SetBackgroundError(s, ErrorSeverity::kFatal);
    }
  }
  log_file_ = std::move(file);
  log_ = std::move(log);
  wal_has_records_ = false;
  return Status::OK();
}

Status DBImpl::SyncOldLogs() {
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

std::vector<DBImpl::OldLog> DBImpl::TakeOldLogsBefore(std::uint64_t number) {
  while (syncing_old_logs_) bg_cv_.Wait();
  std::vector<OldLog> taken;
  while (!old_logs_.empty() && old_logs_.front().number < number) {
    taken.push_back(std::move(old_logs_.front()));
    old_logs_.pop_front();
  }
  return taken;
}

}  // namespace arenakv
