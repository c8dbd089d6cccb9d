// SPDX-License-Identifier: Apache-2.0
// VersionSet: the DB's set of table files, as recorded in the manifest.
//
// A Version is an immutable snapshot of which table files make up each level:
// flushes add files to level 0 (newest first; they may overlap), compactions
// replace files and move data down into levels 1..6, each a sorted run of
// files with disjoint user-key ranges. Readers hold a Version through
// std::shared_ptr for as long as they read it; each file of a Version is a
// TableFile, shared by every Version that contains it.
//
// The manifest (MANIFEST-<n>, named by CURRENT) is a log (mvcc/log/log_format.h)
// of VersionEdits: the first record is a full snapshot (every file, the log
// number, next file number, last sequence); each later record says what one
// flush or compaction changed. Every record is synced before the edit takes
// effect.
//
// Concurrency: Recover, CreateNew and WriteSnapshot run at Open, alone.
// LogAndApply may be called from several threads at once (the background
// threads' flushes and compactions, CompactRange callers): manifest_mu_
// serializes them, and each edit applies to the then-current Version, so
// concurrent edits compose. current(), NewFileNumber() and the getters are
// thread-safe.
//
// File lifetime: a TableFile marked obsolete (no longer in the current
// Version) deletes its file when the last Version (or iterator) holding it
// lets go.
#ifndef ARENAKV_MVCC_VERSION_VERSION_SET_H_
#define ARENAKV_MVCC_VERSION_VERSION_SET_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "arenakv/base/mutex.h"
#include "mvcc/log/log_writer.h"
#include "mvcc/table/block_cache.h"
#include "mvcc/table/table.h"
#include "mvcc/version/table_cache.h"
#include "mvcc/version/table_file.h"
#include "mvcc/version/version_edit.h"

namespace arenakv {

struct Version {
  // Level 0: newest file first (files may overlap; newer ones shadow older).
  // Levels >= 1: ordered by key; no two files share a user key (compactions
  // cut output files only between user keys).
  std::array<std::vector<TableFileRef>, kNumLevels> levels;

  std::uint64_t TotalFileSize() const;
  std::uint64_t NumFiles() const;
  std::uint64_t LevelBytes(int level) const;

  // The files of `level` whose user-key range meets [begin, end] (a missing
  // bound is unbounded), in level order. At level 0 the range grows with
  // every file found, until no other file overlaps it (a key's versions may
  // be spread over several overlapping files, and must move down together).
  std::vector<TableFileRef> OverlappingFiles(int level, std::optional<std::string_view> begin,
                                             std::optional<std::string_view> end) const;
  // Levels >= 1: the one file whose range may hold user_key, or null.
  const TableFile* FileForKey(int level, std::string_view user_key) const;
};
using VersionRef = std::shared_ptr<const Version>;

class VersionSet {
 public:
  // max_manifest_file_size: see Options; LogAndApply starts a new manifest
  // once the current one holds that many bytes of records.
  // table_cache_capacity: 0 keeps every table file's reader open for life
  // (max_open_files -1); otherwise at most that many stay open, in a
  // TableCache, opened on first use (with paranoid_checks, each open also
  // checks the file's key range against the manifest's; TableCache::kUnlimited:
  // no bound but the budget's). `budget` (may be null; must outlive the
  // VersionSet and every reader) is charged for the open readers (table_cache.h).
  VersionSet(std::string dir, FileSystem* fs, TableOptions table_options, BlockCache* cache,
             std::uint64_t max_manifest_file_size = std::uint64_t{1} << 30,
             std::size_t table_cache_capacity = 0, bool paranoid_checks = true,
             MemoryBudget* budget = nullptr);
  ~VersionSet();

  // A new DB: a manifest (numbered by NewFileNumber()) holding an empty
  // snapshot, and CURRENT naming it.
  Status CreateNew();
  // Reads CURRENT and the manifest, opens every table file it names (reading
  // and checking their footers, indexes, filters and properties), and makes
  // that the current Version. Missing or corrupt files and manifests are
  // Corruption; with paranoid_checks so is a table whose key range is not
  // the manifest's record of it, and a level >= 1 whose files overlap. No
  // data block is read. With a bounded table cache (or an unlimited one
  // without paranoid_checks) no table is opened here: each file's presence
  // and size are checked, the rest at its first use.
  Status Recover(bool paranoid_checks);
  // Starts a new manifest holding one snapshot of the current state with
  // `edit` applied, points CURRENT at it, and installs the result. The old
  // manifest is left for the caller to delete (see manifest_number()).
  Status WriteSnapshot(VersionEdit* edit, std::vector<TableFileRef> added);
  // Appends `edit` (plus next file number and last sequence) to the manifest,
  // syncs it, and installs the resulting Version. `added` holds the opened
  // files of edit->new_files(), in the same order. Once the manifest holds
  // max_manifest_file_size bytes, writes a new manifest instead, holding a
  // snapshot of the resulting Version, points CURRENT at it and deletes the
  // old one.
  Status LogAndApply(VersionEdit* edit, std::vector<TableFileRef> added);

  // Opens table file meta.number for reading (data blocks through the block
  // cache), checking its footer, index, filter and properties; with
  // `paranoid` also that its key range is meta's (with a table cache, the
  // cache's paranoid_checks decides). With a table cache the reader is put
  // there (and may be closed and reopened later; a new flush or compaction
  // output the memory budget has no room for is checked and closed at once,
  // ReaderUse::kBrief). A reader kept for life is charged to the budget:
  // MemoryLimit if it has no room.
  Status OpenTable(const FileMetaData& meta, bool paranoid, TableFileRef* file);

  // The table cache, or null when every reader stays open.
  const TableCache* table_cache() const { return table_cache_.get(); }
  TableCache* table_cache() { return table_cache_.get(); }

  VersionRef current() const;
  std::uint64_t NewFileNumber() { return next_file_number_.fetch_add(1); }
  // Numbers below `number` are never handed out again.
  void MarkFileNumberUsed(std::uint64_t number);
  std::uint64_t next_file_number() const { return next_file_number_.load(); }
  std::uint64_t log_number() const { return log_number_; }
  std::uint64_t manifest_number() const { return manifest_number_; }
  SequenceNumber last_sequence() const { return last_sequence_.load(); }
  void SetLastSequence(SequenceNumber s) { last_sequence_.store(s); }

  const std::string& dir() const { return dir_; }
  FileSystem* fs() const { return fs_; }
  const TableOptions& table_options() const { return table_options_; }

 private:
  // The Version that `edit` turns `base` into; Corruption if it deletes a
  // file that is not there.
  Status Apply(const Version& base, const VersionEdit& edit, std::vector<TableFileRef> added,
               VersionRef* result) const;
  void Install(const VersionRef& version);
  // A TableFile read through table_cache_, not opened yet.
  TableFileRef NewCachedTableFile(const FileMetaData& meta);
  void FillEdit(VersionEdit* edit) const;
  // Writes a new manifest holding a snapshot of `version` (with `log_number`),
  // points CURRENT at it and makes it the one LogAndApply appends to. The
  // old manifest file stays (the caller deletes it).
  Status StartManifest(const Version& version, std::uint64_t log_number)
      ARENAKV_REQUIRES(manifest_mu_);

  const std::string dir_;
  FileSystem* const fs_;
  const TableOptions table_options_;
  BlockCache* const cache_;
  MemoryBudget* const budget_;
  // Before current_: outlives every TableFile the Versions hold.
  const std::unique_ptr<TableCache> table_cache_;

  std::atomic<std::uint64_t> next_file_number_{2};
  std::atomic<SequenceNumber> last_sequence_{0};
  // Written at Open (alone) and by LogAndApply under manifest_mu_; read by
  // the DB at Open only.
  std::uint64_t log_number_ = 0;
  std::uint64_t manifest_number_ = 0;
  Mutex manifest_mu_;  // serializes LogAndApply (the manifest and log_number_)
  std::unique_ptr<WritableFile> manifest_file_ ARENAKV_GUARDED_BY(manifest_mu_);
  std::unique_ptr<LogWriter> manifest_log_ ARENAKV_GUARDED_BY(manifest_mu_);
  std::uint64_t manifest_bytes_ ARENAKV_GUARDED_BY(manifest_mu_) = 0;  // records' bytes
  const std::uint64_t max_manifest_file_size_;

  mutable Mutex mu_;
  VersionRef current_ ARENAKV_GUARDED_BY(mu_);
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_VERSION_VERSION_SET_H_
