// SPDX-License-Identifier: Apache-2.0
// DBImpl's recovery and file housekeeping: Recover (at Open: manifest,
// WAL replay, a fresh WAL and manifest), the sweep of obsolete files, and
// DestroyDB. The class comment is in mvcc/db/db_impl.h.
#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "mvcc/compaction/flush_job.h"
#include "mvcc/db/db_impl.h"
#include "mvcc/db/memtable_inserter.h"
#include "mvcc/db/options_file.h"
#include "mvcc/db/wal_marker.h"
#include "mvcc/env/filename.h"
#include "mvcc/log/log_reader.h"
#include "mvcc/util/sync_point.h"

namespace arenakv {

namespace {

// File numbers this engine could ever reach; a larger one on disk is damage
// (and would wrap the counter around onto live files).
constexpr std::uint64_t kMaxFileNumber = std::uint64_t{1} << 56;

class LogReplayReporter final : public LogReader::Reporter {
 public:
  void Corruption(std::size_t bytes, const Status&) override {
    ++records;
    this->bytes += bytes;
  }
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
};

}  // namespace

Status DBImpl::Recover() {
  const bool exists = fs_->FileExists(CurrentFileName(path_));
  if (read_only_ && !exists) return Status::InvalidArgument(path_ + " holds no DB");
  if (exists && options_.error_if_exists && !read_only_) {
    return Status::InvalidArgument(path_ + " exists (error_if_exists is true)");
  }
  if (!exists && !options_.create_if_missing) {
    return Status::InvalidArgument(path_ + " holds no DB (create_if_missing is false)");
  }
  Status s = exists ? versions_->Recover(options_.paranoid_checks) : Status::OK();
  if (!s.ok()) return s;
  // The manifest is read; the logs are not listed yet.
  ARENAKV_SYNC_POINT("DBImpl::Recover:ManifestRead");

  // Every number already on disk is taken; WALs from the manifest's log
  // number on hold writes no table has yet.
  std::vector<std::string> names;
  s = fs_->GetChildren(path_, &names);
  if (!s.ok()) return s;
  std::vector<std::uint64_t> logs;
  for (const std::string& name : names) {
    std::uint64_t number;
    FileType type;
    // Old info logs are numbered by a timestamp, not by the file counter.
    if (!ParseFileName(name, &number, &type) || type == FileType::kInfoLog) continue;
    if (!exists && HoldsData(name, type)) {
      // Data without CURRENT: a damaged DB, not an empty directory. Creating
      // a new DB here would delete those files.
      return Status::Corruption(path_ + " has " + name + " but no CURRENT file");
    }
    if (number >= kMaxFileNumber) {
      return Status::Corruption(path_ + "/" + name + ": file number out of range");
    }
    versions_->MarkFileNumberUsed(number);
    if (exists && type == FileType::kLog && number >= versions_->log_number()) {
      logs.push_back(number);
    }
  }
  std::sort(logs.begin(), logs.end());

  VersionEdit edit;
  std::vector<TableFileRef> added;
  std::vector<MemTableRef> kept;
  s = ReplayLogs(logs, &edit, &added, read_only_ ? &kept : nullptr);
  if (info_log_ != nullptr) {
    const RecoveryReport& r = recovery_;
    info_log_->Log(
        "Recovery (%s): %s; %llu logs, %llu records replayed, %llu torn-tail bytes dropped, "
        "%llu damaged records (%llu bytes) dropped%s%s",
        std::string(WalRecoveryModeName(options_.wal_recovery_mode)).c_str(),
        s.ok() ? "OK" : s.ToString().c_str(), static_cast<unsigned long long>(r.logs),
        static_cast<unsigned long long>(r.records),
        static_cast<unsigned long long>(r.torn_tail_bytes),
        static_cast<unsigned long long>(r.dropped_records),
        static_cast<unsigned long long>(r.dropped_bytes),
        r.stopped_at.empty() ? "" : "; replay stopped at ", r.stopped_at.c_str());
  }
  if (!s.ok()) return s;
  if (read_only_) return FinishReadOnlyOpen(std::move(kept));

  // A fresh WAL (never append to one that may end torn) and a fresh manifest
  // holding the recovered state.
  // (Open runs alone; mu_ is taken only because the WAL handles are its.)
  std::uint64_t log_number = 0;
  {
    MutexLock lock(&mu_);
    s = NewLog(&log_number);
  }
  if (!s.ok()) return s;
  edit.SetLogNumber(log_number);
  s = versions_->WriteSnapshot(&edit, std::move(added));
  if (!s.ok()) return s;

  last_sequence_.store(versions_->last_sequence(), std::memory_order_release);
  MemTableRef mem;
  s = NewMemTable(0, &mem);
  if (!s.ok()) return s;
  {
    MutexLock lock(&mu_);
    last_allocated_ = versions_->last_sequence();
    wal_last_sequence_ = last_allocated_;
    mem_ = {std::move(mem), log_number};
    InstallView();
  }
  // The DB's id: made once, when the DB (or a DB from before IDENTITY
  // existed) is first opened. A damaged IDENTITY is Corruption, not a new id.
  s = ReadIdentityFile(fs_, path_, &db_id_);
  if (s.IsNotFound()) s = SetIdentityFile(fs_, path_, versions_->NewFileNumber(), &db_id_);
  if (!s.ok()) return s;
  // The options this Open runs with, for whoever reads the DB later.
  options_file_number_ = versions_->NewFileNumber();
  s = WriteFileAtomically(fs_, path_, TempFileName(path_, versions_->NewFileNumber()),
                          OptionsFileName(path_, options_file_number_), OptionsToString(options_));
  if (!s.ok()) return s;
  ARENAKV_LOG(info_log_, "Opened DB %s: last sequence %llu, %zu tables, options in OPTIONS-%06llu",
              db_id_.c_str(), static_cast<unsigned long long>(versions_->last_sequence()),
              static_cast<std::size_t>(versions_->current()->NumFiles()),
              static_cast<unsigned long long>(options_file_number_));
  DeleteObsoleteFiles();
  return Status::OK();
}

// The replayed memtables become the immutable ones (nothing flushes them),
// under an empty active memtable no write will reach.
Status DBImpl::FinishReadOnlyOpen(std::vector<MemTableRef> kept) {
  last_sequence_.store(versions_->last_sequence(), std::memory_order_release);
  MemTableRef mem;
  Status s = NewMemTable(0, &mem);
  if (!s.ok()) return s;
  // A DB from before IDENTITY existed has none; it is not made here.
  s = ReadIdentityFile(fs_, path_, &db_id_);
  if (!s.ok() && !s.IsNotFound()) return s;
  MutexLock lock(&mu_);
  last_allocated_ = versions_->last_sequence();
  mem_ = {std::move(mem), 0};
  for (MemTableRef& m : kept) imm_.push_front({std::move(m), 0});  // newest first
  InstallView();
  return Status::OK();
}

// A table, or a WAL with records in it. (A failed first Open can leave an
// empty WAL or a manifest behind; neither holds a write anyone was told about.)
bool DBImpl::HoldsData(const std::string& name, FileType type) const {
  if (type == FileType::kTable) return true;
  if (type != FileType::kLog) return false;
  std::uint64_t size = 0;
  return !fs_->GetFileSize(path_ + "/" + name, &size).ok() || size > 0;
}

Status DBImpl::ReplayLogs(const std::vector<std::uint64_t>& logs, VersionEdit* edit,
                          std::vector<TableFileRef>* added, std::vector<MemTableRef>* kept) {
  const WALRecoveryMode mode = options_.wal_recovery_mode;
  const bool skip_any = mode == WALRecoveryMode::kSkipAnyCorruptedRecords;
  MemTableRef mem;
  const SequenceNumber manifest_last = versions_->last_sequence();
  SequenceNumber last = manifest_last;
  // The last sequence of the previous record; unset before the first.
  std::optional<SequenceNumber> previous;
  auto flush = [&]() -> Status {
    if (mem == nullptr) return Status::OK();
    if (kept != nullptr) {
      mem->MarkImmutable();
      kept->push_back(std::move(mem));
      return Status::OK();
    }
    TableFileRef file;
    FileMetaData meta;
    // No reader exists yet: only each key's newest version matters.
    Status s = FlushJob(versions_.get(), TableOptionsForLevel(0), mem, {kMaxSequenceNumber})
                   .Run(&file, &meta);
    if (s.ok() && file != nullptr) {
      edit->AddFile(0, meta);
      added->push_back(std::move(file));
    }
    mem.reset();
    return s;
  };
  // A log after the last one holding anything is no evidence: an Open or a
  // rotation that failed after creating its new log leaves it empty.
  std::size_t last_with_data = 0;
  for (std::size_t index = 0; index < logs.size(); ++index) {
    std::uint64_t size = 0;
    if (!fs_->GetFileSize(LogFileName(path_, logs[index]), &size).ok() || size > 0) {
      last_with_data = index;
    }
  }
  // Per log: the batches replayed from it, and what replay covered after it
  // (checked against the predecessor markers of later logs).
  std::vector<std::uint64_t> batches_in(logs.size(), 0);
  std::vector<std::optional<SequenceNumber>> last_after(logs.size());
  for (std::size_t index = 0; index < logs.size(); ++index) {
    if (index > 0) last_after[index - 1] = previous;
    const std::string path = LogFileName(path_, logs[index]);
    std::unique_ptr<SequentialFile> file;
    Status s = fs_->NewSequentialFile(path, &file);
    if (!s.ok()) return s;
    ++recovery_.logs;
    LogReplayReporter reporter;
    LogReader reader(file.get(), &reporter, /*verify_checksums=*/true, skip_any);
    // Damage at `offset`: Corruption, or (point in time) the end of replay.
    bool stopped = false;
    // `readable`: the damaged record passed its checksum (its batch is bad).
    auto damage = [&](std::uint64_t offset, const std::string& reason,
                      bool readable = false) -> Status {
      const std::string where = path + " at offset " + std::to_string(offset) + ": " + reason;
      if (mode != WALRecoveryMode::kPointInTimeRecovery) {
        return Status::Corruption(where + " (see Options::wal_recovery_mode)");
      }
      DropRestOfLogs(logs, index, offset, readable, where);
      stopped = true;
      return Status::OK();
    };
    std::string record;
    std::uint64_t record_start = 0;
    for (; reader.ReadRecord(&record); record_start = reader.last_record_end()) {
      PredecessorMarker marker;
      if (DecodePredecessorMarker(record, &marker)) {
        // marker.log_number was not synced when this log was created. Unless
        // flushed since (below the manifest's log number), it was replayed
        // before this one and must hold what it held then; else a crash cut
        // its unsynced tail, or its name never became durable. (Not the
        // manifest's last sequence: it may count writes only in the logs.)
        if (!skip_any && marker.has_records && marker.log_number >= versions_->log_number()) {
          const auto at = std::find(logs.begin(), logs.begin() + index, marker.log_number);
          const auto j = static_cast<std::size_t>(at - logs.begin());
          if (j == index && read_only_) {
            // A writer in another process may have flushed and deleted it
            // after this open read the manifest: Corruption makes the
            // read-only open try again on the newer files.
            s = Status::Corruption(path + ": log #" + std::to_string(marker.log_number) +
                                   ", which it follows, is missing");
            break;
          }
          if (j == index || batches_in[j] == 0 || last_after[j].value_or(0) < marker.last) {
            s = damage(record_start,
                       "log #" + std::to_string(marker.log_number) + " held up to sequence " +
                           std::to_string(marker.last) +
                           " and is missing or ends earlier: a crash lost what it had not synced",
                       /*readable=*/true);
            if (!s.ok() || stopped) break;
          }
        }
        continue;
      }
      WriteBatch batch;
      s = WriteBatch::FromContents(record, &batch);
      if (!s.ok()) {
        if (skip_any) {
          ++recovery_.dropped_records;
          recovery_.dropped_bytes += record.size();
          continue;
        }
        s = damage(record_start, std::string(s.message()), /*readable=*/true);
        if (!s.ok() || stopped) break;
      }
      const SequenceNumber first = batch.Sequence();
      if (batch.Count() == 0) {
        // A marker: the sequences before `first` went to writes without the WAL.
        if (first == 0 || (previous && first <= *previous)) {
          if (skip_any) continue;
          s = Status::Corruption(path + ": sequence marker " + std::to_string(first) +
                                 " does not move forward");
          break;
        }
        previous = first - 1;
        continue;
      }
      // Each record continues the previous one; the first one continues
      // what the manifest's tables hold (it may repeat some of it).
      const bool continues = previous ? first == *previous + 1 : first <= manifest_last + 1;
      if (!continues && skip_any && previous && first <= *previous) {
        ++recovery_.dropped_records;  // would reuse sequences: salvage what is newer
        recovery_.dropped_bytes += record.size();
        continue;
      }
      if (!continues && !skip_any) {
        s = Status::Corruption(path + ": sequence gap: a record starts at " +
                               std::to_string(first) + " after " +
                               std::to_string(previous.value_or(manifest_last)) +
                               " (a log or part of one is missing)");
        break;
      }
      previous = first + batch.Count() - 1;
      const std::size_t need = MemoryNeed(batch);
      const std::size_t reserve = ReserveNeed(batch, 0, /*racing=*/false);  // replay inserts alone
      // With a memory budget, a memtable the budget cannot grow is flushed
      // (or kept, read-only) and a fresh one tried.
      const std::size_t pools = InsertPoolsOf(batch);
      auto reserved = [&] { return mem->Reserve(mem->InsertBound(reserve, pools)); };
      if (mem != nullptr && (mem->ShouldFlush() || !HasSpace(*mem, need) || !reserved())) {
        s = flush();
        if (!s.ok()) return s;
      }
      if (mem == nullptr) {
        s = NewMemTable(need, &mem);
        if (!s.ok()) return s;
        if (!reserved()) {
          return Status::MemoryLimit(path + ": replaying a record needs up to " +
                                     std::to_string(mem->InsertBound(reserve, pools)) +
                                     " bytes, and the memory budget (" +
                                     options_.memory_budget->Describe() + ") has no room");
        }
      }
      s = InsertBatch(mem.get(), batch);
      // A checksummed batch the memtable refuses (a sequence out of range, a
      // key over 4 GiB) was not written by this engine.
      if (!s.ok()) return Status::Corruption(path + ": unusable batch: " + s.message());
      ++recovery_.records;
      ++batches_in[index];
      last = std::max(last, *previous);
    }
    if (!s.ok()) return s;
    if (stopped) break;
    if (skip_any) {
      recovery_.dropped_records += reporter.records;
      recovery_.dropped_bytes += reporter.bytes;
    }
    if (!reader.status().ok()) {
      if (!reader.status().IsCorruption()) return reader.status();
      s = damage(reader.last_record_end(), std::string(reader.status().message()));
      if (!s.ok()) return s;
      break;  // point in time: stopped
    }
    const std::uint64_t torn = reader.bytes_read() - reader.last_record_end();
    if (torn > 0 && !skip_any) {
      // A crash during an append, or zero-filled space at the end.
      if (mode == WALRecoveryMode::kAbsoluteConsistency) {
        return damage(reader.last_record_end(), "incomplete record at the end of the log");
      }
      if (mode == WALRecoveryMode::kPointInTimeRecovery && index < last_with_data) {
        // A later log holds records: an incomplete end here is lost data
        // (a crash cut this log's unsynced tail, or damage), not a torn
        // append of the newest log. Nothing after it is applied.
        (void)damage(reader.last_record_end(), "incomplete record at the end of a log");
        break;
      }
      if (mode == WALRecoveryMode::kTolerateCorruptedTailRecords && index < last_with_data) {
        return damage(reader.last_record_end(), "incomplete record at the end of a log");
      }
      recovery_.torn_tail_bytes += torn;
    }
  }
  Status s = flush();
  versions_->SetLastSequence(last);
  return s;
}

void DBImpl::DropRestOfLogs(const std::vector<std::uint64_t>& logs, std::size_t index,
                            std::uint64_t offset, bool readable, const std::string& reason) {
  recovery_.stopped_at = reason;
  for (std::size_t i = index; i < logs.size(); ++i) {
    const std::string path = LogFileName(path_, logs[i]);
    std::uint64_t size = 0;
    if (fs_->GetFileSize(path, &size).ok()) {
      recovery_.dropped_bytes += i == index ? size - std::min(size, offset) : size;
    }
    // Count what is not applied: the damaged record, then the intact records
    // a skip-any read finds after it (records that shared a block with a
    // damaged header cannot be found, so this is a lower bound).
    std::unique_ptr<SequentialFile> file;
    if (!fs_->NewSequentialFile(path, &file).ok()) continue;
    LogReplayReporter reporter;
    LogReader reader(file.get(), &reporter, /*verify_checksums=*/true, /*skip_corruption=*/true);
    std::string record;
    std::uint64_t intact = 0;
    while (reader.ReadRecord(&record)) intact += i > index || reader.last_record_end() > offset;
    // A record that failed its checksum is not among them.
    recovery_.dropped_records += intact + (i == index && !readable ? 1 : 0);
  }
}

void DBImpl::RemoveFiles(const std::function<bool(FileType, std::uint64_t)>& obsolete) {
  std::vector<std::string> names;
  if (!fs_->GetChildren(path_, &names).ok()) return;  // retried at the next Open
  for (const std::string& name : names) {
    std::uint64_t number;
    FileType type;
    if (ParseFileName(name, &number, &type) && obsolete(type, number)) {
      (void)fs_->RemoveFile(path_ + "/" + name);
    }
  }
}

void DBImpl::DeleteObsoleteFiles() {
  const VersionRef version = versions_->current();
  std::set<std::uint64_t> live_tables;
  for (const auto& level : version->levels) {
    for (const TableFileRef& f : level) live_tables.insert(f->meta().number);
  }
  std::uint64_t live_log;
  {
    MutexLock lock(&mu_);
    live_log = imm_.empty() ? mem_.log_number : imm_.back().log_number;
  }
  const std::uint64_t oldest_log = std::min(live_log, versions_->log_number());
  RemoveFiles([&](FileType type, std::uint64_t number) {
    switch (type) {
      case FileType::kLog:
        return number < oldest_log;
      case FileType::kTable:
        return !live_tables.contains(number);
      case FileType::kManifest:
        return number != versions_->manifest_number();
      case FileType::kTemp:
        return true;
      case FileType::kOptions:
        return number != options_file_number_;
      default:
        return false;
    }
  });
}

Status DestroyDB(const std::string& path, const Options& options) {
  FileSystem* fs = options.file_system != nullptr ? options.file_system : FileSystem::Default();
  Status s = fs->CheckDirectory(path);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  std::unique_ptr<FileLock> lock;
  s = fs->LockFile(LockFileName(path), &lock);
  if (!s.ok()) return s;
  std::vector<std::string> names;
  s = fs->GetChildren(path, &names);
  if (!s.ok()) return s;
  Status result;
  for (const std::string& name : names) {
    std::uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type) || type == FileType::kLock) continue;
    Status r = fs->RemoveFile(path + "/" + name);
    if (result.ok() && !r.ok() && !r.IsNotFound()) result = r;
  }
  lock.reset();
  (void)fs->RemoveFile(LockFileName(path));
  (void)fs->RemoveDir(path);  // fails, harmlessly, if the user left files there
  return result;
}

}  // namespace arenakv
