// SPDX-License-Identifier: Apache-2.0
// VersionEdit encoding (docs/FORMATS.md, "Manifest (version edits)"):
//
//   field_count varint32, then field_count fields, each `tag varint32` and a
//   payload that depends on the tag (FieldTag below).
#include "mvcc/version/version_edit.h"

#include <cstdio>

#include "arenakv/base/check.h"
#include "mvcc/util/coding.h"

namespace arenakv {
namespace {

// Values are part of the format: never renumber, only add.
enum class FieldTag : std::uint32_t {
  kComparator = 1,      // bytes
  kLogNumber = 2,       // varint64
  kNextFileNumber = 3,  // varint64
  kLastSequence = 4,    // varint64
  kDeletedFile = 5,     // varint32 level, varint64 number
  kNewFile = 6,         // varint32 level, varint64 number, varint64 file_size, bytes smallest,
                        // bytes largest, varint64 smallest_sequence, varint64 largest_sequence
};

void PutTag(std::string* dst, FieldTag tag) { PutVarint32(dst, static_cast<std::uint32_t>(tag)); }

bool GetLevel(std::string_view* input, int* level) {
  std::uint32_t value = 0;
  if (!GetVarint32(input, &value) || value >= static_cast<std::uint32_t>(kNumLevels)) {
    return false;
  }
  *level = static_cast<int>(value);
  return true;
}

bool GetSequence(std::string_view* input, SequenceNumber* sequence) {
  return GetVarint64(input, sequence) && *sequence <= kMaxSequenceNumber;
}

// A file key must be a well-formed internal key.
bool GetInternalKey(std::string_view* input, std::string* key) {
  std::string_view bytes;
  ParsedInternalKey parsed;
  if (!GetLengthPrefixed(input, &bytes) || !ParseInternalKey(bytes, &parsed)) return false;
  key->assign(bytes);
  return true;
}

bool GetFileMetaData(std::string_view* input, FileMetaData* file) {
  return GetVarint64(input, &file->number) && GetVarint64(input, &file->file_size) &&
         GetInternalKey(input, &file->smallest) && GetInternalKey(input, &file->largest) &&
         GetSequence(input, &file->smallest_sequence) &&
         GetSequence(input, &file->largest_sequence) &&
         InternalKeyCompare(file->smallest, file->largest) <= 0 &&
         file->smallest_sequence <= file->largest_sequence;
}

// Printable ASCII as is (but ' and \), everything else as \xNN.
void AppendEscaped(std::string* out, std::string_view bytes) {
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\'' && c != '\\') {
      out->push_back(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", byte);
      out->append(buf);
    }
  }
}

void AppendKey(std::string* out, std::string_view internal_key) {
  ParsedInternalKey parsed;
  if (!ParseInternalKey(internal_key, &parsed)) {
    out->append("<bad key '");
    AppendEscaped(out, internal_key);
    out->append("'>");
    return;
  }
  out->push_back('\'');
  AppendEscaped(out, parsed.user_key);
  out->append("' @");
  out->append(std::to_string(parsed.sequence));
  out->append(parsed.kind == EntryKind::kPut ? " put" : " delete");
}

}  // namespace

void VersionEdit::SetComparatorName(std::string_view name) { comparator_name_ = std::string(name); }
void VersionEdit::SetLogNumber(std::uint64_t number) { log_number_ = number; }
void VersionEdit::SetNextFileNumber(std::uint64_t number) { next_file_number_ = number; }
void VersionEdit::SetLastSequence(SequenceNumber sequence) { last_sequence_ = sequence; }

void VersionEdit::AddFile(int level, const FileMetaData& file) {
  ARENAKV_DCHECK(level >= 0 && level < kNumLevels);
  new_files_.emplace_back(level, file);
}

void VersionEdit::DeleteFile(int level, std::uint64_t number) {
  ARENAKV_DCHECK(level >= 0 && level < kNumLevels);
  deleted_files_.emplace(level, number);
}

void VersionEdit::Clear() { *this = VersionEdit(); }

void VersionEdit::EncodeTo(std::string* dst) const {
  const std::size_t field_count = (comparator_name_ ? 1 : 0) + (log_number_ ? 1 : 0) +
                                  (next_file_number_ ? 1 : 0) + (last_sequence_ ? 1 : 0) +
                                  deleted_files_.size() + new_files_.size();
  PutVarint32(dst, static_cast<std::uint32_t>(field_count));
  if (comparator_name_) {
    PutTag(dst, FieldTag::kComparator);
    PutLengthPrefixed(dst, *comparator_name_);
  }
  if (log_number_) {
    PutTag(dst, FieldTag::kLogNumber);
    PutVarint64(dst, *log_number_);
  }
  if (next_file_number_) {
    PutTag(dst, FieldTag::kNextFileNumber);
    PutVarint64(dst, *next_file_number_);
  }
  if (last_sequence_) {
    PutTag(dst, FieldTag::kLastSequence);
    PutVarint64(dst, *last_sequence_);
  }
  for (const auto& [level, number] : deleted_files_) {
    PutTag(dst, FieldTag::kDeletedFile);
    PutVarint32(dst, static_cast<std::uint32_t>(level));
    PutVarint64(dst, number);
  }
  for (const auto& [level, file] : new_files_) {
    PutTag(dst, FieldTag::kNewFile);
    PutVarint32(dst, static_cast<std::uint32_t>(level));
    PutVarint64(dst, file.number);
    PutVarint64(dst, file.file_size);
    PutLengthPrefixed(dst, file.smallest);
    PutLengthPrefixed(dst, file.largest);
    PutVarint64(dst, file.smallest_sequence);
    PutVarint64(dst, file.largest_sequence);
  }
}

Status VersionEdit::DecodeFrom(std::string_view src) {
  Clear();
  VersionEdit edit;
  std::string_view input = src;
  std::uint32_t field_count = 0;
  if (!GetVarint32(&input, &field_count)) return Status::Corruption("version edit: no field count");

  const char* error = nullptr;
  for (std::uint32_t i = 0; i < field_count && error == nullptr; ++i) {
    std::uint32_t tag = 0;
    if (!GetVarint32(&input, &tag)) {
      error = "truncated tag";
      break;
    }
    switch (static_cast<FieldTag>(tag)) {
      case FieldTag::kComparator: {
        std::string_view name;
        if (edit.comparator_name_) {
          error = "comparator given twice";
        } else if (!GetLengthPrefixed(&input, &name)) {
          error = "bad comparator name";
        } else {
          edit.comparator_name_ = std::string(name);
        }
        break;
      }
      case FieldTag::kLogNumber: {
        std::uint64_t number = 0;
        if (edit.log_number_) {
          error = "log number given twice";
        } else if (!GetVarint64(&input, &number)) {
          error = "bad log number";
        } else {
          edit.log_number_ = number;
        }
        break;
      }
      case FieldTag::kNextFileNumber: {
        std::uint64_t number = 0;
        if (edit.next_file_number_) {
          error = "next file number given twice";
        } else if (!GetVarint64(&input, &number)) {
          error = "bad next file number";
        } else {
          edit.next_file_number_ = number;
        }
        break;
      }
      case FieldTag::kLastSequence: {
        SequenceNumber sequence = 0;
        if (edit.last_sequence_) {
          error = "last sequence given twice";
        } else if (!GetSequence(&input, &sequence)) {
          error = "bad last sequence";
        } else {
          edit.last_sequence_ = sequence;
        }
        break;
      }
      case FieldTag::kDeletedFile: {
        int level = 0;
        std::uint64_t number = 0;
        if (!GetLevel(&input, &level) || !GetVarint64(&input, &number)) {
          error = "bad deleted file";
        } else if (!edit.deleted_files_.emplace(level, number).second) {
          error = "deleted file given twice";
        }
        break;
      }
      case FieldTag::kNewFile: {
        int level = 0;
        FileMetaData file;
        if (!GetLevel(&input, &level) || !GetFileMetaData(&input, &file)) {
          error = "bad new file";
        } else {
          edit.new_files_.emplace_back(level, std::move(file));
        }
        break;
      }
      default:
        error = "unknown tag";
        break;
    }
  }
  if (error == nullptr && !input.empty()) error = "bytes after the last field";
  if (error != nullptr) return Status::Corruption(std::string("version edit: ") + error);
  if (edit.comparator_name_ && *edit.comparator_name_ != kBytewiseComparatorName) {
    std::string message = "version edit: comparator '";
    AppendEscaped(&message, *edit.comparator_name_);
    message.append("' is not ").append(kBytewiseComparatorName);
    return Status::InvalidArgument(message);
  }
  *this = std::move(edit);
  return Status::OK();
}

std::string VersionEdit::DebugString() const {
  std::string out = "VersionEdit {\n";
  if (comparator_name_) {
    out.append("  comparator: ");
    AppendEscaped(&out, *comparator_name_);
    out.push_back('\n');
  }
  if (log_number_) out.append("  log_number: " + std::to_string(*log_number_) + "\n");
  if (next_file_number_) {
    out.append("  next_file_number: " + std::to_string(*next_file_number_) + "\n");
  }
  if (last_sequence_) out.append("  last_sequence: " + std::to_string(*last_sequence_) + "\n");
  for (const auto& [level, number] : deleted_files_) {
    out.append("  delete_file: L" + std::to_string(level) + " #" + std::to_string(number) + "\n");
  }
  for (const auto& [level, file] : new_files_) {
    out.append("  add_file: L" + std::to_string(level) + " #" + std::to_string(file.number) + " " +
               std::to_string(file.file_size) + " bytes [");
    AppendKey(&out, file.smallest);
    out.append(" .. ");
    AppendKey(&out, file.largest);
    out.append("] sequences " + std::to_string(file.smallest_sequence) + ".." +
               std::to_string(file.largest_sequence) + "\n");
  }
  out.append("}\n");
  return out;
}

}  // namespace arenakv
