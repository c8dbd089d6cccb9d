// SPDX-License-Identifier: Apache-2.0
// Test helpers for the files of a DB directory: an image of every file (to
// damage one and restore the rest on a fresh file system), where the records
// of a WAL lie (docs/FORMATS.md "Write-ahead log"), and MemDbTest, a fixture
// with a DB on a MemFileSystem.
#ifndef ARENAKV_TESTS_SUPPORT_DB_FILES_H_
#define ARENAKV_TESTS_SUPPORT_DB_FILES_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "arenakv/mvcc/file_system.h"
#include "gtest/gtest.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv::test {

// A copy of every file of a DB directory: name -> contents.
using Image = std::map<std::string, std::string>;

inline Image Capture(FileSystem* fs, const std::string& dir) {
  Image image;
  std::vector<std::string> names;
  EXPECT_TRUE(fs->GetChildren(dir, &names).ok());
  for (const auto& name : names) {
    EXPECT_TRUE(ReadFile(fs, dir + "/" + name, &image[name]).ok()) << name;
  }
  return image;
}

inline void Restore(const Image& image, FileSystem* fs, const std::string& dir) {
  ASSERT_TRUE(fs->CreateDirIfMissing(dir).ok());
  for (const auto& [name, contents] : image) {
    ASSERT_TRUE(WriteFile(fs, dir + "/" + name, contents).ok()) << name;
  }
  ASSERT_TRUE(fs->SyncDir(dir).ok());
}

// The name of the one file in `image` whose name ends with `suffix` and that
// is largest (the WAL holding the test's records, the SST holding its data).
inline std::string Largest(const Image& image, std::string_view suffix) {
  std::string best;
  for (const auto& [name, contents] : image) {
    if (name.ends_with(suffix) && (best.empty() || contents.size() > image.at(best).size())) {
      best = name;
    }
  }
  return best;
}

// Where each record lands in a log written from offset 0, following
// docs/FORMATS.md "Write-ahead log": 32 KiB blocks, 7-byte fragment headers,
// block trailers of fewer than 7 bytes zero-filled.
struct LogPlacement {
  std::uint64_t start = 0;          // offset of the record's first fragment header
  std::uint64_t first_payload = 0;  // offset of the record's first payload byte
  std::uint64_t end = 0;            // offset just past its last fragment
};

inline std::vector<LogPlacement> PlaceLogRecords(const std::vector<std::size_t>& sizes) {
  constexpr std::uint64_t kBlock = 32768;
  constexpr std::uint64_t kHeader = 7;
  std::vector<LogPlacement> out;
  std::uint64_t p = 0;
  for (std::size_t size : sizes) {
    LogPlacement placement;
    std::uint64_t remaining = size;
    bool first = true;
    bool started = false;
    do {
      std::uint64_t left = kBlock - p % kBlock;
      if (left < kHeader) {
        p += left;
        left = kBlock;
      }
      if (!started) {
        placement.start = p;
        started = true;
      }
      const std::uint64_t fragment = std::min(left - kHeader, remaining);
      if (first && fragment > 0) {
        placement.first_payload = p + kHeader;
        first = false;
      }
      p += kHeader + fragment;
      remaining -= fragment;
    } while (remaining > 0);
    placement.end = p;
    out.push_back(placement);
  }
  return out;
}

inline std::size_t VarintLength(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 128) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Encoded size of a batch holding one Put (docs/FORMATS.md "Write batch").
inline std::size_t PutBatchSize(std::size_t key, std::size_t value) {
  return 12 + 1 + VarintLength(key) + key + VarintLength(value) + value;
}

// A DB at kMemDbDir on a fresh MemFileSystem, for the recovery suites:
// TryOpen/Open (re)open it with options_, Crash is a power loss under it.
inline constexpr const char* kMemDbDir = "/db";

class MemDbTest : public ::testing::Test {
 protected:
  MemDbTest() { options_.file_system = &fs_; }

  Status TryOpen() {
    db_.reset();
    return DB::Open(options_, kMemDbDir, &db_);
  }
  void Open() {
    Status s = TryOpen();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // A power loss: the DB object dies after its files were cut to what was
  // synced (its destructor sees only IOErrors and must cope).
  void Crash() {
    fs_.SimulateCrash();
    db_.reset();
  }
  // The value, "NOT_FOUND", or the error.
  std::string Get(std::string_view key) { return test::GetOrNotFound(db_.get(), key); }

  MemFileSystem fs_;  // outlives db_
  Options options_;
  std::unique_ptr<DB> db_;
};

}  // namespace arenakv::test

#endif  // ARENAKV_TESTS_SUPPORT_DB_FILES_H_
