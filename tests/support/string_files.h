// SPDX-License-Identifier: Apache-2.0
// Files over a std::string, for tests that feed a reader or catch a writer's
// bytes without a file system: StringWritableFile (appends to `contents`),
// StringSequentialFile (optionally failing every read) and
// StringRandomAccessFile. Reads copy into the caller's scratch, as a real file
// does, so ASan sees a read past what the reader asked for. Not thread-safe.
#ifndef ARENAKV_TESTS_SUPPORT_STRING_FILES_H_
#define ARENAKV_TESTS_SUPPORT_STRING_FILES_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace arenakv::test {

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

class StringSequentialFile final : public SequentialFile {
 public:
  explicit StringSequentialFile(std::string_view contents) : contents_(contents) {}
  Status Read(std::size_t n, std::string_view* result, char* scratch) override {
    *result = {};
    if (fail_reads) return Status::IOError("injected read error");
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

  bool fail_reads = false;  // every Read fails with IOError

 private:
  std::string contents_;
  std::size_t offset_ = 0;
};

class StringRandomAccessFile final : public RandomAccessFile {
 public:
  explicit StringRandomAccessFile(std::string_view contents) : contents_(contents) {}
  Status Read(std::uint64_t offset, std::size_t n, std::string_view* result,
              char* scratch) const override {
    *result = {};
    if (offset > contents_.size()) return Status::OK();
    const std::size_t len = std::min<std::uint64_t>(n, contents_.size() - offset);
    std::memcpy(scratch, contents_.data() + offset, len);
    *result = std::string_view(scratch, len);
    return Status::OK();
  }

 private:
  std::string contents_;
};

}  // namespace arenakv::test

#endif  // ARENAKV_TESTS_SUPPORT_STRING_FILES_H_
