// Leveled compaction, black-box through include/arenakv/mvcc/db.h: the DB is
// shaped tiny (256 KiB write buffer, 64 KiB tables, a 256 KiB level 1, level 0
// compacted at two files) so flushes and compactions run all the time, and
// what it returns is compared with a model.
//
//   CompactionModelTest      one thread, random puts, deletes, batches, flushes,
//                            CompactRange calls, snapshots and reopens; every
//                            held snapshot and the latest state must read as
//                            their std::map models (scans both ways, Gets,
//                            seeks). Parameterized over compression; one more
//                            test reopens the same data under other level
//                            shapes, on the POSIX file system.
//   CompactionStressTest     writers, snapshot readers and a CompactRange loop
//                            at once, with self-validating values.
//
// What compaction must preserve: for each user key the newest version, and
// for every live snapshot the newest version it can see; a tombstone may go
// only where nothing older can show through. Each test ends by checking that
// compactions really ran ("arenakv.stats" counters, tables below level 0)
// and, where the tree settles, that it meets its shape's level targets.
//
// Waiting for a settled tree polls "arenakv.compaction-pending" (a condition
// wait, bounded); nothing sleeps to let background work happen.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "mvcc/mem_file_system.h"
#include "tests/db/test_util.h"

namespace arenakv {
namespace {

using KvMap = std::map<std::string, std::string>;
using KvVector = std::vector<std::pair<std::string, std::string>>;

constexpr int kNumLevels = 7;  // levels 0..6 (include/arenakv/mvcc/db.h, Options)

// The tiny tree every test here starts from.
Options TinyShapeOptions() {
  Options options;
  options.write_buffer_size = test::kSmallWriteBuffer;
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

// Waits until no flush or compaction is queued or running. A condition wait
// on the "arenakv.compaction-pending" property, bounded so a DB that never
// settles fails the test instead of hanging it.
::testing::AssertionResult WaitForSettledTree(DB* db) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  std::string pending;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!db->GetProperty("arenakv.compaction-pending", &pending)) {
      return ::testing::AssertionFailure() << "no arenakv.compaction-pending property";
    }
    if (pending == "0") return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return ::testing::AssertionFailure() << "compaction still pending after 120 s";
}

std::uint64_t Stat(DB* db, const std::string& name) {
  std::string stats;
  EXPECT_TRUE(db->GetProperty("arenakv.stats", &stats));
  const auto parsed = test::ParseProperty(stats);
  const auto it = parsed.find(name);
  EXPECT_NE(it, parsed.end()) << "no \"" << name << ": N\" line in arenakv.stats:\n" << stats;
  return it == parsed.end() ? 0 : it->second;
}

std::uint64_t FilesAtLevel(DB* db, int level) {
  std::string value;
  EXPECT_TRUE(db->GetProperty("arenakv.num-files-at-level" + std::to_string(level), &value));
  return value.empty() ? 0 : std::stoull(value);
}

std::uint64_t FilesBelowLevel0(DB* db) {
  std::uint64_t files = 0;
  for (int level = 1; level < kNumLevels; ++level) files += FilesAtLevel(db, level);
  return files;
}

// What a settled tree (WaitForSettledTree) owes `options`: level 0 below its
// compaction trigger and each of levels 1..5 below its size target
// (max_bytes_for_level_base x multiplier^(level - 1)). Level bytes are not
// exposed, so the second is checked through their sum where level 0 is empty:
// the tables fit in the targets of the levels down to the deepest in use.
void ExpectTreeWithinTargets(DB* db, const Options& options) {
  const std::uint64_t l0_files = FilesAtLevel(db, 0);
  EXPECT_LT(l0_files, static_cast<std::uint64_t>(options.level0_file_num_compaction_trigger));
  int deepest = 0;
  for (int level = 1; level < kNumLevels; ++level) {
    if (FilesAtLevel(db, level) > 0) deepest = level;
  }
  if (l0_files > 0 || deepest == kNumLevels - 1) return;  // no bound to check
  double targets = 0;
  for (int level = 1; level <= deepest; ++level) {
    targets += static_cast<double>(options.max_bytes_for_level_base) *
               std::pow(options.max_bytes_for_level_multiplier, level - 1);
  }
  std::string total;
  ASSERT_TRUE(db->GetProperty("arenakv.total-sst-size", &total));
  EXPECT_LE(static_cast<double>(std::stoull(total)), targets)
      << "levels 1.." << deepest << " hold more than their targets";
}

// Keys and values in failure messages: printable bytes as they are, others
// as \xNN, long ones cut.
std::string Printable(std::string_view s) {
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
std::string FirstDifference(const KvMap& want, const KvVector& got) {
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

// Where `it` should be: at `want` (or invalid when want == end).
void ExpectIteratorAt(const Iterator& it, KvMap::const_iterator want, const KvMap& model,
                      const std::string& what) {
  if (want == model.end()) {
    EXPECT_FALSE(it.Valid()) << what << ": at " << Printable(it.key()) << ", want the end";
    return;
  }
  ASSERT_TRUE(it.Valid()) << what << ": at the end, want " << Printable(want->first) << " ("
                          << it.status().ToString() << ")";
  EXPECT_EQ(it.key(), want->first) << what;
  EXPECT_EQ(it.value(), want->second) << what << " at " << Printable(want->first);
}

// Expects the DB read through `ro` (the latest state or a snapshot) to be
// exactly `model`: a full scan in each direction, Gets of `gets` keys drawn
// from the whole key space (so present and absent ones) or of every key when
// gets < 0, and a few Seek / SeekForPrev walks.
void ExpectViewMatches(DB* db, const ReadOptions& ro, const KvMap& model, int num_keys, int gets,
                       std::mt19937_64& rng) {
  EXPECT_EQ(FirstDifference(model, test::ScanForward(db, ro)), "") << "forward scan";
  EXPECT_EQ(FirstDifference(model, test::ScanBackward(db, ro)), "") << "backward scan";

  const int n = gets < 0 ? num_keys : gets;
  for (int i = 0; i < n; ++i) {
    const std::string key = test::KeyFor(gets < 0 ? i : rng() % num_keys);
    std::string value;
    const Status s = db->Get(ro, key, &value);
    const auto want = model.find(key);
    if (want == model.end()) {
      EXPECT_TRUE(s.IsNotFound()) << "Get(" << key << "): " << s.ToString() << " "
                                  << (s.ok() ? Printable(value) : "") << ", want NotFound";
    } else {
      ASSERT_TRUE(s.ok()) << "Get(" << key << "): " << s.ToString();
      EXPECT_EQ(value, want->second) << "Get(" << key << ")";
    }
  }

  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  for (int i = 0; i < 4; ++i) {
    // Targets between keys too: KeyFor(k) + "\0" sorts right after KeyFor(k).
    std::string target = test::KeyFor(rng() % (num_keys + 1));
    if (rng() % 2 == 0) target.push_back('\0');
    it->Seek(target);
    auto want = model.lower_bound(target);
    for (int step = 0; step < 3; ++step) {
      ExpectIteratorAt(*it, want, model,
                       "Seek(" + Printable(target) + ") + " + std::to_string(step) + " Next");
      if (want == model.end() || !it->Valid()) break;
      it->Next();
      ++want;
    }
    it->SeekForPrev(target);
    auto after = model.upper_bound(target);
    for (int step = 0; step < 3; ++step) {
      if (after == model.begin()) {
        EXPECT_FALSE(it->Valid()) << "SeekForPrev(" << Printable(target) << "): at "
                                  << Printable(it->key()) << ", want before the first key";
        break;
      }
      ExpectIteratorAt(
          *it, std::prev(after), model,
          "SeekForPrev(" + Printable(target) + ") + " + std::to_string(step) + " Prev");
      if (!it->Valid()) break;
      it->Prev();
      --after;
    }
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
}

// A value of 0..300 bytes: half of them random bytes (NULs included), half a
// short random fragment repeated, which compresses.
std::string RandomValue(std::mt19937_64& rng) {
  const std::size_t size = rng() % 301;
  if (rng() % 2 == 0) return test::RandomBytes(rng, size);
  const std::string fragment = test::RandomBytes(rng, 1 + rng() % 8);
  std::string value;
  while (value.size() < size) value += fragment;
  value.resize(size);
  return value;
}

// ------------------------------------------------------- the model tests

struct CompressionCase {
  const char* name;
  CompressionType compression;
  std::vector<CompressionType> per_level;
};

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const CompressionCase& c, std::ostream* os) { *os << c.name; }

class CompactionModelTest : public ::testing::TestWithParam<CompressionCase> {
 protected:
  static constexpr int kNumKeys = 2000;

  struct HeldSnapshot {
    const Snapshot* snapshot;
    KvMap model;   // the latest state when it was taken
    int taken_at;  // op index
  };

  CompactionModelTest() { options_.file_system = &fs_; }
  ~CompactionModelTest() override { Close(); }

  void Open() {
    Status s = DB::Open(options_, path_, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Releases every snapshot (the API requires it before closing; their models
  // are dropped) and closes the DB, keeping its counters.
  void Close() {
    if (db_ == nullptr) return;
    for (const HeldSnapshot& held : snapshots_) db_->ReleaseSnapshot(held.snapshot);
    snapshots_.clear();
    compactions_ += Stat(db_.get(), "compactions");
    compaction_bytes_written_ += Stat(db_.get(), "compaction_bytes_written");
    db_.reset();
  }
  void Reopen() {
    Close();
    Open();
  }

  std::string RandomKey() {
    // Half the operations go to a tenth of the keys, so keys get many versions.
    const int range = rng_() % 2 == 0 ? kNumKeys / 10 : kNumKeys;
    return test::KeyFor(rng_() % range);
  }

  void Put(const std::string& key, const std::string& value) {
    const Status s = db_->Put({}, key, value);
    ASSERT_TRUE(s.ok()) << s.ToString();
    model_[key] = value;
  }
  void Delete(const std::string& key) {
    const Status s = db_->Delete({}, key);
    ASSERT_TRUE(s.ok()) << s.ToString();
    model_.erase(key);
  }
  // 2..8 operations, a quarter of them deletes; a key may repeat (the later
  // operation wins).
  void WriteRandomBatch() {
    WriteBatch batch;
    KvMap after = model_;
    const int n = 2 + static_cast<int>(rng_() % 7);
    for (int i = 0; i < n; ++i) {
      const std::string key = RandomKey();
      if (rng_() % 4 == 0) {
        batch.Delete(key);
        after.erase(key);
      } else {
        const std::string value = RandomValue(rng_);
        batch.Put(key, value);
        after[key] = value;
      }
    }
    const Status s = db_->Write({}, &batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
    model_ = std::move(after);
  }
  // Everything, or [KeyFor(a), KeyFor(b)] with either end possibly open.
  void CompactRandomRange() {
    std::optional<std::string> begin, end;
    if (rng_() % 3 != 0) {
      int a = static_cast<int>(rng_() % kNumKeys), b = static_cast<int>(rng_() % kNumKeys);
      if (a > b) std::swap(a, b);
      if (rng_() % 4 != 0) begin = test::KeyFor(a);
      if (rng_() % 4 != 0) end = test::KeyFor(b);
    }
    const Status s = db_->CompactRange(begin, end);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // One operation of the random mix: mostly puts, deletes (about a fifth of
  // all writes, counting those in batches) and batches; now and then a
  // Flush, a CompactRange, a new snapshot or the release of one.
  void RandomOp(int op) {
    constexpr std::size_t kMaxSnapshots = 6;
    const int r = static_cast<int>(rng_() % 1000);
    if (r < 640) {
      ASSERT_NO_FATAL_FAILURE(Put(RandomKey(), RandomValue(rng_)));
    } else if (r < 830) {
      ASSERT_NO_FATAL_FAILURE(Delete(RandomKey()));
    } else if (r < 990) {
      ASSERT_NO_FATAL_FAILURE(WriteRandomBatch());
    } else if (r < 993) {
      const Status s = db_->Flush();
      ASSERT_TRUE(s.ok()) << s.ToString();
    } else if (r < 994) {
      ASSERT_NO_FATAL_FAILURE(CompactRandomRange());
    } else if (r < 997) {
      if (snapshots_.size() < kMaxSnapshots) {
        snapshots_.push_back({db_->GetSnapshot(), model_, op});
      }
    } else if (!snapshots_.empty()) {
      const std::size_t i = rng_() % snapshots_.size();
      db_->ReleaseSnapshot(snapshots_[i].snapshot);
      snapshots_.erase(snapshots_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  // Every held snapshot against its model (sampled Gets), then the latest
  // state against the model (every key).
  void CheckAll(int op) {
    for (const HeldSnapshot& held : snapshots_) {
      SCOPED_TRACE("snapshot taken at op " + std::to_string(held.taken_at) + ", checked at op " +
                   std::to_string(op));
      ReadOptions ro;
      ro.snapshot = held.snapshot;
      ExpectViewMatches(db_.get(), ro, held.model, kNumKeys, 64, rng_);
    }
    SCOPED_TRACE("latest state at op " + std::to_string(op));
    ExpectViewMatches(db_.get(), ReadOptions{}, model_, kNumKeys, -1, rng_);
  }

  MemFileSystem fs_;                       // declared before db_: outlive it
  std::optional<test::TempDir> temp_dir_;  // for tests on the POSIX file system
  std::string path_ = "/db";
  Options options_ = TinyShapeOptions();
  std::unique_ptr<DB> db_;
  std::mt19937_64 rng_;
  KvMap model_;
  std::vector<HeldSnapshot> snapshots_;
  std::uint64_t compactions_ = 0;  // over every DB instance opened, as is the next
  std::uint64_t compaction_bytes_written_ = 0;
};

TEST_P(CompactionModelTest, RandomOpsWithSnapshotsMatchModel) {
  const CompressionCase& param = GetParam();
  options_.compression = param.compression;
  options_.compression_per_level = param.per_level;
  const std::uint64_t seed =
      0x5eed0000 + static_cast<std::uint64_t>(param.compression) * 7 + param.per_level.size();
  SCOPED_TRACE("seed " + std::to_string(seed));
  rng_.seed(seed);
  ASSERT_NO_FATAL_FAILURE(Open());

  constexpr int kOps = 40000 / test::kScale;
  constexpr int kCheckEvery = 2000 / test::kScale;
  constexpr int kReopenEvery = kOps / 4;
  for (int op = 1; op <= kOps && !HasFailure(); ++op) {
    ASSERT_NO_FATAL_FAILURE(RandomOp(op));
    if (op % kCheckEvery == 0) CheckAll(op);
    if (op % kReopenEvery == 0 && op < kOps) {
      ASSERT_NO_FATAL_FAILURE(Reopen());
      CheckAll(op);
    }
  }
  ASSERT_FALSE(HasFailure());

  ASSERT_TRUE(WaitForSettledTree(db_.get()));
  CheckAll(kOps);
  EXPECT_GT(FilesBelowLevel0(db_.get()), 0u) << "nothing ever left level 0";
  ExpectTreeWithinTargets(db_.get(), options_);
  Close();
  EXPECT_GT(compactions_, 0u);
  EXPECT_GT(compaction_bytes_written_, 0u) << "only trivial moves ran";
}

// The tree is rebuilt under one level shape, then reopened under others
// (smaller and larger level targets, other table sizes and compression), each
// time checked, written to and compacted again; on the POSIX file system.
TEST_F(CompactionModelTest, DataSurvivesReopenAfterManyCompactions) {
  temp_dir_.emplace();
  path_ = temp_dir_->path();
  options_.file_system = nullptr;
  // Fewer, larger flushes than the tiny shape's: each one syncs on the real
  // file system, and the level targets below still keep compactions busy.
  options_.write_buffer_size = 1 << 20;
  rng_.seed(0x5eed0100);

  struct Shape {
    const char* name;
    std::uint64_t level1_bytes;
    double multiplier;
    std::uint64_t file_bytes;
    int l0_trigger, l0_slowdown, l0_stop;
    CompressionType compression;
  };
  const Shape shapes[] = {
      {"tiny", 256 << 10, 2, 64 << 10, 2, 4, 8, CompressionType::kNone},
      {"smaller level 1", 64 << 10, 2, 32 << 10, 1, 2, 4, CompressionType::kLz4},
      {"wide fan-out", 1 << 20, 10, 256 << 10, 4, 8, 12, CompressionType::kZstd},
      {"tiny, fan-out 4", 128 << 10, 4, 64 << 10, 2, 4, 8, CompressionType::kNone},
  };
  constexpr int kOpsPerShape = 10000 / test::kScale;
  int op = 0;
  for (const Shape& shape : shapes) {
    SCOPED_TRACE(std::string("shape \"") + shape.name + "\"");
    options_.max_bytes_for_level_base = shape.level1_bytes;
    options_.max_bytes_for_level_multiplier = shape.multiplier;
    options_.target_file_size_base = shape.file_bytes;
    options_.level0_file_num_compaction_trigger = shape.l0_trigger;
    options_.level0_slowdown_writes_trigger = shape.l0_slowdown;
    options_.level0_stop_writes_trigger = shape.l0_stop;
    options_.compression = shape.compression;
    ASSERT_NO_FATAL_FAILURE(Open());
    CheckAll(op);  // what the previous shape left
    for (int i = 0; i < kOpsPerShape && !HasFailure(); ++i) {
      ASSERT_NO_FATAL_FAILURE(RandomOp(++op));
      if (i == kOpsPerShape / 2) {
        const Status s = db_->CompactRange(std::nullopt, std::nullopt);
        ASSERT_TRUE(s.ok()) << s.ToString();
        CheckAll(op);
      }
    }
    ASSERT_FALSE(HasFailure());
    ASSERT_TRUE(WaitForSettledTree(db_.get()));
    CheckAll(op);
    EXPECT_GT(FilesBelowLevel0(db_.get()), 0u) << "nothing ever left level 0";
    ExpectTreeWithinTargets(db_.get(), options_);
    Close();
  }

  options_ = Options();  // the defaults read any shape
  ASSERT_NO_FATAL_FAILURE(Open());
  CheckAll(op);
  Close();
  EXPECT_GT(compactions_, 0u);
  EXPECT_GT(compaction_bytes_written_, 0u) << "only trivial moves ran";
}

INSTANTIATE_TEST_SUITE_P(
    , CompactionModelTest,
    ::testing::Values(CompressionCase{"None", CompressionType::kNone, {}},
                      CompressionCase{"Lz4", CompressionType::kLz4, {}},
                      CompressionCase{"Zstd", CompressionType::kZstd, {}},
                      CompressionCase{
                          "PerLevelNoneLz4Zstd",
                          CompressionType::kNone,
                          {CompressionType::kNone, CompressionType::kLz4, CompressionType::kZstd}}),
    [](const ::testing::TestParamInfo<CompressionCase>& info) { return info.param.name; });

// ------------------------------------------------------- the stress test
//
// Writer t owns keys "w<t>/<jjjj>" and gives key j generations 1, 2, ... (a
// put, or a batch of puts to several of its keys); the value of generation g
// is a function of (key, g), so every value read checks itself. After a write
// returns OK the writer publishes the new generations. Readers, each in a
// loop:
//   - read the published generations, then take a snapshot: through it every
//     key must show at least its published generation (a write that returned
//     before the snapshot is in it);
//   - the generations a reader sees for a key never go down over its loops
//     (later snapshots are newer), and a Get through a snapshot returns the
//     value its scan returned;
//   - a bounded backward scan of one writer's keys through the same snapshot
//     equals that part of the forward scan.
// A third kind of thread calls CompactRange (and now and then Flush) until
// the writers are done. The verdict does not depend on the interleaving.
namespace stress {

constexpr int kWriters = 3;
constexpr int kReaders = 2;
constexpr int kKeysPerWriter = 250;
constexpr int kOpsPerWriter = 12000 / test::kScale;

std::string Key(int writer, int j) {
  std::string digits = std::to_string(j);
  digits.insert(0, 4 - digits.size(), '0');
  return "w" + std::to_string(writer) + "/" + digits;
}

std::string Value(const std::string& key, std::uint32_t generation) {
  const std::size_t pad = 100 + (generation * 37 + key.back()) % 200;
  return key + "#" + std::to_string(generation) + "#" +
         std::string(pad, static_cast<char>('a' + generation % 26));
}

// The generation `value` encodes for `key`, or 0 if it is no value of `key`.
std::uint32_t GenerationOf(const std::string& key, std::string_view value) {
  if (value.size() < key.size() + 3 || value.substr(0, key.size()) != key ||
      value[key.size()] != '#') {
    return 0;
  }
  std::uint64_t generation = 0;
  for (std::size_t i = key.size() + 1; i < value.size() && value[i] != '#'; ++i) {
    if (value[i] < '0' || value[i] > '9' || generation > kOpsPerWriter) return 0;
    generation = generation * 10 + static_cast<std::uint64_t>(value[i] - '0');
  }
  if (generation == 0 || generation > kOpsPerWriter) return 0;
  const auto g = static_cast<std::uint32_t>(generation);
  return value == Value(key, g) ? g : 0;
}

// (writer, j) of a key of the workload, or nullopt.
std::optional<std::pair<int, int>> ParseKey(std::string_view key) {
  if (key.size() != 7 || key[0] != 'w' || key[2] != '/' || key[1] < '0' ||
      key[1] >= '0' + kWriters) {
    return std::nullopt;
  }
  int j = 0;
  for (std::size_t i = 3; i < 7; ++i) {
    if (key[i] < '0' || key[i] > '9') return std::nullopt;
    j = j * 10 + (key[i] - '0');
  }
  if (j >= kKeysPerWriter) return std::nullopt;
  return std::make_pair(key[1] - '0', j);
}

// Collects failures from any thread; the test thread reports them after join.
class Failures {
 public:
  void Add(std::string what) {
    std::lock_guard lock(mu_);
    if (messages_.size() < 20) messages_.push_back(std::move(what));
    count_.fetch_add(1, std::memory_order_relaxed);
  }
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

struct Shared {
  DB* db;
  // published[t][j]: a generation of writer t's key j whose write returned OK.
  std::vector<std::atomic<std::uint32_t>> published[kWriters];
  std::atomic<int> writers_running{kWriters};
  Failures failures;

  explicit Shared(DB* d) : db(d) {
    for (auto& p : published) p = std::vector<std::atomic<std::uint32_t>>(kKeysPerWriter);
  }
  bool writing() const { return writers_running.load(std::memory_order_acquire) > 0; }
};

// Writer t; returns the final generation of each of its keys.
std::vector<std::uint32_t> RunWriter(Shared& shared, int t) {
  std::mt19937_64 rng(0x5eed0200 + static_cast<std::uint64_t>(t));
  std::vector<std::uint32_t> generation(kKeysPerWriter, 0);
  for (int op = 0; op < kOpsPerWriter && shared.failures.count() == 0;) {
    std::vector<int> keys{static_cast<int>(rng() % kKeysPerWriter)};
    if (rng() % 5 == 0) {  // a batch of distinct keys
      const int n = 2 + static_cast<int>(rng() % 4);
      while (static_cast<int>(keys.size()) < n) {
        const int j = static_cast<int>(rng() % kKeysPerWriter);
        if (std::find(keys.begin(), keys.end(), j) == keys.end()) keys.push_back(j);
      }
    }
    Status s;
    if (keys.size() == 1) {
      s = shared.db->Put({}, Key(t, keys[0]), Value(Key(t, keys[0]), generation[keys[0]] + 1));
    } else {
      WriteBatch batch;
      for (int j : keys) batch.Put(Key(t, j), Value(Key(t, j), generation[j] + 1));
      s = shared.db->Write({}, &batch);
    }
    if (!s.ok()) {
      shared.failures.Add("writer " + std::to_string(t) + ": " + s.ToString());
      break;
    }
    for (int j : keys) {
      ++generation[j];
      shared.published[t][j].store(generation[j], std::memory_order_release);
    }
    op += static_cast<int>(keys.size());
  }
  shared.writers_running.fetch_sub(1, std::memory_order_release);
  return generation;
}

void RunReader(Shared& shared, int r) {
  std::mt19937_64 rng(0x5eed0300 + static_cast<std::uint64_t>(r));
  std::vector<std::vector<std::uint32_t>> last_seen(kWriters,
                                                    std::vector<std::uint32_t>(kKeysPerWriter, 0));
  auto fail = [&](int loop, const std::string& what) {
    shared.failures.Add("reader " + std::to_string(r) + " loop " + std::to_string(loop) + ": " +
                        what);
  };
  for (int loop = 0; (shared.writing() || loop < 3) && shared.failures.count() == 0; ++loop) {
    std::vector<std::vector<std::uint32_t>> floor(kWriters);
    for (int t = 0; t < kWriters; ++t) {
      for (const auto& g : shared.published[t]) {
        floor[t].push_back(g.load(std::memory_order_acquire));
      }
    }
    const Snapshot* snapshot = shared.db->GetSnapshot();
    ReadOptions ro;
    ro.snapshot = snapshot;

    std::vector<std::vector<std::uint32_t>> seen(kWriters,
                                                 std::vector<std::uint32_t>(kKeysPerWriter, 0));
    KvVector scan;
    {
      std::unique_ptr<Iterator> it = shared.db->NewIterator(ro);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        scan.emplace_back(std::string(it->key()), std::string(it->value()));
      }
      if (!it->status().ok()) fail(loop, "scan: " + it->status().ToString());
    }
    for (std::size_t i = 0; i < scan.size(); ++i) {
      const auto& [key, value] = scan[i];
      const auto parsed = ParseKey(key);
      if (!parsed) {
        fail(loop, "unexpected key " + Printable(key));
        continue;
      }
      if (i > 0 && !(scan[i - 1].first < key)) fail(loop, "keys out of order at " + key);
      const std::uint32_t g = GenerationOf(key, value);
      if (g == 0) fail(loop, "bad value for " + key + ": " + Printable(value));
      seen[parsed->first][parsed->second] = g;
    }
    for (int t = 0; t < kWriters; ++t) {
      for (int j = 0; j < kKeysPerWriter; ++j) {
        if (seen[t][j] < floor[t][j]) {
          fail(loop, Key(t, j) + ": snapshot shows generation " + std::to_string(seen[t][j]) +
                         ", published before it was " + std::to_string(floor[t][j]));
        }
        if (seen[t][j] < last_seen[t][j]) {
          fail(loop, Key(t, j) + ": generation went from " + std::to_string(last_seen[t][j]) +
                         " back to " + std::to_string(seen[t][j]));
        }
        last_seen[t][j] = seen[t][j];
      }
    }

    // Gets through the same snapshot agree with its scan.
    for (int i = 0; i < 32; ++i) {
      const int t = static_cast<int>(rng() % kWriters);
      const int j = static_cast<int>(rng() % kKeysPerWriter);
      std::string value;
      const Status s = shared.db->Get(ro, Key(t, j), &value);
      if (seen[t][j] == 0) {
        if (!s.IsNotFound()) fail(loop, "Get(" + Key(t, j) + "): " + s.ToString());
      } else if (!s.ok() || GenerationOf(Key(t, j), value) != seen[t][j]) {
        fail(loop, "Get(" + Key(t, j) + ") through the snapshot: " + s.ToString() + " " +
                       Printable(value) + ", its scan saw generation " +
                       std::to_string(seen[t][j]));
      }
    }

    // A backward scan of one writer's keys, bounded, agrees too.
    const int t = static_cast<int>(rng() % kWriters);
    ro.lower_bound = "w" + std::to_string(t) + "/";
    ro.upper_bound = "w" + std::to_string(t) + "0";  // '0' follows '/'
    KvVector backward;
    {
      std::unique_ptr<Iterator> it = shared.db->NewIterator(ro);
      for (it->SeekToLast(); it->Valid(); it->Prev()) {
        backward.emplace_back(std::string(it->key()), std::string(it->value()));
      }
      if (!it->status().ok()) fail(loop, "backward scan: " + it->status().ToString());
    }
    std::reverse(backward.begin(), backward.end());
    KvVector part;
    for (const auto& entry : scan) {
      if (entry.first >= *ro.lower_bound && entry.first < *ro.upper_bound) part.push_back(entry);
    }
    if (backward != part) {
      fail(loop, "backward scan of writer " + std::to_string(t) + " holds " +
                     std::to_string(backward.size()) + " entries, the forward scan " +
                     std::to_string(part.size()) + " (or their values differ)");
    }
    shared.db->ReleaseSnapshot(snapshot);
  }
}

void RunCompactor(Shared& shared) {
  std::mt19937_64 rng(0x5eed0400);
  for (int i = 0; shared.writing() && shared.failures.count() == 0; ++i) {
    Status s;
    if (i % 8 == 7) {
      s = shared.db->Flush();
    } else if (i % 4 == 3) {
      s = shared.db->CompactRange(std::nullopt, std::nullopt);
    } else {
      const int t = static_cast<int>(rng() % kWriters);
      int a = static_cast<int>(rng() % kKeysPerWriter),
          b = static_cast<int>(rng() % kKeysPerWriter);
      if (a > b) std::swap(a, b);
      s = shared.db->CompactRange(Key(t, a), Key(t, b));
    }
    if (!s.ok()) shared.failures.Add("compactor: " + s.ToString());
  }
}

}  // namespace stress

TEST(CompactionStressTest, ConcurrentWritersReadersAndSnapshotsWhileCompacting) {
  using stress::Key;
  using stress::kKeysPerWriter;
  using stress::kReaders;
  using stress::kWriters;
  using stress::Value;
  MemFileSystem fs;
  Options options = TinyShapeOptions();
  options.file_system = &fs;
  options.max_background_jobs = 3;       // a flush and two compactions at once
  options.block_cache_size = 256 << 10;  // small enough to evict
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());

  stress::Shared shared(db.get());
  std::vector<std::uint32_t> final_generation[kWriters];
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] { final_generation[t] = stress::RunWriter(shared, t); });
  }
  for (int r = 0; r < kReaders; ++r) threads.emplace_back([&, r] { stress::RunReader(shared, r); });
  threads.emplace_back([&] { stress::RunCompactor(shared); });
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(shared.failures.count(), 0) << shared.failures.Report();

  // Settled or not, and again after a reopen: every key at its last generation.
  KvMap want;
  for (int t = 0; t < kWriters; ++t) {
    for (int j = 0; j < kKeysPerWriter; ++j) {
      if (final_generation[t][j] > 0) want[Key(t, j)] = Value(Key(t, j), final_generation[t][j]);
    }
  }
  EXPECT_EQ(FirstDifference(want, test::ScanForward(db.get())), "") << "forward scan";
  EXPECT_EQ(FirstDifference(want, test::ScanBackward(db.get())), "") << "backward scan";
  for (const auto& [key, value] : want) {
    std::string got;
    const Status s = db->Get({}, key, &got);
    EXPECT_TRUE(s.ok() && got == value) << "Get(" << key << "): " << s.ToString();
  }
  ASSERT_TRUE(WaitForSettledTree(db.get()));
  EXPECT_GT(Stat(db.get(), "compactions"), 0u);
  EXPECT_GT(Stat(db.get(), "compaction_bytes_written"), 0u) << "only trivial moves ran";
  EXPECT_GT(FilesBelowLevel0(db.get()), 0u);
  db.reset();
  ASSERT_TRUE(DB::Open(options, "/db", &db).ok());
  EXPECT_EQ(FirstDifference(want, test::ScanForward(db.get())), "") << "after reopen";
}

}  // namespace
}  // namespace arenakv
