// SPDX-License-Identifier: Apache-2.0
// What the fuzz targets of tests/fuzz/ share: in-memory files over a byte
// string (a SequentialFile, a RandomAccessFile, a WritableFile), a cursor that
// consumes an input front to back, and FUZZ_CHECK, which aborts with a
// message (libFuzzer then saves the input as a crash).
//
// Nothing here is thread-safe; each fuzz input owns its helpers.
#ifndef ARENAKV_TESTS_FUZZ_FUZZ_UTIL_H_
#define ARENAKV_TESTS_FUZZ_FUZZ_UTIL_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

// Aborts with `what` and the failed condition when `cond` is false: a finding.
#define FUZZ_CHECK(cond, what)                                                              \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, __LINE__, #cond, \
                   std::string(what).c_str());                                              \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

namespace arenakv::fuzz {

// Reads a std::string front to back, in pieces of the reader's choosing.
class StringSequentialFile final : public SequentialFile {
 public:
  explicit StringSequentialFile(std::string_view contents) : contents_(contents) {}
  Status Read(std::size_t n, std::string_view* result, char* scratch) override {
    const std::size_t len = std::min(n, contents_.size() - offset_);
    std::memcpy(scratch, contents_.data() + offset_, len);
    offset_ += len;
    *result = std::string_view(scratch, len);
    return Status::OK();
  }
  Status Skip(std::uint64_t n) override {
    offset_ += static_cast<std::size_t>(std::min<std::uint64_t>(n, contents_.size() - offset_));
    return Status::OK();
  }

 private:
  std::string contents_;
  std::size_t offset_ = 0;
};

// Serves reads at any offset from a std::string. Copies into scratch (as a
// real file does), so ASan sees a read past what the reader asked for.
class StringRandomAccessFile final : public RandomAccessFile {
 public:
  explicit StringRandomAccessFile(std::string_view contents) : contents_(contents) {}
  Status Read(std::uint64_t offset, std::size_t n, std::string_view* result,
              char* scratch) const override {
    if (offset > contents_.size()) {
      *result = {};
      return Status::OK();
    }
    const std::size_t len = std::min<std::uint64_t>(n, contents_.size() - offset);
    std::memcpy(scratch, contents_.data() + offset, len);
    *result = std::string_view(scratch, len);
    return Status::OK();
  }

 private:
  std::string contents_;
};

// Appends to a std::string.
class StringWritableFile final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    contents.append(data);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  std::uint64_t Size() const override { return contents.size(); }

  std::string contents;
};

// Consumes a fuzz input from the front; past the end every read gives 0 / "".
class InputCursor {
 public:
  InputCursor(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  std::uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // Up to n bytes (fewer at the end of the input).
  std::string_view Bytes(std::size_t n) {
    n = std::min(n, size_ - pos_);
    const std::string_view out(reinterpret_cast<const char*>(data_) + pos_, n);
    pos_ += n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// Bytes for a message: printable ASCII as is, everything else as \xNN.
inline std::string Printable(std::string_view bytes) {
  std::string out = "'";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\' && c != '\'') {
      out.push_back(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", byte);
      out.append(buf);
    }
  }
  return out + "'";
}

// db_ops_fuzz's opcodes: an input byte modulo kNumOps picks the next DB
// call. make_seeds.cc writes its seed programs with the same values.
enum DbOp : std::uint8_t {
  kPut,
  kDelete,
  kBatch,
  kBulkLoad,
  kGetSnapshot,
  kReleaseSnapshot,
  kGet,
  kScanForward,
  kScanBackward,
  kWalk,
  kFlush,
  kCompactRange,
  kReopen,
  kNumOps,
};

}  // namespace arenakv::fuzz

#endif  // ARENAKV_TESTS_FUZZ_FUZZ_UTIL_H_
