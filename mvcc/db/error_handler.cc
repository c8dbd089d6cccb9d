// SPDX-License-Identifier: Apache-2.0
// DBImpl's background errors: how severe each is, what clears it (Resume,
// or the automatic retry of NoSpace), and what the info LOG says. The class
// comment is in mvcc/db/db_impl.h.
//
// Severities (RocksDB's ErrorHandler is the model):
//   kRetryable: a flush or compaction failed with an IOError (NoSpace
//     included) before its manifest edit. Nothing on disk refers to its
//     output (TableOutput removed it), the memtable is still there, so the
//     work can simply run again, into new files: a table whose fsync failed
//     is never synced again in place ("fsyncgate"). Writes stop with the
//     error until DB::Resume() clears it, or, for NoSpace, until the
//     automatic retry does (max_bgerror_resume_count, with backoff).
//   kFatal: a WAL append, flush or sync failed (what reached the disk, and
//     what a retried fsync would claim, is unknowable: no later write may be
//     acknowledged on top of it); a manifest write failed (it may or may not
//     hold the edit); a memtable refused a batch the WAL holds; Corruption.
//     The DB stays read-only until it is reopened, which recovers from what
//     the files really hold.
// A fatal error replaces a retryable one; nothing replaces a fatal one.
#include "mvcc/db/db_impl.h"

namespace arenakv {

namespace {

constexpr std::chrono::microseconds kMaxResumeInterval = std::chrono::seconds(60);

}  // namespace

const char* DBImpl::SeverityName(ErrorSeverity severity) {
  switch (severity) {
    case ErrorSeverity::kNone:
      return "none";
    case ErrorSeverity::kRetryable:
      return "retryable";
    case ErrorSeverity::kFatal:
      return "fatal";
  }
  return "unknown";
}

DBImpl::ErrorSeverity DBImpl::JobErrorSeverity(const Status& s) {
  if (s.ok()) return ErrorSeverity::kNone;
  return s.IsIOError() ? ErrorSeverity::kRetryable : ErrorSeverity::kFatal;
}

void DBImpl::SetBackgroundError(const Status& s, ErrorSeverity severity) {
  if (s.ok() || severity == ErrorSeverity::kNone) return;
  if (!bg_error_.ok() && bg_error_severity_ >= severity) return;
  bg_error_ = s;
  bg_error_severity_ = severity;
  auto_resume_at_.reset();
  if (severity == ErrorSeverity::kRetryable && s.IsNoSpace() &&
      auto_resumes_ < options_.max_bgerror_resume_count) {
    // Backoff: the interval, doubled per attempt since the last success.
    auto interval = std::chrono::microseconds(options_.bgerror_resume_retry_interval);
    for (int i = 0; i < auto_resumes_ && interval < kMaxResumeInterval; ++i) interval *= 2;
    interval = std::min(interval, kMaxResumeInterval);
    auto_resume_at_ = std::chrono::steady_clock::now() + interval;
    ARENAKV_LOG(info_log_, "Background error (retryable; automatic resume %d of %d in %lld us): %s",
                auto_resumes_ + 1, options_.max_bgerror_resume_count,
                static_cast<long long>(interval.count()), s.ToString().c_str());
  } else {
    ARENAKV_LOG(info_log_, "Background error (%s; writes stop until %s): %s",
                SeverityName(severity),
                severity == ErrorSeverity::kFatal ? "the DB is reopened" : "DB::Resume()",
                s.ToString().c_str());
  }
  bg_cv_.SignalAll();
}

void DBImpl::ClearBackgroundError(bool automatic) {
  ARENAKV_LOG(info_log_, "Resume (%s): clearing %s", automatic ? "automatic" : "DB::Resume",
              bg_error_.ToString().c_str());
  if (automatic) ++auto_resumes_;
  bg_error_ = Status::OK();
  bg_error_severity_ = ErrorSeverity::kNone;
  auto_resume_at_.reset();
  ++resumes_;
  bg_cv_.SignalAll();  // the failed flush or compaction runs again
}

bool DBImpl::AutoResumeOrWait() {
  if (!auto_resume_at_ || shutting_down_) {
    bg_cv_.Wait();
    return false;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now >= *auto_resume_at_) {
    ClearBackgroundError(/*automatic=*/true);
    return true;
  }
  bg_cv_.WaitFor(std::chrono::duration_cast<std::chrono::microseconds>(*auto_resume_at_ - now));
  return false;
}

Status DBImpl::Resume() {
  MutexLock lock(&mu_);
  if (bg_error_.ok()) return Status::OK();
  if (bg_error_severity_ == ErrorSeverity::kFatal) return bg_error_;
  ClearBackgroundError(/*automatic=*/false);
  // As RocksDB's Resume: done once the memtables that waited are flushed.
  FlushWaiter waiter;
  waiter.target = stats_.flushes + imm_.size();
  flush_waiters_.push_back(&waiter);
  Status s = WaitForFlushes(&waiter, /*through_retries=*/false);
  std::erase(flush_waiters_, &waiter);
  return s;
}

}  // namespace arenakv
