// SPDX-License-Identifier: Apache-2.0
// TableOutput: writes the table files of one flush or compaction, one after
// another, and opens each finished file for reading.
//
// Usage
//   TableOutput out(versions, table_options);
//   for (...) {
//     if (cut_here) s = out.FinishFile();
//     s = out.Add(internal_key, value);      // starts a new file when none is open
//   }
//   s = out.Finish();                        // last file, then one directory sync
//   for (const auto& [meta, file] : out.files()) ...
//   // on any error: out.Abandon() removes every file written
//
// A file with no entries is never created. Each file is synced when it is
// finished; the directory once, at Finish, before the caller names the files
// in the manifest.
//
// Memory budget: what the open file's builder holds (its blocks on their way
// out, the index block and the filter's key hashes, TableBuilder::
// MemoryUsage) is charged to the DB's budget as the job's
// (TableCache::ChargeJob), in kChargeStep steps as it grows or shrinks, and
// given back when the file is finished. A step the budget has no room for,
// even after cached blocks or idle readers are let go, is held uncharged:
// the job never fails for lack of memory. Not charged: what Finish adds at
// the end (the filter's bit array, about 1.25 bytes a key, while the 8-byte
// hashes are still held), and the file's write buffer.
//
// Not thread-safe: one job drives a TableOutput. VersionSet must outlive it.
#ifndef ARENAKV_MVCC_COMPACTION_TABLE_OUTPUT_H_
#define ARENAKV_MVCC_COMPACTION_TABLE_OUTPUT_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "mvcc/table/table_builder.h"
#include "mvcc/version/version_set.h"

namespace arenakv {

class TableOutput {
 public:
  // Builder memory is charged in steps of this many bytes.
  static constexpr std::size_t kChargeStep = 32 << 10;

  TableOutput(VersionSet* versions, const TableOptions& options);
  ~TableOutput();
  TableOutput(const TableOutput&) = delete;
  TableOutput& operator=(const TableOutput&) = delete;

  Status Add(std::string_view internal_key, std::string_view value);
  // Finishes the open file, if any.
  Status FinishFile();
  // FinishFile, then syncs the directory.
  Status Finish();
  // Removes every file this output created (finished or not).
  void Abandon();

  bool file_open() const { return builder_ != nullptr; }
  // Bytes of the open file so far (0 when none is open).
  std::uint64_t file_size() const { return builder_ != nullptr ? builder_->FileSize() : 0; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  const std::vector<std::pair<FileMetaData, TableFileRef>>& files() const { return files_; }

 private:
  // Brings covered_ to the builder's `used` bytes in whole steps: charges
  // (or holds uncharged) growth, gives back shrinkage.
  void Cover(std::size_t used);
  // Gives back the open file's charge.
  void Uncover();

  VersionSet* const versions_;
  const TableOptions options_;
  // The table cache whose ChargeJob charges the builder; null without a budget.
  TableCache* const charger_;
  std::size_t covered_ = 0;   // builder bytes charged or held uncharged
  std::size_t charged_ = 0;   // of those, charged
  std::uint64_t number_ = 0;  // of the open file
  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<TableBuilder> builder_;
  std::vector<std::uint64_t> created_;  // every file number this output created
  std::vector<std::pair<FileMetaData, TableFileRef>> files_;
  std::uint64_t bytes_written_ = 0;  // finished files
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_COMPACTION_TABLE_OUTPUT_H_
