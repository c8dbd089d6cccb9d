// SPDX-License-Identifier: Apache-2.0
#include "mvcc/compaction/table_output.h"

#include "mvcc/env/filename.h"

namespace arenakv {

namespace {

TableCache* ChargerOf(VersionSet* versions) {
  TableCache* cache = versions->table_cache();
  return cache != nullptr && cache->budget() != nullptr ? cache : nullptr;
}

}  // namespace

TableOutput::TableOutput(VersionSet* versions, const TableOptions& options)
    : versions_(versions), options_(options), charger_(ChargerOf(versions)) {}

TableOutput::~TableOutput() {
  if (builder_ != nullptr) builder_->Abandon();
  if (file_ != nullptr) (void)file_->Close();
  Uncover();
}

void TableOutput::Cover(std::size_t used) {
  if (used > covered_) {
    const std::size_t step = (used - covered_ + kChargeStep - 1) / kChargeStep * kChargeStep;
    if (charger_->ChargeJob(step)) charged_ += step;
    covered_ += step;
    return;
  }
  // Shrunk by whole steps (a large block went out): what was held uncharged
  // goes first, so that the charge stays on the memory still held.
  const std::size_t drop = (covered_ - used) / kChargeStep * kChargeStep;
  const std::size_t uncharged = covered_ - charged_;
  const std::size_t released = drop > uncharged ? drop - uncharged : 0;
  charger_->ReleaseJob(released);
  charged_ -= released;
  covered_ -= drop;
}

void TableOutput::Uncover() {
  if (charger_ != nullptr) charger_->ReleaseJob(charged_);
  charged_ = 0;
  covered_ = 0;
}

Status TableOutput::Add(std::string_view internal_key, std::string_view value) {
  if (builder_ == nullptr) {
    number_ = versions_->NewFileNumber();
    created_.push_back(number_);
    Status s = versions_->fs()->NewWritableFile(TableFileName(versions_->dir(), number_), &file_);
    if (!s.ok()) return s;
    builder_ = std::make_unique<TableBuilder>(options_, file_.get());
  }
  builder_->Add(internal_key, value);
  if (charger_ != nullptr) {
    const std::size_t used = builder_->MemoryUsage();
    if (used > covered_ || used + kChargeStep <= covered_) Cover(used);
  }
  return builder_->status();
}

Status TableOutput::FinishFile() {
  if (builder_ == nullptr) return Status::OK();
  Status s = builder_->Finish();
  if (s.ok()) s = file_->Sync();
  if (s.ok()) s = file_->Close();
  file_.reset();
  if (!s.ok()) {
    builder_.reset();
    Uncover();
    return s;
  }
  const TableProperties& props = builder_->properties();
  FileMetaData meta;
  meta.number = number_;
  meta.file_size = builder_->FileSize();
  meta.smallest = props.smallest_key;
  meta.largest = props.largest_key;
  meta.smallest_sequence = props.smallest_sequence;
  meta.largest_sequence = props.largest_sequence;
  builder_.reset();
  Uncover();
  TableFileRef table;
  s = versions_->OpenTable(meta, /*paranoid=*/false, &table);
  if (!s.ok()) return s;
  bytes_written_ += meta.file_size;
  files_.emplace_back(std::move(meta), std::move(table));
  return Status::OK();
}

Status TableOutput::Finish() {
  Status s = FinishFile();
  if (s.ok() && !created_.empty()) s = versions_->fs()->SyncDir(versions_->dir());
  return s;
}

void TableOutput::Abandon() {
  if (builder_ != nullptr) builder_->Abandon();
  builder_.reset();
  Uncover();
  if (file_ != nullptr) (void)file_->Close();
  file_.reset();
  files_.clear();  // the TableFiles are not obsolete-marked: the files go below
  for (std::uint64_t number : created_) {
    (void)versions_->fs()->RemoveFile(TableFileName(versions_->dir(), number));
  }
  created_.clear();
}

}  // namespace arenakv
