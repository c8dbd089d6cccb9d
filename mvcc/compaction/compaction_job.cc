#include "mvcc/compaction/compaction_job.h"

#include <memory>
#include <string>
#include <utility>

#include "mvcc/compaction/version_gc.h"
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
  if (c_.level == 0) {
    for (const TableFileRef& f : c_.inputs) children.push_back(f->table().NewIterator(true));
  } else {
    children.push_back(NewLevelIterator(c_.inputs, /*verify_checksums=*/true));
  }
  if (!c_.output_inputs.empty()) {
    children.push_back(NewLevelIterator(c_.output_inputs, /*verify_checksums=*/true));
  }
  stats_.bytes_read = c_.InputBytes();
  std::unique_ptr<InternalIterator> input = NewMergingIterator(std::move(children));

  VersionGc gc(sequences_,
               [this](std::string_view user_key) { return c_.IsBottommostForKey(user_key); });
  std::string last_user_key;
  bool has_last = false;
  std::string zeroed;
  Status s;
  for (input->SeekToFirst(); input->Valid(); input->Next()) {
    if ((stats_.entries_read++ & 1023) == 0 && stop_->load(std::memory_order_relaxed)) {
      return Status::Busy("compaction stopped: the DB is closing");
    }
    ParsedInternalKey key;
    if (!ParseInternalKey(input->key(), &key)) {
      return Status::Corruption("compaction input holds a malformed internal key");
    }
    const bool new_user_key = !has_last || key.user_key != last_user_key;
    if (new_user_key) {
      // Files end between user keys only, so a level's files never share one.
      if (ShouldCutBefore(key.user_key)) {
        s = output_.FinishFile();
        if (!s.ok()) return s;
      }
      last_user_key.assign(key.user_key);
      has_last = true;
    }
    if (!gc.Keep(key)) continue;
    std::string_view out_key = input->key();
    if (key.kind == EntryKind::kPut && key.sequence != 0 && gc.VisibleToAll(key.sequence) &&
        c_.IsBottommostForKey(key.user_key)) {
      // The key's only version left that old, with nothing below it: every
      // reader sees it, whatever its sequence, so store 0 (a one-byte trailer
      // on disk), as RocksDB does. Newer versions, if kept, sort before it.
      zeroed.assign(key.user_key);
      PutFixed64(&zeroed, PackTrailer(0, EntryKind::kPut));
      out_key = zeroed;
      ++stats_.zeroed_sequences;
    }
    s = output_.Add(out_key, input->value());
    if (!s.ok()) return s;
    ++stats_.entries_written;
  }
  stats_.dropped_hidden = gc.dropped_hidden();
  stats_.dropped_tombstones = gc.dropped_tombstones();
  return input->status();
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
