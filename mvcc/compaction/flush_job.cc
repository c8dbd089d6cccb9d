// SPDX-License-Identifier: Apache-2.0
#include "mvcc/compaction/flush_job.h"

#include <memory>
#include <utility>

#include "mvcc/compaction/drain.h"
#include "mvcc/compaction/key_history_gc.h"
#include "mvcc/compaction/table_output.h"
#include "mvcc/memtable/memtable_iterator.h"

namespace arenakv {

FlushJob::FlushJob(VersionSet* versions, const TableOptions& options, MemTableRef mem,
                   std::vector<SequenceNumber> sequences)
    : versions_(versions),
      options_(options),
      mem_(std::move(mem)),
      sequences_(std::move(sequences)) {}

Status FlushJob::Run(TableFileRef* file, FileMetaData* meta) {
  file->reset();
  TableOutput output(versions_, options_);
  KeyHistoryGc gc(sequences_, nullptr);
  std::unique_ptr<InternalIterator> it = NewMemTableIterator(mem_);
  DrainOptions options;
  options.source = "memtable";
  DrainStats stats;
  Status s = DrainThroughGc(it.get(), &gc, &output, options, &stats);
  if (s.ok()) s = output.Finish();
  if (!s.ok()) {
    output.Abandon();
    return s;
  }
  if (!output.files().empty()) {
    *meta = output.files().front().first;
    *file = output.files().front().second;
  }
  return Status::OK();
}

}  // namespace arenakv
