// SPDX-License-Identifier: Apache-2.0
// FlushJob: writes one immutable memtable to a new level-0 table file,
// keeping the versions some reader may still see (KeyHistoryGc, through the
// loop it shares with CompactionJob: mvcc/compaction/drain.h).
//
// Usage
//   FlushJob job(versions, table_options, mem, sequences);
//   TableFileRef file;
//   FileMetaData meta;
//   Status s = job.Run(&file, &meta);   // written, synced, opened
//   // file is null if nothing was left to write (the memtable held only
//   // versions no reader can see); otherwise name it in a VersionEdit.
//
// Thread safety: one thread runs a job. The memtable must be immutable (no
// writer adds to it); the job holds a reference to it while it runs.
#ifndef ARENAKV_MVCC_COMPACTION_FLUSH_JOB_H_
#define ARENAKV_MVCC_COMPACTION_FLUSH_JOB_H_

#include <arenakv/mvcc/status.h>

#include <vector>

#include "mvcc/memtable/memtable.h"
#include "mvcc/table/table_builder.h"
#include "mvcc/util/dbformat.h"
#include "mvcc/version/table_file.h"
#include "mvcc/version/version_edit.h"
#include "mvcc/version/version_set.h"

namespace arenakv {

class FlushJob {
 public:
  // `sequences`: the live snapshots and the newest sequence when the job
  // started (see KeyHistoryGc); {kMaxSequenceNumber} when no reader exists.
  FlushJob(VersionSet* versions, const TableOptions& options, MemTableRef mem,
           std::vector<SequenceNumber> sequences);

  // Writes the table. On success *file is the opened table and *meta its
  // record, or *file is null if nothing was written. Corruption if the
  // memtable holds a malformed key; the file system's error on failed I/O
  // (and then nothing is left on disk).
  Status Run(TableFileRef* file, FileMetaData* meta);

 private:
  VersionSet* const versions_;
  const TableOptions options_;
  const MemTableRef mem_;
  const std::vector<SequenceNumber> sequences_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_COMPACTION_FLUSH_JOB_H_
