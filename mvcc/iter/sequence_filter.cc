// SPDX-License-Identifier: Apache-2.0
#include "mvcc/iter/sequence_filter.h"

#include <string_view>
#include <utility>

namespace arenakv {

namespace {

class SequenceFilterIterator final : public InternalIterator {
 public:
  SequenceFilterIterator(std::unique_ptr<InternalIterator> inner, SequenceNumber max_sequence)
      : inner_(std::move(inner)), max_sequence_(max_sequence) {}

  bool Valid() const override { return inner_->Valid(); }
  void SeekToFirst() override {
    inner_->SeekToFirst();
    SkipForward();
  }
  void SeekToLast() override {
    inner_->SeekToLast();
    SkipBackward();
  }
  void Seek(std::string_view target) override {
    inner_->Seek(target);
    SkipForward();
  }
  void SeekForPrev(std::string_view target) override {
    inner_->SeekForPrev(target);
    SkipBackward();
  }
  void Next() override {
    inner_->Next();
    SkipForward();
  }
  void Prev() override {
    inner_->Prev();
    SkipBackward();
  }
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  Status status() const override { return inner_->status(); }

 private:
  bool Hidden() const {
    const std::string_view key = inner_->key();
    return key.size() >= kTrailerSize && (ExtractTrailer(key) >> 8) > max_sequence_;
  }
  void SkipForward() {
    while (inner_->Valid() && Hidden()) inner_->Next();
  }
  void SkipBackward() {
    while (inner_->Valid() && Hidden()) inner_->Prev();
  }

  const std::unique_ptr<InternalIterator> inner_;
  const SequenceNumber max_sequence_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewSequenceFilterIterator(std::unique_ptr<InternalIterator> inner,
                                                            SequenceNumber max_sequence) {
  return std::make_unique<SequenceFilterIterator>(std::move(inner), max_sequence);
}

}  // namespace arenakv
