// SPDX-License-Identifier: Apache-2.0
#include "mvcc/version/version_set.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "mvcc/env/filename.h"
#include "mvcc/log/log_reader.h"

namespace arenakv {

namespace {

// Removes the files `edit` deletes from per-level lists of File (a
// TableFileRef, or a FileMetaData while the manifest is replayed); Corruption
// if one is not there.
template <typename File, typename NumberOf>
Status EraseDeletedFiles(const VersionEdit& edit, std::array<std::vector<File>, kNumLevels>* levels,
                         NumberOf number_of) {
  for (const auto& [level, number] : edit.deleted_files()) {
    auto& files = (*levels)[level];
    auto it = std::find_if(files.begin(), files.end(),
                           [&, n = number](const File& f) { return number_of(f) == n; });
    if (it == files.end()) {
      return Status::Corruption("manifest deletes table " + std::to_string(number) +
                                " which is not at level " + std::to_string(level));
    }
    files.erase(it);
  }
  return Status::OK();
}

}  // namespace

std::uint64_t Version::TotalFileSize() const {
  std::uint64_t total = 0;
  for (const auto& level : levels) total += TotalBytes(level);
  return total;
}

std::uint64_t Version::NumFiles() const {
  std::uint64_t total = 0;
  for (const auto& level : levels) total += level.size();
  return total;
}

std::uint64_t Version::LevelBytes(int level) const { return TotalBytes(levels[level]); }

std::vector<TableFileRef> Version::OverlappingFiles(int level,
                                                    std::optional<std::string_view> begin,
                                                    std::optional<std::string_view> end) const {
  std::vector<TableFileRef> result;
  const auto& files = levels[level];
  std::vector<bool> taken(files.size(), false);
  for (bool grew = true; grew;) {
    grew = false;
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (taken[i]) continue;
      const TableFile& f = *files[i];
      if ((begin && LargestUserKey(f) < *begin) || (end && SmallestUserKey(f) > *end)) continue;
      taken[i] = true;
      if (level == 0) {
        // Widen the range to this file's, and look again at the files skipped.
        if (begin && SmallestUserKey(f) < *begin) {
          begin = SmallestUserKey(f);
          grew = true;
        }
        if (end && LargestUserKey(f) > *end) {
          end = LargestUserKey(f);
          grew = true;
        }
      }
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (taken[i]) result.push_back(files[i]);
  }
  return result;
}

const TableFile* Version::FileForKey(int level, std::string_view user_key) const {
  const auto& files = levels[level];
  // The first file whose largest user key is >= user_key.
  auto it = std::partition_point(files.begin(), files.end(), [&](const TableFileRef& f) {
    return LargestUserKey(*f) < user_key;
  });
  if (it == files.end() || SmallestUserKey(**it) > user_key) return nullptr;
  return it->get();
}

VersionSet::VersionSet(std::string dir, FileSystem* fs, TableOptions table_options,
                       BlockCache* cache, std::uint64_t max_manifest_file_size,
                       std::size_t table_cache_capacity, bool paranoid_checks, MemoryBudget* budget)
    : dir_(std::move(dir)),
      fs_(fs),
      table_options_(table_options),
      cache_(cache),
      budget_(budget),
      table_cache_(table_cache_capacity == 0 ? nullptr
                                             : std::make_unique<TableCache>(
                                                   dir_, fs_, table_options_, cache_,
                                                   paranoid_checks, table_cache_capacity, budget)),
      max_manifest_file_size_(max_manifest_file_size),
      current_(std::make_shared<const Version>()) {}

VersionSet::~VersionSet() {
  manifest_log_.reset();
  if (manifest_file_ != nullptr) (void)manifest_file_->Close();
}

void VersionSet::MarkFileNumberUsed(std::uint64_t number) {
  // Callers reject numbers near 2^64 (DBImpl::Recover), so number + 1 does
  // not wrap.
  std::uint64_t next = next_file_number_.load();
  while (next <= number && !next_file_number_.compare_exchange_weak(next, number + 1)) {
  }
}

VersionRef VersionSet::current() const {
  MutexLock lock(&mu_);
  return current_;
}

void VersionSet::Install(const VersionRef& version) {
  VersionRef old;
  {
    MutexLock lock(&mu_);
    old = std::exchange(current_, version);
  }
  // Files the new version dropped (at every level: a file may move between
  // levels) are deleted once the last reader lets go.
  std::unordered_set<const TableFile*> kept;
  for (const auto& level : version->levels) {
    for (const TableFileRef& f : level) kept.insert(f.get());
  }
  for (const auto& level : old->levels) {
    for (const TableFileRef& f : level) {
      if (!kept.contains(f.get())) f->MarkObsolete();
    }
  }
}

Status VersionSet::OpenTable(const FileMetaData& meta, bool paranoid, TableFileRef* file) {
  std::string path = TableFileName(dir_, meta.number);
  if (table_cache_ == nullptr) {
    std::unique_ptr<Table> table;
    Status s = OpenTableReader(dir_, fs_, table_options_, cache_, /*block_cache_id=*/0, meta,
                               paranoid, &table);
    if (!s.ok()) return s;
    std::shared_ptr<const Table> shared;
    if (!ShareChargedTable(&table, budget_, &shared)) {
      return Status::MemoryLimit("the memory budget (" + budget_->Describe() +
                                 ") has no room for the reader of " + path);
    }
    *file = std::make_shared<TableFile>(meta, std::move(shared), fs_, std::move(path));
    return Status::OK();
  }
  auto opened = NewCachedTableFile(meta);
  std::shared_ptr<const Table> table;
  // Opens it now (and caches the reader, if the budget has room for it).
  Status s = opened->GetTable(&table, ReaderUse::kBrief);
  if (!s.ok()) return s;
  *file = std::move(opened);
  return Status::OK();
}

TableFileRef VersionSet::NewCachedTableFile(const FileMetaData& meta) {
  return std::make_shared<TableFile>(meta, table_cache_.get(),
                                     cache_ != nullptr ? cache_->NewId() : 0, fs_,
                                     TableFileName(dir_, meta.number));
}

Status VersionSet::Apply(const Version& base, const VersionEdit& edit,
                         std::vector<TableFileRef> added, VersionRef* result) const {
  auto next = std::make_shared<Version>(base);
  Status s = EraseDeletedFiles(edit, &next->levels,
                               [](const TableFileRef& f) { return f->meta().number; });
  if (!s.ok()) return s;
  const auto& new_files = edit.new_files();
  for (std::size_t i = 0; i < new_files.size(); ++i) {
    next->levels[new_files[i].first].push_back(std::move(added[i]));
  }
  // Level 0: newest first. Files are numbered in creation order, and a flush
  // always holds newer data than every file made before it.
  std::sort(next->levels[0].begin(), next->levels[0].end(),
            [](const TableFileRef& a, const TableFileRef& b) {
              return a->meta().number > b->meta().number;
            });
  for (int level = 1; level < kNumLevels; ++level) {
    std::sort(next->levels[level].begin(), next->levels[level].end(),
              [](const TableFileRef& a, const TableFileRef& b) {
                return InternalKeyCompare(a->meta().smallest, b->meta().smallest) < 0;
              });
  }
  *result = std::move(next);
  return Status::OK();
}

void VersionSet::FillEdit(VersionEdit* edit) const {
  edit->SetNextFileNumber(next_file_number_.load());
  edit->SetLastSequence(last_sequence_.load());
}

Status VersionSet::CreateNew() {
  VersionEdit edit;
  edit.SetComparatorName(kBytewiseComparatorName);
  edit.SetLogNumber(0);
  return WriteSnapshot(&edit, {});
}

Status VersionSet::WriteSnapshot(VersionEdit* edit, std::vector<TableFileRef> added) {
  VersionRef next;
  Status s = Apply(*current(), *edit, std::move(added), &next);
  if (!s.ok()) return s;
  MutexLock lock(&manifest_mu_);  // uncontended: Open runs alone
  s = StartManifest(*next, edit->log_number().value_or(log_number_));
  if (!s.ok()) return s;
  Install(next);
  return Status::OK();
}

Status VersionSet::StartManifest(const Version& version, std::uint64_t log_number) {
  const std::uint64_t number = NewFileNumber();
  VersionEdit snapshot;
  snapshot.SetComparatorName(kBytewiseComparatorName);
  snapshot.SetLogNumber(log_number);
  FillEdit(&snapshot);
  for (int level = 0; level < kNumLevels; ++level) {
    for (const TableFileRef& f : version.levels[level]) snapshot.AddFile(level, f->meta());
  }
  std::string record;
  snapshot.EncodeTo(&record);

  const std::string path = ManifestFileName(dir_, number);
  std::unique_ptr<WritableFile> file;
  Status s = fs_->NewWritableFile(path, &file);
  if (!s.ok()) return s;
  auto log = std::make_unique<LogWriter>(file.get());
  s = log->AddRecord(record);
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = fs_->SyncDir(dir_);  // the manifest's name, before CURRENT names it
  if (!s.ok()) {
    log.reset();
    (void)file->Close();
    (void)fs_->RemoveFile(path);
    return s;
  }
  // From here on CURRENT may name the new manifest even if this fails (the
  // rename done, the directory sync not): the manifest must stay. An unused
  // one is deleted at the next Open.
  s = SetCurrentFile(fs_, dir_, number);
  if (!s.ok()) {
    log.reset();
    (void)file->Close();
    // CURRENT may name either manifest now: append to neither.
    manifest_log_.reset();
    return s;
  }
  manifest_log_.reset();
  if (manifest_file_ != nullptr) (void)manifest_file_->Close();
  manifest_file_ = std::move(file);
  manifest_log_ = std::move(log);
  manifest_bytes_ = record.size();
  manifest_number_ = number;
  log_number_ = log_number;
  return Status::OK();
}

Status VersionSet::LogAndApply(VersionEdit* edit, std::vector<TableFileRef> added) {
  MutexLock lock(&manifest_mu_);
  if (manifest_log_ == nullptr) return Status::InvalidArgument("no manifest is open");
  VersionRef next;
  Status s = Apply(*current(), *edit, std::move(added), &next);
  if (!s.ok()) return s;
  FillEdit(edit);
  if (manifest_bytes_ >= max_manifest_file_size_) {
    // A new manifest holding the result instead of one more record. Once
    // CURRENT names it, durably, the old one is garbage (if this removal
    // fails, the next Open deletes it).
    const std::uint64_t old_manifest = manifest_number_;
    s = StartManifest(*next, edit->log_number().value_or(log_number_));
    if (!s.ok()) return s;
    (void)fs_->RemoveFile(ManifestFileName(dir_, old_manifest));
    Install(next);
    return Status::OK();
  }
  std::string record;
  edit->EncodeTo(&record);
  s = manifest_log_->AddRecord(record);
  if (s.ok()) s = manifest_file_->Sync();
  if (!s.ok()) {
    // The manifest may now end in a torn record: never append to it again.
    manifest_log_.reset();
    return s;
  }
  manifest_bytes_ += record.size();
  if (edit->log_number()) log_number_ = *edit->log_number();
  Install(next);
  return Status::OK();
}

namespace {

class ManifestReporter final : public LogReader::Reporter {
 public:
  void Corruption(std::size_t, const Status& reason) override {
    if (status.ok()) status = reason;
  }
  Status status;
};

}  // namespace

Status VersionSet::Recover(bool paranoid_checks) {
  std::string manifest_name;
  Status s = ReadCurrentFile(fs_, dir_, &manifest_name);
  if (!s.ok()) return s;
  const std::string path = dir_ + "/" + manifest_name;
  std::unique_ptr<SequentialFile> file;
  s = fs_->NewSequentialFile(path, &file);
  if (s.IsNotFound()) return Status::Corruption("CURRENT names a missing manifest: " + path);
  if (!s.ok()) return s;
  std::uint64_t manifest_number = 0;
  FileType type;
  if (!ParseFileName(manifest_name, &manifest_number, &type) || type != FileType::kManifest) {
    return Status::Corruption("CURRENT names no manifest: " + manifest_name);
  }

  // Replay the edits into file lists; open the tables once, at the end.
  std::array<std::vector<FileMetaData>, kNumLevels> levels;
  std::optional<std::uint64_t> log_number, next_file;
  std::optional<SequenceNumber> last_sequence;
  ManifestReporter reporter;
  LogReader reader(file.get(), &reporter, /*verify_checksums=*/true);
  std::string record;
  int records = 0;
  while (reader.ReadRecord(&record)) {
    VersionEdit edit;
    s = edit.DecodeFrom(record);
    if (!s.ok()) return s.IsCorruption() ? Status::Corruption(path + ": " + s.message()) : s;
    if (records++ == 0 && !edit.comparator_name()) {
      return Status::Corruption(path + ": the first record is not a snapshot");
    }
    s = EraseDeletedFiles(edit, &levels, [](const FileMetaData& f) { return f.number; });
    if (!s.ok()) return Status::Corruption(path + ": " + s.message());
    for (const auto& [level, meta] : edit.new_files()) levels[level].push_back(meta);
    if (edit.log_number()) log_number = edit.log_number();
    if (edit.next_file_number()) next_file = edit.next_file_number();
    if (edit.last_sequence()) last_sequence = edit.last_sequence();
  }
  if (!reader.status().ok()) return Status::Corruption(path + ": " + reader.status().message());
  if (records == 0 || !log_number || !next_file || !last_sequence) {
    return Status::Corruption(path + ": incomplete manifest");
  }

  VersionEdit all;
  std::vector<TableFileRef> opened;
  for (int level = 0; level < kNumLevels; ++level) {
    for (const FileMetaData& meta : levels[level]) {
      if (meta.number >= (std::uint64_t{1} << 56)) {
        return Status::Corruption(path + ": table number out of range");
      }
      TableFileRef f;
      if (table_cache_ == nullptr ||
          (paranoid_checks && table_cache_->capacity() == TableCache::kUnlimited)) {
        // Every reader checked now (max_open_files -1); with a budget, kept
        // open only while the budget has room for it.
        s = OpenTable(meta, paranoid_checks, &f);
      } else {
        // Opened on first use: Open reads no table, so its time does not
        // grow with the data. The file must be there, at its size.
        s = CheckTableFileSize(dir_, fs_, meta);
        if (s.ok()) f = NewCachedTableFile(meta);
      }
      if (!s.ok()) return s;
      all.AddFile(level, meta);
      opened.push_back(std::move(f));
      MarkFileNumberUsed(meta.number);
    }
  }
  VersionRef version;
  s = Apply(Version{}, all, std::move(opened), &version);
  if (!s.ok()) return s;
  if (paranoid_checks) {
    // Levels >= 1 are sorted runs: a read looks into one file per level.
    for (int level = 1; level < kNumLevels; ++level) {
      const std::vector<TableFileRef>& files = version->levels[level];
      for (std::size_t i = 1; i < files.size(); ++i) {
        if (LargestUserKey(*files[i - 1]) >= SmallestUserKey(*files[i])) {
          return Status::Corruption(path + ": tables " +
                                    std::to_string(files[i - 1]->meta().number) + " and " +
                                    std::to_string(files[i]->meta().number) + " overlap at level " +
                                    std::to_string(level));
        }
      }
    }
  }
  if (*next_file == 0 || *next_file >= (std::uint64_t{1} << 56)) {
    return Status::Corruption(path + ": next file number out of range");
  }
  MarkFileNumberUsed(*next_file - 1);
  MarkFileNumberUsed(manifest_number);
  last_sequence_.store(*last_sequence);
  log_number_ = *log_number;
  manifest_number_ = manifest_number;
  Install(version);
  return Status::OK();
}

}  // namespace arenakv
