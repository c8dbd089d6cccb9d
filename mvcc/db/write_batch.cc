// SPDX-License-Identifier: Apache-2.0
#include <arenakv/mvcc/write_batch.h>

#include "mvcc/util/coding.h"

namespace arenakv {

namespace {

// Record kinds; the same values as EntryKind (mvcc/memtable/memtable.h).
constexpr char kKindDelete = 0;
constexpr char kKindPut = 1;

// Decodes the records of `contents` (header already checked), calling
// `handler` for each if it is non-null. Corruption on any malformed record or
// a count mismatch.
Status ParseRecords(std::string_view contents, WriteBatch::Handler* handler) {
  std::string_view input = contents.substr(WriteBatch::kHeaderSize);
  const std::uint32_t count = DecodeFixed32(contents.data() + 8);
  std::uint32_t found = 0;
  while (!input.empty()) {
    const char kind = input.front();
    input.remove_prefix(1);
    std::string_view key;
    std::string_view value;
    if (kind == kKindPut) {
      if (!GetLengthPrefixed(&input, &key) || !GetLengthPrefixed(&input, &value)) {
        return Status::Corruption("write batch: truncated put record");
      }
      if (handler != nullptr) handler->Put(key, value);
    } else if (kind == kKindDelete) {
      if (!GetLengthPrefixed(&input, &key)) {
        return Status::Corruption("write batch: truncated delete record");
      }
      if (handler != nullptr) handler->Delete(key);
    } else {
      return Status::Corruption("write batch: unknown record kind");
    }
    ++found;
  }
  if (found != count) return Status::Corruption("write batch: count does not match records");
  return Status::OK();
}

}  // namespace

WriteBatch::WriteBatch() { Clear(); }

void WriteBatch::Put(std::string_view key, std::string_view value) {
  SetCount(static_cast<std::uint32_t>(Count() + 1));
  rep_.push_back(kKindPut);
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
}

void WriteBatch::Delete(std::string_view key) {
  SetCount(static_cast<std::uint32_t>(Count() + 1));
  rep_.push_back(kKindDelete);
  PutLengthPrefixed(&rep_, key);
}

void WriteBatch::Clear() {
  rep_.clear();
  rep_.resize(kHeaderSize, '\0');
}

std::size_t WriteBatch::Count() const { return DecodeFixed32(rep_.data() + 8); }

std::uint64_t WriteBatch::Sequence() const { return DecodeFixed64(rep_.data()); }

void WriteBatch::SetSequence(std::uint64_t sequence) { EncodeFixed64(rep_.data(), sequence); }

void WriteBatch::SetCount(std::uint32_t count) { EncodeFixed32(rep_.data() + 8, count); }

Status WriteBatch::FromContents(std::string_view contents, WriteBatch* batch) {
  if (contents.size() < kHeaderSize) return Status::Corruption("write batch: short header");
  Status s = ParseRecords(contents, nullptr);
  if (!s.ok()) return s;
  batch->rep_.assign(contents);
  return Status::OK();
}

Status WriteBatch::Iterate(Handler& handler) const { return ParseRecords(rep_, &handler); }

}  // namespace arenakv
