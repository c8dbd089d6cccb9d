// SPDX-License-Identifier: Apache-2.0
// DBImpl's background work: flushes, compactions, and the calls that wait
// for them (Flush, CompactRange). The class comment is in mvcc/db/db_impl.h.
#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <chrono>
#include <utility>

#include "mvcc/compaction/compaction_job.h"
#include "mvcc/compaction/flush_job.h"
#include "mvcc/db/db_impl.h"
#include "mvcc/util/sync_point.h"

namespace arenakv {

// ---------------------------------------------------------------- flush

Status DBImpl::Flush() { return FlushAndWait(/*through_retries=*/false); }

Status DBImpl::FlushAndWait(bool through_retries) {
  // Registered before the rotation: a failure from then on is of the new
  // immutable memtable or of one older, which it waits for too.
  FlushWaiter waiter;
  {
    MutexLock lock(&mu_);
    flush_waiters_.push_back(&waiter);
  }
  Status s = WriteImpl(WriteOptions{}, nullptr, /*force_rotate=*/true);
  MutexLock lock(&mu_);
  if (s.ok()) {
    // Flushes go oldest first: once as many more have finished as there are
    // immutable memtables now, the one just rotated (if any) is on disk,
    // however many writers rotate meanwhile.
    waiter.target = stats_.flushes + imm_.size();
    s = WaitForFlushes(&waiter, through_retries);
  }
  std::erase(flush_waiters_, &waiter);
  return s;
}

Status DBImpl::WaitForFlushes(FlushWaiter* w, bool through_retries) {
  while (stats_.flushes < w->target && !shutting_down_) {
    if (!through_retries && !w->error.ok()) break;
    if (!bg_error_.ok() && !(through_retries && auto_resume_at_)) break;
    bg_cv_.Wait();
  }
  if (stats_.flushes >= w->target) return through_retries ? Status::OK() : w->error;
  if (!w->error.ok()) return w->error;
  if (!bg_error_.ok()) return bg_error_;
  return Status::Busy("the DB is closing");
}

// Compacts the range level by level, from level 0 down to the deepest level
// holding part of it, so that afterwards the range lies in one level with no
// version left that no reader can see, and no tombstone with nothing to hide.
Status DBImpl::CompactRange(std::optional<std::string_view> begin,
                            std::optional<std::string_view> end) {
  if (begin && end && *begin > *end) return Status::OK();  // an empty range
  Status s = Flush();
  if (!s.ok()) return s;
  MutexLock lock(&mu_);
  ++manual_compactions_;
  bool wrote_bottom = false;  // the last step already rewrote the deepest level
  for (int level = 0; level < kNumLevels && s.ok(); ++level) {
    // The deepest level holding the range, looked up afresh at each step:
    // automatic compactions may move data down meanwhile.
    const VersionRef version = versions_->current();
    int last = -1;
    for (int l = kNumLevels - 1; l >= 0 && last < 0; --l) {
      if (!version->OverlappingFiles(l, begin, end).empty()) last = l;
    }
    if (level > last) break;
    int output_level = level + 1;
    if (level == last && level > 0) {
      if (wrote_bottom) break;
      output_level = level;  // rewrite the deepest level in place
    }
    for (;;) {
      if (!bg_error_.ok()) {
        s = bg_error_;
        break;
      }
      if (shutting_down_) {
        s = Status::Busy("the DB is closing");
        break;
      }
      bool busy = false;
      std::optional<Compaction> c =
          picker_->PickRange(versions_->current(), level, output_level, begin, end, &busy);
      if (c) {
        s = RunCompaction(*c);
        DropOutsideLock(&c);
        wrote_bottom = output_level >= last;
        break;
      }
      if (!busy) {
        wrote_bottom = false;
        break;  // nothing at this level in the range
      }
      bg_cv_.Wait();  // a running compaction holds files this one needs
    }
  }
  --manual_compactions_;
  bg_cv_.SignalAll();
  return s;
}

void DBImpl::BackgroundLoop(BackgroundRole role) {
#if defined(__linux__)
  // On Linux a thread's nice value is its own (setpriority on its thread id).
  if (options_.lower_background_priority) {
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
  }
#endif
  MutexLock lock(&mu_);
  for (;;) {
    if (shutting_down_) return;  // unflushed memtables stay in their WALs
    if (!retired_views_.empty()) {
      std::vector<std::shared_ptr<const ReadView>> views;
      views.swap(retired_views_);
      ++inputs_dropping_;  // pending background work until they are gone
      mu_.Unlock();
      views.clear();  // may delete files and release memtables: without mu_
      mu_.Lock();
      --inputs_dropping_;
      continue;
    }
    if (!bg_error_.ok()) {
      (void)AutoResumeOrWait();  // waits unless an automatic resume is due
      continue;
    }
    if (role != BackgroundRole::kCompactions && !imm_.empty() && !flush_running_) {
      flush_running_ = true;
      (void)FlushOldest();  // a failure is the background error now
      flush_running_ = false;
      bg_cv_.SignalAll();
      continue;
    }
    // While CompactRange runs, no new automatic compaction starts: it could
    // keep taking the files the manual one waits for, without end.
    if (role != BackgroundRole::kFlushes && !options_.disable_auto_compactions &&
        manual_compactions_ == 0 && picker_->running() < MaxCompactions()) {
      std::optional<Compaction> c = picker_->Pick(versions_->current());
      if (c) {
        (void)RunCompaction(*c);  // a failure is the background error now
        DropOutsideLock(&c);
        continue;
      }
    }
    bg_cv_.Wait();
  }
}

Status DBImpl::RunCompaction(const Compaction& c) {
  std::vector<SequenceNumber> sequences = LiveSequences();
  mu_.Unlock();
  const auto start = std::chrono::steady_clock::now();
  CompactionJob job(versions_.get(), TableOptionsForLevel(c.output_level), c, std::move(sequences),
                    &stop_jobs_);
  VersionEdit edit;
  std::vector<TableFileRef> added;
  Status s = job.Run(&edit, &added);
  bool manifest_failed = false;
  if (!s.ok()) {
    job.Abandon();
  } else {
    ARENAKV_SYNC_POINT("DBImpl::RunCompaction:BeforeInstall");
    // If this fails the manifest may still hold the edit (written, then a
    // failed sync): the outputs must stay. An edit that did not persist
    // leaves them unreferenced, and the next Open deletes them.
    s = versions_->LogAndApply(&edit, std::move(added));
    manifest_failed = !s.ok();
    // The outputs are installed; the inputs are still on disk until the
    // last reference to them (this job's among them) goes.
    if (s.ok()) ARENAKV_SYNC_POINT("DBImpl::RunCompaction:Installed");
  }
  const std::uint64_t micros = MicrosSince(start);
  if (s.ok()) {
    const CompactionJobStats& js = job.stats();
    ARENAKV_LOG(info_log_,
                "Compaction%s: L%d (%zu files) + L%d (%zu files) -> L%d: %llu files, %llu bytes "
                "written, %llu entries dropped, in %llu us",
                c.trivial_move ? " (trivial move)" : (c.manual ? " (manual)" : ""), c.level,
                c.inputs.size(), c.output_level, c.output_inputs.size(), c.output_level,
                static_cast<unsigned long long>(js.files_written),
                static_cast<unsigned long long>(js.bytes_written),
                static_cast<unsigned long long>(js.dropped_hidden + js.dropped_tombstones),
                static_cast<unsigned long long>(micros));
  } else if (!s.IsBusy()) {
    ARENAKV_LOG(info_log_, "Compaction L%d -> L%d failed: %s", c.level, c.output_level,
                s.ToString().c_str());
  }
  mu_.Lock();
  picker_->Release(c);
  if (s.ok()) {
    InstallView();
    CompactionStats& stats = stats_.compactions[c.output_level];
    ++stats.count;
    stats.micros += micros;
    if (c.trivial_move) {
      ++stats.trivial_moves;
    } else {
      const CompactionJobStats& job_stats = job.stats();
      stats.bytes_read_level += TotalBytes(c.inputs);
      stats.bytes_read_output += TotalBytes(c.output_inputs);
      stats.bytes_written += job_stats.bytes_written;
      stats.files_written += job_stats.files_written;
      stats.dropped_entries += job_stats.dropped_hidden + job_stats.dropped_tombstones;
    }
  } else if (!s.IsBusy()) {
    SetBackgroundError(s, manifest_failed ? ErrorSeverity::kFatal : JobErrorSeverity(s));
  }
  // Only work that needed space proves there is some again (a trivial move
  // writes nothing): NoSpace's automatic resumes start over.
  if (s.ok() && !c.trivial_move) auto_resumes_ = 0;
  bg_cv_.SignalAll();
  return s;
}

void DBImpl::DropOutsideLock(std::optional<Compaction>* c) {
  // Background work until the inputs are gone: a caller that waits for it
  // (arenakv.compaction-pending) finds the obsolete files deleted.
  ++inputs_dropping_;
  mu_.Unlock();
  // Without mu_, before the inputs are let go of (and perhaps deleted).
  ARENAKV_SYNC_POINT("DBImpl::DropOutsideLock");
  c->reset();
  mu_.Lock();
  --inputs_dropping_;
}

std::vector<SequenceNumber> DBImpl::LiveSequences() const {
  std::vector<SequenceNumber> sequences(snapshots_.begin(), snapshots_.end());
  // The newest sequence is read under pins_mu_: an iterator pinning later
  // (PinSequence) reads one at least as new, so this job keeps the versions
  // it sees whether or not its pin is in the list.
  MutexLock lock(&pins_mu_);
  sequences.insert(sequences.end(), iterator_pins_.begin(), iterator_pins_.end());
  sequences.push_back(last_sequence_.load(std::memory_order_acquire));
  return sequences;
}

TableOptions DBImpl::TableOptionsForLevel(int level) const {
  TableOptions options = versions_->table_options();
  const auto& per_level = options_.compression_per_level;
  options.compression = per_level.empty()
                            ? options_.compression
                            : per_level[std::min<std::size_t>(level, per_level.size() - 1)];
  return options;
}

bool DBImpl::BackgroundWorkPending() const {
  if (flush_running_ || picker_->running() > 0 || manual_compactions_ > 0 || inputs_dropping_ > 0 ||
      !retired_views_.empty()) {
    return true;
  }
  if (!bg_error_.ok()) return false;  // nothing more will start
  if (!imm_.empty()) return true;
  if (options_.disable_auto_compactions) return false;
  const std::array<double, kNumLevels> scores = picker_->Scores(*versions_->current());
  return std::any_of(scores.begin(), scores.end(), [](double score) { return score >= 1; });
}

Status DBImpl::FlushOldest() {
  MemTableSlot slot = imm_.back();
  // WALs older than the next memtable's hold nothing unflushed afterwards.
  const std::uint64_t next_log =
      imm_.size() >= 2 ? imm_[imm_.size() - 2].log_number : mem_.log_number;
  std::vector<SequenceNumber> sequences = LiveSequences();
  mu_.Unlock();
  const auto start = std::chrono::steady_clock::now();
  TableFileRef file;
  FileMetaData meta;
  Status s = FlushJob(versions_.get(), TableOptionsForLevel(0), slot.mem, std::move(sequences))
                 .Run(&file, &meta);
  const std::uint64_t bytes = file != nullptr ? meta.file_size : 0;
  // The table is written and synced; no manifest edit refers to it yet.
  if (s.ok()) ARENAKV_SYNC_POINT("DBImpl::FlushOldest:TableWritten");
  ErrorSeverity severity = JobErrorSeverity(s);
  if (s.ok()) {
    VersionEdit edit;
    std::vector<TableFileRef> added;
    if (file != nullptr) {
      edit.AddFile(0, meta);
      added.push_back(std::move(file));
    }
    edit.SetLogNumber(next_log);
    versions_->SetLastSequence(last_sequence_.load(std::memory_order_acquire));
    s = versions_->LogAndApply(&edit, std::move(added));
    severity = ErrorSeverity::kFatal;  // if that failed: the manifest may hold the edit
  }
  if (s.ok()) {
    // Logs the rotation left unsynced are closed first: their files go now.
    mu_.Lock();
    std::vector<OldLog> flushed = TakeOldLogsBefore(next_log);
    mu_.Unlock();
    for (OldLog& log : flushed) (void)log.file->Close();
    RemoveFiles([next_log](FileType type, std::uint64_t number) {
      return type == FileType::kLog && number < next_log;
    });
  }
  const std::uint64_t micros = MicrosSince(start);
  if (s.ok()) {
    ARENAKV_LOG(info_log_, "Flush: %llu entries of log #%llu -> %s (%llu bytes) in %llu us",
                static_cast<unsigned long long>(slot.mem->num_entries()),
                static_cast<unsigned long long>(slot.log_number),
                bytes > 0 ? ("table #" + std::to_string(meta.number)).c_str() : "no table",
                static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(micros));
  } else {
    ARENAKV_LOG(info_log_, "Flush failed: %s", s.ToString().c_str());
  }
  mu_.Lock();
  if (!s.ok()) {
    for (FlushWaiter* w : flush_waiters_) {
      if (stats_.flushes < w->target && w->error.ok()) w->error = s;
    }
    SetBackgroundError(s, severity);
  }
  if (s.ok()) {
    auto_resumes_ = 0;
    imm_.pop_back();
    ++stats_.flushes;
    stats_.flush_bytes_written += bytes;
    stats_.flush_micros += micros;
    InstallView();
    // Unless a reader still holds it, the flushed memtable goes with this
    // last reference, and its arena is unmapped (milliseconds for a large
    // buffer): not under mu_, which every write group's leader takes.
    mu_.Unlock();
    ARENAKV_SYNC_POINT("DBImpl::FlushOldest:ReleasingMemTable");
    slot.mem.reset();
    mu_.Lock();
  }
  return s;
}

}  // namespace arenakv
