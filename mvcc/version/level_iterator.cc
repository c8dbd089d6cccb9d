// SPDX-License-Identifier: Apache-2.0
#include "mvcc/version/level_iterator.h"

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <utility>

#include "arenakv/base/check.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {
namespace {

class LevelIterator final : public InternalIterator {
 public:
  LevelIterator(std::vector<TableFileRef> files, bool verify_checksums, bool fill_cache,
                ReaderUse use, bool key_first)
      : files_(std::move(files)),
        verify_checksums_(verify_checksums),
        fill_cache_(fill_cache),
        use_(use),
        key_first_(key_first) {}

  bool Valid() const override { return file_ != nullptr && file_->Valid(); }

  void SeekToFirst() override {
    if (Open(0)) file_->SeekToFirst();
    SkipEmptyForward();
  }

  void SeekToLast() override {
    if (Open(files_.size() - 1)) file_->SeekToLast();
    SkipEmptyBackward();
  }

  void Seek(std::string_view target) override {
    // The first file whose largest key is >= target holds the first entry >= target.
    auto it = std::partition_point(files_.begin(), files_.end(), [&](const TableFileRef& f) {
      return InternalKeyCompareTotal(f->meta().largest, target) < 0;
    });
    if (Open(static_cast<std::size_t>(it - files_.begin()))) file_->Seek(target);
    SkipEmptyForward();
  }

  void SeekForPrev(std::string_view target) override {
    // The last file whose smallest key is <= target holds the last entry <= target.
    auto it = std::partition_point(files_.begin(), files_.end(), [&](const TableFileRef& f) {
      return InternalKeyCompareTotal(f->meta().smallest, target) <= 0;
    });
    if (Open(static_cast<std::size_t>(it - files_.begin()) - 1)) file_->SeekForPrev(target);
    SkipEmptyBackward();
  }

  void Next() override {
    ARENAKV_DCHECK(Valid());
    file_->Next();
    SkipEmptyForward();
  }

  void Prev() override {
    ARENAKV_DCHECK(Valid());
    file_->Prev();
    SkipEmptyBackward();
  }

  std::string_view key() const override { return file_->key(); }
  std::string_view value() const override { return file_->value(); }
  Status status() const override { return file_ != nullptr ? file_->status() : Status::OK(); }

 private:
  // Positions on files_[index] (unpositioned); false (and no file) if index
  // is out of range, which the unsigned wrap of "-1" also reaches.
  bool Open(std::size_t index) {
    if (index >= files_.size()) {
      file_.reset();
      index_ = files_.size();
      return false;
    }
    // A file iterator that failed stays failed: a seek starts afresh.
    if (file_ == nullptr || index_ != index || !file_->status().ok()) {
      file_ = files_[index]->NewIterator(verify_checksums_, fill_cache_, use_, key_first_);
      index_ = index;
    }
    return true;
  }

  // A file iterator that ran off its end moves on to the next file; one that
  // failed stays, so status() reports the error.
  void SkipEmptyForward() {
    while (file_ != nullptr && !file_->Valid() && file_->status().ok()) {
      if (!Open(index_ + 1)) return;
      file_->SeekToFirst();
    }
  }

  void SkipEmptyBackward() {
    while (file_ != nullptr && !file_->Valid() && file_->status().ok()) {
      if (!Open(index_ - 1)) return;
      file_->SeekToLast();
    }
  }

  const std::vector<TableFileRef> files_;
  const bool verify_checksums_;
  const bool fill_cache_;
  const ReaderUse use_;
  const bool key_first_;
  std::size_t index_ = 0;
  std::unique_ptr<InternalIterator> file_;  // files_[index_]'s, or null
};

}  // namespace

std::unique_ptr<InternalIterator> NewLevelIterator(std::vector<TableFileRef> files,
                                                   bool verify_checksums, bool fill_cache,
                                                   ReaderUse use, bool key_first) {
  return std::make_unique<LevelIterator>(std::move(files), verify_checksums, fill_cache, use,
                                         key_first);
}

}  // namespace arenakv
