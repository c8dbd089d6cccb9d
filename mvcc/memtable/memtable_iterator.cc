// SPDX-License-Identifier: Apache-2.0
#include "mvcc/memtable/memtable_iterator.h"

#include <string>
#include <utility>

namespace arenakv {

namespace {

class MemTableIterator final : public InternalIterator {
 public:
  explicit MemTableIterator(MemTableRef table) : it_(std::move(table)) {}

  bool Valid() const override { return status_.ok() && it_.Valid(); }
  void SeekToFirst() override {
    it_.SeekToFirst();
    Update();
  }
  void SeekToLast() override {
    it_.SeekToLast();
    Update();
  }
  void Seek(std::string_view target) override {
    ParsedInternalKey parsed;
    if (!Parse(target, &parsed)) return;
    it_.Seek(parsed.user_key, parsed.sequence);
    Update();
  }
  void SeekForPrev(std::string_view target) override {
    ParsedInternalKey parsed;
    if (!Parse(target, &parsed)) return;
    it_.SeekForPrev(parsed.user_key, parsed.sequence);
    Update();
  }
  void Next() override {
    it_.Next();
    Update();
  }
  void Prev() override {
    it_.Prev();
    Update();
  }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return it_.value(); }
  Status status() const override { return status_; }

 private:
  // A seek target that is not an internal key is the caller's bug; report it
  // rather than guess.
  bool Parse(std::string_view target, ParsedInternalKey* parsed) {
    if (ParseInternalKey(target, parsed)) return true;
    status_ = Status::InvalidArgument("memtable seek target is not an internal key");
    return false;
  }

  void Update() {
    if (!Valid()) return;
    key_.clear();
    AppendInternalKey(&key_, it_.key(), it_.sequence(), it_.kind());
  }

  MemTable::EntryIterator it_;
  std::string key_;
  Status status_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewMemTableIterator(MemTableRef table) {
  return std::make_unique<MemTableIterator>(std::move(table));
}

}  // namespace arenakv
