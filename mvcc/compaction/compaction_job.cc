// SPDX-License-Identifier: Apache-2.0
#include "mvcc/compaction/compaction_job.h"

#include <memory>
#include <string>
#include <utility>

#include "mvcc/compaction/drain.h"
#include "mvcc/compaction/key_history_gc.h"
#include "mvcc/iter/merging_iterator.h"
#include "mvcc/version/level_iterator.h"

namespace arenakv {

CompactionJob::CompactionJob(VersionSet* versions, const TableOptions& options,
                             const Compaction& compaction, std::vector<SequenceNumber> sequences,
                             const std::atomic<bool>* stop)
    : c_(compaction),
      sequences_(std::move(sequences)),
      stop_(stop),
      target_file_size_(compaction.target_file_size),
      max_grandparent_overlap_(compaction.max_grandparent_overlap),
      output_(versions, options) {}

Status CompactionJob::Run(VersionEdit* edit, std::vector<TableFileRef>* added) {
  added->clear();
  if (c_.trivial_move) {
    for (const TableFileRef& f : c_.inputs) {
      edit->DeleteFile(c_.level, f->meta().number);
      edit->AddFile(c_.output_level, f->meta());
      added->push_back(f);
    }
    return Status::OK();
  }
  Status s = Merge();
  if (s.ok()) s = output_.Finish();
  if (!s.ok()) return s;
  for (const TableFileRef& f : c_.inputs) edit->DeleteFile(c_.level, f->meta().number);
  for (const TableFileRef& f : c_.output_inputs) {
    edit->DeleteFile(c_.output_level, f->meta().number);
  }
  for (const auto& [meta, file] : output_.files()) {
    edit->AddFile(c_.output_level, meta);
    added->push_back(file);
  }
  stats_.bytes_written = output_.bytes_written();
  stats_.files_written = output_.files().size();
  return Status::OK();
}

Status CompactionJob::Merge() {
  std::vector<std::unique_ptr<InternalIterator>> children;
  // Inputs are read once and deleted after: their blocks stay out of the
  // block cache, where they would only evict what readers use.
  if (c_.level == 0) {
    for (const TableFileRef& f : c_.inputs) {
      children.push_back(f->NewIterator(/*verify_checksums=*/true, /*fill_cache=*/false,
                                        ReaderUse::kBrief,
                                        /*key_first=*/true));
    }
  } else {
    children.push_back(NewLevelIterator(c_.inputs, /*verify_checksums=*/true, /*fill_cache=*/false,
                                        ReaderUse::kBrief, /*key_first=*/true));
  }
  if (!c_.output_inputs.empty()) {
    children.push_back(NewLevelIterator(c_.output_inputs, /*verify_checksums=*/true,
                                        /*fill_cache=*/false, ReaderUse::kBrief,
                                        /*key_first=*/true));
  }
  stats_.bytes_read = c_.InputBytes();
  std::unique_ptr<InternalIterator> input = NewMergingIterator(std::move(children));

  KeyHistoryGc gc(sequences_,
                  [this](std::string_view user_key) { return c_.IsBottommostForKey(user_key); });
  DrainOptions options;
  options.source = "compaction input";
  options.stop = stop_;
  options.cut_before = [this](std::string_view user_key) { return ShouldCutBefore(user_key); };
  DrainStats drained;
  Status s = DrainThroughGc(input.get(), &gc, &output_, options, &drained);
  stats_.entries_read = drained.entries_read;
  stats_.entries_written = drained.entries_written;
  stats_.zeroed_sequences = drained.zeroed_sequences;
  stats_.dropped_hidden = gc.dropped_hidden();
  stats_.dropped_tombstones = gc.dropped_tombstones();
  return s;
}

bool CompactionJob::ShouldCutBefore(std::string_view user_key) {
  const auto& gp = c_.grandparents;
  while (grandparent_index_ < gp.size() && LargestUserKey(*gp[grandparent_index_]) < user_key) {
    // Only what the open file spans counts against it.
    if (output_.file_open()) grandparent_overlap_ += gp[grandparent_index_]->meta().file_size;
    ++grandparent_index_;
  }
  if (!output_.file_open()) return false;
  if (output_.file_size() >= target_file_size_ || grandparent_overlap_ > max_grandparent_overlap_) {
    grandparent_overlap_ = 0;
    return true;
  }
  return false;
}

}  // namespace arenakv
