// SPDX-License-Identifier: Apache-2.0
#include "mvcc/db/memtable_inserter.h"

#include <cassert>
#include <string_view>

namespace arenakv {

namespace {

// Applies a batch's operations in order, the i-th at sequence first + i.
class MemTableInserter final : public WriteBatch::Handler {
 public:
  MemTableInserter(MemTable* mem, SequenceNumber first,
                   std::optional<std::string_view> outside_value)
      : mem_(mem), sequence_(first), outside_value_(outside_value) {}
  void Put(std::string_view key, std::string_view value) override {
    Add(EntryKind::kPut, key, outside_value_.value_or(value));
  }
  void Delete(std::string_view key) override { Add(EntryKind::kDelete, key, {}); }
  Status status() const { return status_; }

 private:
  void Add(EntryKind kind, std::string_view key, std::string_view value) {
    if (status_.ok()) status_ = mem_->Add(sequence_, kind, key, value);
    ++sequence_;
  }
  MemTable* const mem_;
  SequenceNumber sequence_;
  const std::optional<std::string_view> outside_value_;
  Status status_;
};

}  // namespace

std::size_t InsertPoolsOf(const WriteBatch& batch) {
  class Sizes final : public WriteBatch::Handler {
   public:
    void Put(std::string_view key, std::string_view value) override {
      pools.Add(key.size(), value.size());
    }
    void Delete(std::string_view key) override { pools.Add(key.size(), 0); }
    MemTable::InsertPools pools;
  } sizes;
  // A batch that does not decode inserts nothing.
  return batch.Iterate(sizes).ok() ? sizes.pools.pools() : 0;
}

Status InsertBatch(MemTable* mem, const WriteBatch& batch,
                   std::optional<std::string_view> outside_value) {
  assert(!outside_value || batch.Count() == 1);
  MemTableInserter inserter(mem, batch.Sequence(), outside_value);
  Status s = batch.Iterate(inserter);
  return s.ok() ? inserter.status() : s;
}

}  // namespace arenakv
