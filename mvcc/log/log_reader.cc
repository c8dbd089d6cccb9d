// SPDX-License-Identifier: Apache-2.0
#include "mvcc/log/log_reader.h"

#include <utility>

#include "mvcc/util/checksum.h"
#include "mvcc/util/coding.h"

namespace arenakv {

LogReader::LogReader(SequentialFile* file, Reporter* reporter, bool verify_checksums,
                     bool skip_corruption)
    : file_(file),
      reporter_(reporter),
      verify_checksums_(verify_checksums),
      skip_corruption_(skip_corruption),
      block_(new char[kLogBlockSize]) {}

bool LogReader::ReadRecord(std::string* record) {
  if (stopped_) return false;
  record->clear();
  scratch_.clear();
  bool in_fragmented_record = false;
  while (true) {
    std::string_view fragment;
    std::size_t dropped = 0;
    const unsigned type = ReadFragment(&fragment, &dropped);
    if (stopped_) return false;
    if (type == kEof) {
      // The end of the log. Fragments of an unfinished record and zero-filled
      // space before it are a torn tail: dropped without a report.
      return false;
    }
    if (type == kBadFragment) {
      if (in_fragmented_record) {
        in_fragmented_record = false;
        if (!ReportCorruption(scratch_.size(), "log: record broken by a corrupt fragment")) {
          return false;
        }
        scratch_.clear();
      }
      continue;
    }
    if (type == kZeroRegion) {
      pending_zero_bytes_ += dropped;
      if (in_fragmented_record) {
        pending_zero_bytes_ += scratch_.size();
        scratch_.clear();
        in_fragmented_record = false;
      }
      continue;
    }
    if (pending_zero_bytes_ > 0) {
      const std::size_t bytes = pending_zero_bytes_;
      pending_zero_bytes_ = 0;
      if (!ReportCorruption(bytes, "log: zero-filled region followed by records")) return false;
    }
    switch (type) {
      case static_cast<unsigned>(LogRecordType::kFull):
        if (in_fragmented_record &&
            !ReportCorruption(scratch_.size(), "log: partial record without end")) {
          return false;
        }
        record->assign(fragment);
        last_record_end_ = bytes_read_ - buffer_.size();
        return true;
      case static_cast<unsigned>(LogRecordType::kFirst):
        if (in_fragmented_record &&
            !ReportCorruption(scratch_.size(), "log: partial record without end")) {
          return false;
        }
        scratch_.assign(fragment);
        in_fragmented_record = true;
        break;
      case static_cast<unsigned>(LogRecordType::kMiddle):
        if (!in_fragmented_record) {
          if (!ReportCorruption(fragment.size(), "log: missing start of fragmented record")) {
            return false;
          }
        } else {
          scratch_.append(fragment);
        }
        break;
      case static_cast<unsigned>(LogRecordType::kLast):
        if (!in_fragmented_record) {
          if (!ReportCorruption(fragment.size(), "log: missing start of fragmented record")) {
            return false;
          }
          break;
        }
        scratch_.append(fragment);
        record->swap(scratch_);
        last_record_end_ = bytes_read_ - buffer_.size();
        return true;
      default: {
        const std::size_t bytes = fragment.size() + (in_fragmented_record ? scratch_.size() : 0);
        in_fragmented_record = false;
        scratch_.clear();
        if (!ReportCorruption(bytes, "log: unknown fragment type")) return false;
        break;
      }
    }
  }
}

unsigned LogReader::ReadFragment(std::string_view* fragment, std::size_t* dropped) {
  while (true) {
    if (buffer_.size() < kLogHeaderSize) {
      if (eof_) {
        // A header cut short by the end of the file: a torn tail.
        buffer_ = {};
        return kEof;
      }
      // Whatever is left is the zero-filled block trailer; read the next block.
      std::string_view data;
      Status s = file_->Read(kLogBlockSize, &data, block_.get());
      if (!s.ok()) {
        status_ = s;
        stopped_ = true;
        buffer_ = {};
        return kEof;
      }
      buffer_ = data;
      block_length_ = data.size();
      bytes_read_ += data.size();
      eof_ = data.size() < kLogBlockSize;
      continue;
    }

    // The header: checksum (4), length (2), type (1).
    const char* header = buffer_.data();
    const std::size_t length = DecodeFixed16(header + 4);
    const unsigned type = static_cast<unsigned char>(header[6]);
    const std::size_t offset_in_block = block_length_ - buffer_.size();

    if (kLogHeaderSize + length > kLogBlockSize - offset_in_block) {
      // No writer makes a fragment cross its block: the header is damaged, so
      // nothing after it in this block can be trusted.
      *dropped = buffer_.size();
      buffer_ = {};
      ReportCorruption(*dropped, "log: fragment length runs past its block");
      return kBadFragment;
    }
    if (kLogHeaderSize + length > buffer_.size()) {
      // Only a short (last) block gets here: the payload is cut short by the
      // end of the file, a torn tail.
      buffer_ = {};
      return kEof;
    }
    if (type == static_cast<unsigned>(LogRecordType::kZero) && length == 0) {
      // Zero-filled space: skip the rest of the block. ReadRecord decides
      // whether it is a torn tail or corruption.
      *dropped = buffer_.size();
      buffer_ = {};
      return kZeroRegion;
    }
    if (verify_checksums_) {
      // The type byte and the payload are contiguous: header[6 .. 7 + length).
      const std::uint32_t expected = DecodeFixed32(header);
      const std::uint32_t actual = Checksum32(std::string_view(header + 6, 1 + length));
      if (actual != expected) {
        // The length may be what is damaged: drop the rest of the block.
        *dropped = buffer_.size();
        buffer_ = {};
        ReportCorruption(*dropped, "log: checksum mismatch");
        return kBadFragment;
      }
    }
    *fragment = buffer_.substr(kLogHeaderSize, length);
    buffer_.remove_prefix(kLogHeaderSize + length);
    return type;
  }
}

bool LogReader::ReportCorruption(std::size_t bytes, std::string_view reason) {
  Status corruption = Status::Corruption(reason);
  if (reporter_ != nullptr) reporter_->Corruption(bytes, corruption);
  if (skip_corruption_) return true;
  status_ = std::move(corruption);
  stopped_ = true;
  return false;
}

}  // namespace arenakv
