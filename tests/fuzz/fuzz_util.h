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

#include "tests/support/string_files.h"

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

// The string-backed files (tests/support/string_files.h), in this namespace.
using test::StringRandomAccessFile;
using test::StringSequentialFile;
using test::StringWritableFile;

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
