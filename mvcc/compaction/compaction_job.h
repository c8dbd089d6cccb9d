// SPDX-License-Identifier: Apache-2.0
// CompactionJob: runs one Compaction (mvcc/compaction/compaction.h): merges its input
// files, keeps the versions some reader may still see (mvcc/compaction/key_history_gc.h),
// and writes the result as new table files at the output level, cut at
// user-key boundaries once a file reaches the target size or overlaps too
// many bytes of the level below (so no later compaction of it has to rewrite
// a huge range there).
//
// A put that every reader sees and that nothing below the output level can
// hold is written with sequence 0, which encodes in one byte.
//
// A trivial move writes nothing: the edit moves the files down a level.
//
// Usage
//   CompactionJob job(versions, table_options, compaction, sequences, &stop);
//   VersionEdit edit;
//   std::vector<TableFileRef> added;
//   Status s = job.Run(&edit, &added);   // outputs written and synced
//   if (!s.ok()) job.Abandon();          // removes the outputs
//   else s = versions->LogAndApply(&edit, std::move(added));
//   // (after a failed LogAndApply the manifest may still name the outputs:
//   // keep them; Open deletes them if the edit did not persist)
//
// Thread safety: one thread runs a job; many jobs may run at once on
// disjoint inputs (the picker sees to that). The job reads only immutable
// files and the Version its Compaction holds. `stop`, set by another thread
// (shutdown), makes Run return Busy soon.
#ifndef ARENAKV_MVCC_COMPACTION_COMPACTION_JOB_H_
#define ARENAKV_MVCC_COMPACTION_COMPACTION_JOB_H_

#include <arenakv/mvcc/status.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "mvcc/compaction/compaction.h"
#include "mvcc/compaction/table_output.h"
#include "mvcc/version/version_edit.h"
#include "mvcc/version/version_set.h"

namespace arenakv {

struct CompactionJobStats {
  std::uint64_t bytes_read = 0;  // input files
  std::uint64_t bytes_written = 0;
  std::uint64_t entries_read = 0;
  std::uint64_t entries_written = 0;
  std::uint64_t dropped_hidden = 0;      // versions no reader can see
  std::uint64_t dropped_tombstones = 0;  // tombstones at the bottom
  std::uint64_t files_written = 0;
  std::uint64_t zeroed_sequences = 0;  // bottom-level puts stored with sequence 0
};

class CompactionJob {
 public:
  // `sequences`: the live snapshots and the newest sequence when the job
  // started (see KeyHistoryGc).
  CompactionJob(VersionSet* versions, const TableOptions& options, const Compaction& compaction,
                std::vector<SequenceNumber> sequences, const std::atomic<bool>* stop);

  // Writes the outputs and fills *edit (inputs deleted, outputs added) and
  // *added (the outputs, opened, in edit order). Corruption if an input
  // holds a malformed key; the file system's error on failed I/O; Busy if
  // stopped. On error, call Abandon.
  Status Run(VersionEdit* edit, std::vector<TableFileRef>* added);
  // Removes the files a failed Run wrote.
  void Abandon() { output_.Abandon(); }

  const CompactionJobStats& stats() const { return stats_; }

 private:
  Status Merge();
  // True if the output file should end before user_key: it is large enough,
  // or overlaps too much of the grandparent level. Call once per user key.
  bool ShouldCutBefore(std::string_view user_key);

  const Compaction& c_;
  const std::vector<SequenceNumber> sequences_;
  const std::atomic<bool>* const stop_;
  const std::uint64_t target_file_size_;
  const std::uint64_t max_grandparent_overlap_;
  TableOutput output_;
  CompactionJobStats stats_;

  // Grandparent files wholly before the current key, and the bytes of those
  // passed since the open file started.
  std::size_t grandparent_index_ = 0;
  std::uint64_t grandparent_overlap_ = 0;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_COMPACTION_COMPACTION_JOB_H_
