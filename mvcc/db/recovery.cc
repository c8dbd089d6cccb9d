// SPDX-License-Identifier: Apache-2.0
// DBImpl's recovery and file housekeeping: Recover (at Open: manifest,
// WAL replay, a fresh WAL and manifest), the sweep of obsolete files, and
// DestroyDB. The class comment is in mvcc/db/db_impl.h.
#include <algorithm>
#include <set>
#include <utility>

#include "mvcc/compaction/flush_job.h"
#include "mvcc/db/db_impl.h"
#include "mvcc/db/memtable_inserter.h"
#include "mvcc/env/filename.h"
#include "mvcc/log/log_reader.h"

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
  if (exists && options_.error_if_exists) {
    return Status::InvalidArgument(path_ + " exists (error_if_exists is true)");
  }
  if (!exists && !options_.create_if_missing) {
    return Status::InvalidArgument(path_ + " holds no DB (create_if_missing is false)");
  }
  Status s = exists ? versions_->Recover(options_.paranoid_checks) : Status::OK();
  if (!s.ok()) return s;

  // Every number already on disk is taken; WALs from the manifest's log
  // number on hold writes no table has yet.
  std::vector<std::string> names;
  s = fs_->GetChildren(path_, &names);
  if (!s.ok()) return s;
  std::vector<std::uint64_t> logs;
  for (const std::string& name : names) {
    std::uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
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
  s = ReplayLogs(logs, &edit, &added);
  if (!s.ok()) return s;

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
    mem_ = {std::move(mem), log_number};
    InstallView();
  }
  // The DB's id: made once, when the DB (or a DB from before IDENTITY
  // existed) is first opened. A damaged IDENTITY is Corruption, not a new id.
  s = ReadIdentityFile(fs_, path_, &db_id_);
  if (s.IsNotFound()) s = SetIdentityFile(fs_, path_, versions_->NewFileNumber(), &db_id_);
  if (!s.ok()) return s;
  DeleteObsoleteFiles();
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
                          std::vector<TableFileRef>* added) {
  MemTableRef mem;
  SequenceNumber last = versions_->last_sequence();
  auto flush = [&]() -> Status {
    if (mem == nullptr) return Status::OK();
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
  for (std::uint64_t number : logs) {
    const std::string path = LogFileName(path_, number);
    std::unique_ptr<SequentialFile> file;
    Status s = fs_->NewSequentialFile(path, &file);
    if (!s.ok()) return s;
    LogReplayReporter reporter;
    LogReader reader(file.get(), &reporter, /*verify_checksums=*/true,
                     options_.skip_corrupt_wal_records);
    std::string record;
    while (reader.ReadRecord(&record)) {
      WriteBatch batch;
      s = WriteBatch::FromContents(record, &batch);
      if (!s.ok()) {
        if (options_.skip_corrupt_wal_records) {
          ++reporter.records;
          continue;
        }
        return Status::Corruption(path + ": " + s.message());
      }
      const std::size_t need = MemoryNeed(batch);
      if (mem != nullptr && (mem->ShouldFlush() || !HasSpace(*mem, need))) {
        s = flush();
        if (!s.ok()) return s;
      }
      if (mem == nullptr) {
        s = NewMemTable(need, &mem);
        if (!s.ok()) return s;
      }
      s = InsertBatch(mem.get(), batch);
      // A checksummed batch the memtable refuses (a sequence out of range, a
      // key over 4 GiB) was not written by this engine.
      if (!s.ok()) return Status::Corruption(path + ": unusable batch: " + s.message());
      if (batch.Count() > 0) last = std::max(last, batch.Sequence() + batch.Count() - 1);
    }
    if (!reader.status().ok()) {
      return reader.status().IsCorruption()
                 ? Status::Corruption(path + ": " + reader.status().message() +
                                      " (Options::skip_corrupt_wal_records skips such records)")
                 : reader.status();
    }
  }
  Status s = flush();
  versions_->SetLastSequence(last);
  return s;
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
