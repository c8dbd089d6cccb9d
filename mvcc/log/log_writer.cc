// SPDX-License-Identifier: Apache-2.0
#include "mvcc/log/log_writer.h"

#include <algorithm>

#include "mvcc/util/checksum.h"
#include "mvcc/util/coding.h"

namespace arenakv {

LogWriter::LogWriter(WritableFile* file)
    : file_(file), block_offset_(static_cast<std::size_t>(file->Size() % kLogBlockSize)) {}

Status LogWriter::AddRecord(std::string_view head, std::string_view tail) {
  // What is left to write: the rest of head, then the rest of tail.
  std::string_view left = head;
  std::string_view left_tail = tail;
  bool begin = true;
  // An empty record still emits one (empty) kFull fragment.
  do {
    const std::size_t leftover = kLogBlockSize - block_offset_;
    if (leftover < kLogHeaderSize) {
      // The block trailer: too small for a header, zero-filled.
      static constexpr char kZeros[kLogHeaderSize] = {};
      if (leftover > 0) {
        Status s = file_->Append(std::string_view(kZeros, leftover));
        if (!s.ok()) return s;
      }
      block_offset_ = 0;
    }
    const std::size_t available = kLogBlockSize - block_offset_ - kLogHeaderSize;
    const std::size_t n = std::min(left.size(), available);
    const std::size_t n_tail = std::min(left_tail.size(), available - n);
    const bool end = n == left.size() && n_tail == left_tail.size();
    LogRecordType type = LogRecordType::kMiddle;
    if (begin && end) {
      type = LogRecordType::kFull;
    } else if (begin) {
      type = LogRecordType::kFirst;
    } else if (end) {
      type = LogRecordType::kLast;
    }
    Status s = EmitFragment(type, left.substr(0, n), left_tail.substr(0, n_tail));
    if (!s.ok()) return s;
    left.remove_prefix(n);
    left_tail.remove_prefix(n_tail);
    begin = false;
  } while (!left.empty() || !left_tail.empty());
  return Status::OK();
}

Status LogWriter::EmitFragment(LogRecordType type, std::string_view a, std::string_view b) {
  const char type_byte = static_cast<char>(type);
  char header[kLogHeaderSize];
  EncodeFixed32(header, Checksum32Of({std::string_view(&type_byte, 1), a, b}));
  EncodeFixed16(header + 4, static_cast<std::uint16_t>(a.size() + b.size()));
  header[6] = type_byte;
  Status s = file_->Append(std::string_view(header, kLogHeaderSize));
  if (s.ok() && !a.empty()) s = file_->Append(a);
  if (s.ok() && !b.empty()) s = file_->Append(b);
  block_offset_ += kLogHeaderSize + a.size() + b.size();
  return s;
}

}  // namespace arenakv
