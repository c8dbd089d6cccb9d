// SPDX-License-Identifier: Apache-2.0
#include "mvcc/txn/transaction_iterator.h"

#include <utility>

namespace arenakv {

TransactionIterator::TransactionIterator(std::shared_ptr<const ReadView> view,
                                         std::unique_ptr<Iterator> inner,
                                         std::shared_ptr<ReadSet> reads, const ReadOptions& options)
    : view_(std::move(view)),
      inner_(std::move(inner)),
      reads_(std::move(reads)),
      lower_bound_(options.lower_bound),
      upper_bound_(options.upper_bound) {
  if (reads_ != nullptr) {
    slot_ = reads_->ranges.size();
    reads_->ranges.emplace_back();
  }
}

void TransactionIterator::Cover(std::optional<std::string_view> from,
                                std::optional<std::string_view> to) {
  if (reads_ == nullptr) return;
  // The ends of the key space are the iterator's bounds, where it has them
  // (the upper bound is exclusive; covering it too only validates more).
  if (!from && lower_bound_) from = *lower_bound_;
  if (!to && upper_bound_) to = *upper_bound_;
  reads_->ranges[slot_].Cover(from, to);
}

void TransactionIterator::SeekToFirst() {
  inner_->SeekToFirst();
  Cover(std::nullopt, Here());
}

void TransactionIterator::SeekToLast() {
  inner_->SeekToLast();
  Cover(Here(), std::nullopt);
}

void TransactionIterator::Seek(std::string_view target) {
  if (reads_ == nullptr) return inner_->Seek(target);
  // The target may point into this iterator's key, which the move changes.
  target_.assign(target);
  inner_->Seek(target_);
  Cover(target_, Here());
}

void TransactionIterator::SeekForPrev(std::string_view target) {
  if (reads_ == nullptr) return inner_->SeekForPrev(target);
  target_.assign(target);
  inner_->SeekForPrev(target_);
  Cover(Here(), target_);
}

void TransactionIterator::Next() {
  if (reads_ != nullptr) left_.assign(inner_->key());
  inner_->Next();
  Cover(left_, Here());
}

void TransactionIterator::Prev() {
  if (reads_ != nullptr) left_.assign(inner_->key());
  inner_->Prev();
  Cover(Here(), left_);
}

}  // namespace arenakv
