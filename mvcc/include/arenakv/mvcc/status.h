// SPDX-License-Identifier: Apache-2.0
// arenakv::Status: the result of every engine operation that can fail.
//
// Errors are values, never exceptions, across the engine's public API. A Status
// is OK (the fast path: one byte compared) or carries a code and a message.
// Cheap to copy when OK; an error copies its message.
#ifndef ARENAKV_MVCC_STATUS_H_
#define ARENAKV_MVCC_STATUS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace arenakv {

class [[nodiscard]] Status {
 public:
  enum class Code : std::uint8_t {
    kOk = 0,
    kNotFound,
    kCorruption,
    kIOError,
    kInvalidArgument,
    kBusy,
    kNotSupported,
    kMemoryLimit,  // arena capacity or write-buffer limit hit
  };

  Status() = default;
  static Status OK() { return {}; }
  static Status NotFound(std::string_view msg = {}) { return {Code::kNotFound, msg}; }
  static Status Corruption(std::string_view msg) { return {Code::kCorruption, msg}; }
  static Status IOError(std::string_view msg) { return {Code::kIOError, msg}; }
  static Status InvalidArgument(std::string_view msg) { return {Code::kInvalidArgument, msg}; }
  static Status Busy(std::string_view msg) { return {Code::kBusy, msg}; }
  static Status NotSupported(std::string_view msg) { return {Code::kNotSupported, msg}; }
  static Status MemoryLimit(std::string_view msg) { return {Code::kMemoryLimit, msg}; }
  // An IOError because the disk (or quota) is full: IsIOError() and
  // IsNoSpace() are both true. A DB retries the work that hit it (see
  // Options::max_bgerror_resume_count).
  static Status NoSpace(std::string_view msg) {
    Status s(Code::kIOError, msg);
    s.no_space_ = true;
    return s;
  }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsMemoryLimit() const { return code_ == Code::kMemoryLimit; }
  bool IsNoSpace() const { return no_space_; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK", or "<Code>: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string_view msg) : code_(code), message_(msg) {}

  Code code_ = Code::kOk;
  bool no_space_ = false;  // an IOError from ENOSPC / EDQUOT
  std::string message_;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_STATUS_H_
