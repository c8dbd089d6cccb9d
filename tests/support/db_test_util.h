// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the DB suites (black-box tests of <arenakv/mvcc/db.h>):
//   kScale               divisor for workload sizes in sanitizer builds
//   kSmallWriteBuffer    a write buffer that rotates often without rotating every write
//   TempDir              a fresh directory on the POSIX file system, removed with its contents
//   KeyFor, RandomBytes  key and value generators (binary bytes, NULs included)
//   Model                a std::map of what the DB should hold, with ExpectMatches
//   ScanForward/Backward everything an iterator yields, in each direction
//   ScanIterator         the same forward, of an iterator the caller holds
//   WriteChain, ExpectChainPrefix   writes whose every prefix is recognisable
//   ReadFile, WriteFile, FilesWithSuffix   raw access to a DB directory's files
//   ParseProperty        "name: value" lines of a DB property, as numbers
//   GetOrNotFound        a Get as one comparable string: the value, "NOT_FOUND" or "ERROR: ..."
//   NumericProperty, StatsLine   a numeric DB property; a "name: N" line of "arenakv.stats"
//   kNumLevels, FilesAtLevel, FilesBelowLevel0   the shape of the tree
//   WaitForBackgroundWork   a bounded wait until no flush or compaction is queued or running
//   TinyShapeOptions     Options whose tree flushes and compacts all the time
//   KvMap, KvVector      what a DB holds as a map, and as a scan returns it
//   Printable, FirstDifference   keys, values and scan mismatches, short enough to print
//   Failures             failure messages collected from any thread (thread-safe)
//
// Nothing here is thread-safe unless it says so; each test owns its helpers.
#ifndef ARENAKV_TESTS_SUPPORT_DB_TEST_UTIL_H_
#define ARENAKV_TESTS_SUPPORT_DB_TEST_UTIL_H_

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "arenakv/mvcc/file_system.h"
#include "gtest/gtest.h"
#include "tests/support/sanitizer.h"

namespace arenakv::test {

#ifdef ARENAKV_TEST_SANITIZED
inline constexpr int kScale = 4;  // sanitizers slow every access; keep each test quick
#else
inline constexpr int kScale = 1;
#endif

// A write buffer that makes the memtable rotate every few hundred small writes.
// Not smaller: a memtable's arena commits 64 KiB per slab (size class) in use,
// so even an almost empty memtable counts 64-320 KiB against its budget; at
// 128 KiB every write rotates, and at 64 KiB or less the budget is spent
// before the first write.
inline constexpr std::size_t kSmallWriteBuffer = 256 << 10;

// A fresh, empty directory under the system temp directory; removed (with
// everything in it) on destruction. path() is the directory; Sub(name) a path in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("arenakv_db_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++)))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// "key" + zero-padded i: keys of one width sort in the order of i.
inline std::string KeyFor(std::uint64_t i, int width = 8) {
  std::string digits = std::to_string(i);
  if (static_cast<int>(digits.size()) < width) {
    digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  }
  return "key" + digits;
}

// n random bytes, any byte value (NUL included).
inline std::string RandomBytes(std::mt19937_64& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// What the DB should hold: the result of applying the same writes to a map.
class Model {
 public:
  void Put(std::string_view key, std::string_view value) {
    map_[std::string(key)] = std::string(value);
  }
  void Delete(std::string_view key) { map_.erase(std::string(key)); }
  const std::map<std::string, std::string>& map() const { return map_; }
  std::vector<std::pair<std::string, std::string>> Entries() const {
    return {map_.begin(), map_.end()};
  }

 private:
  std::map<std::string, std::string> map_;
};

// Everything an iterator yields from SeekToFirst with Next; fails the test
// (and stops) if its status is not OK at the end.
// Everything `it` yields from SeekToFirst on (a status that is not OK fails
// the test).
inline std::vector<std::pair<std::string, std::string>> ScanIterator(Iterator* it) {
  std::vector<std::pair<std::string, std::string>> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return out;
}

inline std::vector<std::pair<std::string, std::string>> ScanForward(DB* db,
                                                                    const ReadOptions& ro = {}) {
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  return ScanIterator(it.get());
}

// The same from SeekToLast with Prev, returned in ascending order.
inline std::vector<std::pair<std::string, std::string>> ScanBackward(DB* db,
                                                                     const ReadOptions& ro = {}) {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    out.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  std::reverse(out.begin(), out.end());
  return out;
}

// Expects the DB, read through `ro`, to hold exactly the model: both scan
// directions, and a Get of every model key.
inline void ExpectMatches(DB* db, const Model& model, const ReadOptions& ro = {}) {
  const auto expected = model.Entries();
  EXPECT_EQ(ScanForward(db, ro), expected);
  EXPECT_EQ(ScanBackward(db, ro), expected);
  for (const auto& [key, value] : expected) {
    std::string got;
    Status s = db->Get(ro, key, &got);
    EXPECT_TRUE(s.ok()) << "Get(" << key << "): " << s.ToString();
    EXPECT_EQ(got, value) << "Get(" << key << ")";
  }
}

// The "chain": write i is one batch that sets "k<i % kChainKeys>" to "v<i>"
// (plus `pad` bytes of padding) and "counter" to i. Every prefix 0..c of the
// chain leaves a state that is a function of c alone, so "recovery yields a
// prefix of the write order" is checkable exactly with ExpectChainPrefix.
// Any thread; the caller orders the writes.
inline constexpr int kChainKeys = 50;

inline std::string ChainValue(std::int64_t i, std::size_t pad) {
  return "v" + std::to_string(i) + std::string(pad, '.');
}

inline Status WriteChain(DB* db, std::int64_t i, bool sync, std::size_t pad = 0) {
  WriteBatch batch;
  batch.Put("k" + std::to_string(i % kChainKeys), ChainValue(i, pad));
  batch.Put("counter", std::to_string(i));
  WriteOptions wo;
  wo.sync = sync;
  return db->Write(wo, &batch);
}

// Expects the DB to hold exactly the state after chain writes 0..c for some
// c >= at_least (c = -1: nothing written), and returns c.
inline std::int64_t ExpectChainPrefix(DB* db, std::int64_t at_least, std::size_t pad = 0) {
  std::string counter;
  Status s = db->Get({}, "counter", &counter);
  std::int64_t c = -1;
  if (s.ok()) {
    c = std::stoll(counter);
  } else {
    EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  }
  EXPECT_GE(c, at_least) << "an acknowledged write was lost";
  std::vector<std::pair<std::string, std::string>> expected;
  if (c >= 0) expected.emplace_back("counter", std::to_string(c));
  for (std::int64_t j = 0; j < kChainKeys && j <= c; ++j) {
    const std::int64_t last = c - (c - j) % kChainKeys;  // the last i <= c with i % kChainKeys == j
    expected.emplace_back("k" + std::to_string(j), ChainValue(last, pad));
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ScanForward(db), expected) << "not the state after chain prefix 0.." << c;
  return c;
}

// The whole contents of a file through `fs`.
inline Status ReadFile(FileSystem* fs, const std::string& path, std::string* out) {
  std::unique_ptr<SequentialFile> file;
  Status s = fs->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  out->clear();
  std::vector<char> scratch(1 << 16);
  for (;;) {
    std::string_view chunk;
    s = file->Read(scratch.size(), &chunk, scratch.data());
    if (!s.ok()) return s;
    if (chunk.empty()) return Status::OK();
    out->append(chunk);
  }
}

// Replaces a file's contents with `data`, durably.
inline Status WriteFile(FileSystem* fs, const std::string& path, std::string_view data) {
  std::unique_ptr<WritableFile> file;
  Status s = fs->NewWritableFile(path, &file);
  if (s.ok()) s = file->Append(data);
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = file->Close();
  return s;
}

// Paths of the files in `dir` whose names end with `suffix`, sorted by name
// (so by file number for the engine's zero-padded names).
inline std::vector<std::string> FilesWithSuffix(FileSystem* fs, const std::string& dir,
                                                std::string_view suffix) {
  std::vector<std::string> names;
  EXPECT_TRUE(fs->GetChildren(dir, &names).ok());
  std::vector<std::string> out;
  for (const auto& name : names) {
    if (name.size() >= suffix.size() && name.ends_with(suffix)) out.push_back(dir + "/" + name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// "name: value" lines (the format of "arenakv.memtable.arena-stats") as a map
// from name to number; lines that are not "name: <unsigned number>" are skipped.
inline std::map<std::string, std::uint64_t> ParseProperty(std::string_view text) {
  std::map<std::string, std::uint64_t> out;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view number = line.substr(colon + 1);
    while (!number.empty() && number.front() == ' ') number.remove_prefix(1);
    while (!number.empty() && (number.back() == ' ' || number.back() == '\r')) {
      number.remove_suffix(1);
    }
    if (number.empty() ||
        !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    out[std::string(name)] = std::stoull(std::string(number));
  }
  return out;
}

// The value of `key` (as of `snapshot`, if given), "NOT_FOUND", or
// "ERROR: " + the status: one string that EXPECT_EQ compares and prints.
inline std::string GetOrNotFound(DB* db, std::string_view key, const Snapshot* snapshot = nullptr) {
  ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  Status s = db->Get(ro, key, &value);
  if (s.IsNotFound()) return "NOT_FOUND";
  if (!s.ok()) return "ERROR: " + s.ToString();
  return value;
}

// A DB property whose value is one unsigned number ("arenakv.total-sst-size",
// "arenakv.compaction-pending", ...). Fails the test if the DB does not know
// the property; 0 when its value is empty.
inline std::uint64_t NumericProperty(DB* db, const std::string& name) {
  std::string value;
  EXPECT_TRUE(db->GetProperty(name, &value)) << name;
  return value.empty() ? 0 : std::stoull(value);
}

// The number on the "name: N" line of "arenakv.stats" ("compactions",
// "stall_micros", ...). Fails the test, and returns 0, if there is no such line.
inline std::uint64_t StatsLine(DB* db, const std::string& name) {
  std::string stats;
  EXPECT_TRUE(db->GetProperty("arenakv.stats", &stats));
  const auto lines = ParseProperty(stats);
  const auto it = lines.find(name);
  EXPECT_NE(it, lines.end()) << "no \"" << name << ": N\" line in arenakv.stats:\n" << stats;
  return it == lines.end() ? 0 : it->second;
}

inline constexpr int kNumLevels = 7;  // levels 0..6 (mvcc/include/arenakv/mvcc/db.h, Options)

// Table files at `level`, from "arenakv.num-files-at-level<N>".
inline std::uint64_t FilesAtLevel(DB* db, int level) {
  return NumericProperty(db, "arenakv.num-files-at-level" + std::to_string(level));
}

// Table files at levels 1..kNumLevels-1: nonzero once a compaction wrote or moved one.
inline std::uint64_t FilesBelowLevel0(DB* db) {
  std::uint64_t files = 0;
  for (int level = 1; level < kNumLevels; ++level) files += FilesAtLevel(db, level);
  return files;
}

// Waits until no flush or compaction is queued or running: a condition wait
// on "arenakv.compaction-pending", bounded so that a DB that never settles
// fails the test (a fatal failure: wrap the call in ASSERT_NO_FATAL_FAILURE to
// stop there) instead of hanging it.
inline void WaitForBackgroundWork(DB* db) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  std::string pending;
  for (;;) {
    ASSERT_TRUE(db->GetProperty("arenakv.compaction-pending", &pending))
        << "no arenakv.compaction-pending property";
    if (pending == "0") return;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "background work still pending after 2 minutes (arenakv.compaction-pending = " << pending
        << ")";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// A tiny tree (256 KiB write buffer, 64 KiB tables, a 256 KiB level 1 and a
// fan-out of 2, level 0 compacted at two files), so that flushes and
// compactions run all the time on little data.
inline Options TinyShapeOptions() {
  Options options;
  options.write_buffer_size = kSmallWriteBuffer;
  options.target_file_size_base = 64 << 10;
  options.max_bytes_for_level_base = 256 << 10;
  options.max_bytes_for_level_multiplier = 2;
  options.level0_file_num_compaction_trigger = 2;
  options.level0_slowdown_writes_trigger = 4;
  options.level0_stop_writes_trigger = 8;
  options.bloom_bits_per_key = 10;
  options.block_size = 1024;
  return options;
}

using KvMap = std::map<std::string, std::string>;
using KvVector = std::vector<std::pair<std::string, std::string>>;

// A key or value for a failure message: printable bytes as they are, others
// as \xNN, long ones cut, in quotes.
inline std::string Printable(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 24; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > 24) out += "...(" + std::to_string(s.size()) + " bytes)";
  return "\"" + out + "\"";
}

// "" when `got` holds exactly the entries of `want`, in order; otherwise
// where they first differ. (EXPECT_EQ on whole scans would print megabytes.)
inline std::string FirstDifference(const KvMap& want, const KvVector& got) {
  auto w = want.begin();
  for (std::size_t i = 0; i < got.size(); ++i, ++w) {
    if (w == want.end()) {
      return "extra entry #" + std::to_string(i) + " key " + Printable(got[i].first);
    }
    if (got[i].first != w->first) {
      return "entry #" + std::to_string(i) + ": key " + Printable(got[i].first) + ", want " +
             Printable(w->first);
    }
    if (got[i].second != w->second) {
      return "key " + Printable(w->first) + ": value " + Printable(got[i].second) + ", want " +
             Printable(w->second);
    }
  }
  if (w != want.end()) {
    return "missing entries from key " + Printable(w->first) + " (" +
           std::to_string(want.size() - got.size()) + " more wanted)";
  }
  return "";
}

// Failure messages from any number of threads (thread-safe): worker threads
// Add, poll count() to stop early, and the test thread reports after join.
// Keeps the first 20 messages and counts them all.
class Failures {
 public:
  void Add(std::string what) {
    std::lock_guard lock(mu_);
    if (messages_.size() < 20) messages_.push_back(std::move(what));
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  // Relaxed: a count only decides when to stop; the messages are read under mu_.
  int count() const { return count_.load(std::memory_order_relaxed); }
  std::string Report() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& m : messages_) out += m + "\n";
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> messages_;
  std::atomic<int> count_{0};
};

}  // namespace arenakv::test

#endif  // ARENAKV_TESTS_SUPPORT_DB_TEST_UTIL_H_
