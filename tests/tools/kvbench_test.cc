// SPDX-License-Identifier: Apache-2.0
// Unit tests of kvbench's parts: the histogram's bucket arithmetic and
// percentiles, key and value generators, the zipfian generator, the JSON
// escaper, option validation, the progress line's text, /proc/self/io
// parsing, the amplification figures, and the workload runner against a real
// arenakv DB in a temporary directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tools/kvbench/engine.h"
#include "tools/kvbench/generators.h"
#include "tools/kvbench/histogram.h"
#include "tools/kvbench/interval_series.h"
#include "tools/kvbench/json_writer.h"
#include "tools/kvbench/options.h"
#include "tools/kvbench/process_io.h"
#include "tools/kvbench/process_memory.h"
#include "tools/kvbench/progress.h"
#include "tools/kvbench/report.h"
#include "tools/kvbench/workloads.h"
#include "tools/kvbench/zipfian.h"

namespace arenakv::kvbench {
namespace {

TEST(KvbenchHistogram, BucketBoundsContainTheirValues) {
  std::vector<std::uint64_t> values = {0, 1, 127, 128, 129, 255, 256, 257, 1000, 65535, 65536};
  for (int shift = 7; shift < 64; ++shift) {
    const std::uint64_t p = std::uint64_t{1} << shift;
    values.insert(values.end(), {p - 1, p, p + 1, p + p / 3});
  }
  values.push_back(std::numeric_limits<std::uint64_t>::max());
  for (const std::uint64_t v : values) {
    const std::size_t i = Histogram::BucketIndex(v);
    ASSERT_LT(i, Histogram::kNumBuckets) << v;
    EXPECT_LE(Histogram::BucketLow(i), v) << v;
    EXPECT_GE(Histogram::BucketHigh(i), v) << v;
    // Width bounded relative to the value: at most 1/128 of the lower bound.
    const std::uint64_t width = Histogram::BucketHigh(i) - Histogram::BucketLow(i);
    EXPECT_LE(width, Histogram::BucketLow(i) / Histogram::kSubBuckets) << v;
  }
}

TEST(KvbenchHistogram, BucketsTileTheRangeWithoutGaps) {
  for (std::size_t i = 0; i + 1 < Histogram::kNumBuckets; ++i) {
    ASSERT_EQ(Histogram::BucketHigh(i) + 1, Histogram::BucketLow(i + 1)) << i;
  }
  EXPECT_EQ(Histogram::BucketHigh(Histogram::kNumBuckets - 1),
            std::numeric_limits<std::uint64_t>::max());
}

TEST(KvbenchHistogram, PercentilesWithinRelativeErrorOfExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100000; ++v) h.Record(v * 10);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.min(), 10u);
  EXPECT_EQ(h.max(), 1000000u);
  for (const double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = q * 100000 * 10;
    EXPECT_NEAR(h.Percentile(q), exact, exact / 200) << q;
  }
  EXPECT_DOUBLE_EQ(h.Percentile(1.0), 1000000.0);
  EXPECT_NEAR(h.Mean(), 500005.0, 1e-6);
}

TEST(KvbenchHistogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.Percentile(0.99), 0.0);
  EXPECT_EQ(h.Mean(), 0.0);
}

TEST(KvbenchHistogram, MergeEqualsRecordingEverythingInOne) {
  Histogram a, b, all;
  for (std::uint64_t v = 0; v < 5000; ++v) {
    (v % 3 == 0 ? a : b).Record(v * v);
    all.Record(v * v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (const double q : {0.1, 0.5, 0.99, 0.999}) EXPECT_EQ(a.Percentile(q), all.Percentile(q));
}

TEST(KvbenchGenerators, KeysSortInIndexOrderAndMissingKeysNeverCollide) {
  KeyBuffer keys(16);
  std::string previous;
  std::set<std::string> written;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    const std::string key(keys.Key(i * 257));
    ASSERT_EQ(key.size(), 16u);
    if (i > 0) {
      EXPECT_LT(previous, key);
    }
    previous = key;
    written.insert(key);
  }
  for (std::uint64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(written.count(std::string(keys.MissingKey(i * 257))), 0u);
  }
}

TEST(KvbenchGenerators, ValuesHaveTheRequestedSize) {
  Random rng(1);
  for (const std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{1} << 20}) {
    ValuePool pool(size, 7);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(pool.Value(rng).size(), size);
  }
}

TEST(KvbenchGenerators, UniformStaysInRange) {
  Random rng(42);
  for (const std::uint64_t n : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{1000}}) {
    for (int i = 0; i < 10000; ++i) ASSERT_LT(rng.Uniform(n), n);
  }
}

TEST(KvbenchZipfian, RanksInRangeAndSkewedTowardsZero) {
  ZipfianTable zipf(1000, 0.99);
  Random rng(3);
  std::map<std::uint64_t, int> counts;
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t r = zipf.Next(rng);
    ASSERT_LT(r, 1000u);
    ++counts[r];
  }
  // With theta 0.99 and n = 1000, rank 0 takes ~13% and beats rank 10 by ~10x.
  EXPECT_GT(counts[0], 10000);
  EXPECT_GT(counts[0], 5 * counts[10]);
  EXPECT_GT(counts[1], counts[100]);
  for (int i = 0; i < 10000; ++i) ASSERT_LT(zipf.ScrambledNext(rng), 1000u);
}

TEST(KvbenchZipfian, TinyDomains) {
  Random rng(5);
  ZipfianTable one(1, 0.5);
  ZipfianTable two(2, 0.5);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(one.Next(rng), 0u);
    ASSERT_EQ(one.ScrambledNext(rng), 0u);
    ASSERT_LT(two.Next(rng), 2u);
  }
}

TEST(KvbenchJson, EscapesQuotesBackslashesAndControlBytes) {
  std::string out;
  JsonWriter::AppendQuoted(std::string("a\"b\\c\n\t\x01", 8) + std::string(1, '\0') + "\xc3\xa9",
                           &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u0000\xc3\xa9\"");
}

TEST(KvbenchJson, SeparatesMembersAndWritesNonFiniteAsNull) {
  JsonWriter j;
  j.BeginObject();
  j.Key("a").Uint(1);
  j.Key("b").BeginArray().Int(-2).Double(0.5).Double(std::nan("")).Bool(true).EndArray();
  j.Key("c").BeginObject().EndObject();
  j.Key("d").String("x");
  j.EndObject();
  EXPECT_EQ(j.str(), "{\"a\":1,\"b\":[-2,0.5,null,true],\"c\":{},\"d\":\"x\"}");
}

TEST(KvbenchJson, StringArrayIsAKeyedArrayOfStrings) {
  JsonWriter j;
  j.BeginObject();
  j.StringArray("a", {"x", "y\""});
  j.StringArray("b", {});
  j.Key("c").Null();
  j.EndObject();
  EXPECT_EQ(j.str(), "{\"a\":[\"x\",\"y\\\"\"],\"b\":[],\"c\":null}");
}

int Parse(std::vector<std::string> args, BenchOptions* options) {
  args.insert(args.begin(), "kvbench");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  const std::optional<int> code = ParseOptions(static_cast<int>(argv.size()), argv.data(), options);
  return code.value_or(-1);  // -1: parsed fine
}

TEST(KvbenchOptions, AcceptsListsAndRejectsUnknownNames) {
  BenchOptions o;
  EXPECT_EQ(
      Parse({"--benchmarks", "fillseq,ycsb-e", "--num", "5", "--distribution", "zipfian"}, &o), -1);
  EXPECT_EQ(o.benchmarks, (std::vector<std::string>{"fillseq", "ycsb-e"}));
  EXPECT_EQ(o.num, 5u);
  EXPECT_TRUE(o.zipfian());
  EXPECT_EQ(o.read_ops(), 5u);

  BenchOptions bad;
  EXPECT_EQ(Parse({"--benchmarks", "fillseq,bogus"}, &bad), 2);
  EXPECT_EQ(Parse({"--engines", "leveldb"}, &bad), 2);
  EXPECT_EQ(Parse({"--distribution", "zipfian", "--zipf-theta", "1.0"}, &bad), 2);
  EXPECT_EQ(Parse({"--key-size", "4"}, &bad), 2);
  EXPECT_EQ(Parse({"--use-existing-db"}, &bad), 2);
  EXPECT_EQ(Parse({"--no-such-flag"}, &bad), 2);
}

TEST(KvbenchOptions, LsmShapeFlagsDefaultToRocksdbsAndRejectBadValues) {
  BenchOptions defaults;
  EXPECT_EQ(Parse({}, &defaults), -1);
  EXPECT_EQ(defaults.level0_file_num_compaction_trigger, 4);
  EXPECT_EQ(defaults.target_file_size_base, std::uint64_t{64} << 20);
  EXPECT_EQ(defaults.max_bytes_for_level_base, std::uint64_t{256} << 20);
  EXPECT_EQ(defaults.max_bytes_for_level_multiplier, 10.0);
  EXPECT_EQ(defaults.compression, "none");

  BenchOptions o;
  EXPECT_EQ(Parse({"--level0-file-num-compaction-trigger", "2", "--target-file-size-base",
                   "1048576", "--max-bytes-for-level-base", "4194304",
                   "--max-bytes-for-level-multiplier", "4.5", "--compression", "zstd"},
                  &o),
            -1);
  EXPECT_EQ(o.level0_file_num_compaction_trigger, 2);
  EXPECT_EQ(o.target_file_size_base, 1048576u);
  EXPECT_EQ(o.max_bytes_for_level_base, 4194304u);
  EXPECT_EQ(o.max_bytes_for_level_multiplier, 4.5);
  EXPECT_EQ(o.compression, "zstd");
  EXPECT_EQ(Parse({"--compression", "lz4"}, &o), -1);
  EXPECT_EQ(o.compression, "lz4");

  BenchOptions bad;
  EXPECT_EQ(Parse({"--level0-file-num-compaction-trigger", "0"}, &bad), 2);
  EXPECT_EQ(Parse({"--target-file-size-base", "100"}, &bad), 2);
  EXPECT_EQ(Parse({"--max-bytes-for-level-base", "-1"}, &bad), 2);
  EXPECT_EQ(Parse({"--max-bytes-for-level-multiplier", "0.5"}, &bad), 2);
  EXPECT_EQ(Parse({"--max-bytes-for-level-multiplier", "nan"}, &bad), 2);
  EXPECT_EQ(Parse({"--compression", "snappy"}, &bad), 2);
}

TEST(KvbenchOptions, MemoryBudgetDefaultsToNoneAndRejectsNegatives) {
  BenchOptions defaults;
  EXPECT_EQ(Parse({}, &defaults), -1);
  EXPECT_EQ(defaults.memory_budget, 0u);

  BenchOptions o;
  EXPECT_EQ(Parse({"--memory-budget", "268435456"}, &o), -1);
  EXPECT_EQ(o.memory_budget, std::size_t{256} << 20);

  BenchOptions bad;
  EXPECT_EQ(Parse({"--memory-budget", "-1"}, &bad), 2);
  EXPECT_EQ(Parse({"--memory-budget", "64MiB"}, &bad), 2);
}

TEST(KvbenchOptions, HoldIteratorsDefaultsToNoneAndIsBounded) {
  BenchOptions defaults;
  EXPECT_EQ(Parse({}, &defaults), -1);
  EXPECT_EQ(defaults.hold_iterators, 0);

  BenchOptions o;
  EXPECT_EQ(Parse({"--hold-iterators", "64"}, &o), -1);
  EXPECT_EQ(o.hold_iterators, 64);

  BenchOptions bad;
  EXPECT_EQ(Parse({"--hold-iterators", "-1"}, &bad), 2);
  EXPECT_EQ(Parse({"--hold-iterators", "5000"}, &bad), 2);
}

TEST(KvbenchProcessIo, ParsesWcharAndWriteBytes) {
  const std::optional<ProcessIo> io = ParseProcessIo(
      "rchar: 10\nwchar: 1234567890123\nsyscr: 3\nsyscw: 4\nread_bytes: 0\n"
      "write_bytes: 8192\ncancelled_write_bytes: 4096\n");
  ASSERT_TRUE(io.has_value());
  EXPECT_EQ(io->wchar, 1234567890123u);
  ASSERT_TRUE(io->write_bytes.has_value());
  EXPECT_EQ(*io->write_bytes, 8192u);

  const std::optional<ProcessIo> no_write_bytes = ParseProcessIo("wchar: 5");
  ASSERT_TRUE(no_write_bytes.has_value());
  EXPECT_EQ(no_write_bytes->wchar, 5u);
  EXPECT_FALSE(no_write_bytes->write_bytes.has_value());
}

TEST(KvbenchProcessMemory, ParsesKilobyteLinesOfProcStatus) {
  const std::string status =
      "Name:\tkvbench\nVmPeak:\t  123456 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
  EXPECT_EQ(ParseStatusBytes(status, "VmHWM"), std::optional<std::uint64_t>(20480u * 1024));
  EXPECT_EQ(ParseStatusBytes(status, "VmRSS"), std::optional<std::uint64_t>(10240u * 1024));
  EXPECT_FALSE(ParseStatusBytes(status, "VmSwap").has_value());
  EXPECT_FALSE(ParseStatusBytes("VmHWM:\t lots kB\n", "VmHWM").has_value());
  EXPECT_FALSE(ParseStatusBytes("VmHWM:\t 12 MB\n", "VmHWM").has_value());
  EXPECT_FALSE(ParseStatusBytes("XVmHWM:\t 12 kB\n", "VmHWM").has_value());
}

TEST(KvbenchProcessMemory, ThePeakFollowsMemoryTouchedAfterAReset) {
  const std::optional<std::uint64_t> start = ResetPeakRss();
  if (!start) GTEST_SKIP() << "/proc/self/clear_refs is not writable here";
  constexpr std::size_t kBytes = 64 << 20;
  std::vector<char> block(kBytes, 'x');  // touched: resident
  const std::optional<std::uint64_t> peak = ReadPeakRss();
  ASSERT_TRUE(peak.has_value());
  EXPECT_GE(*peak, *start + kBytes / 2) << "the touched block is not in the peak";
  // (Whether freeing the block lowers the resident size depends on the
  // allocator: ASan's quarantine keeps it, so nothing is checked after.)
}

TEST(KvbenchProcessIo, MissingOrMalformedWcharIsUnavailable) {
  EXPECT_FALSE(ParseProcessIo("").has_value());
  EXPECT_FALSE(ParseProcessIo("rchar: 10\nwrite_bytes: 5\n").has_value());
  EXPECT_FALSE(ParseProcessIo("wchar: lots\n").has_value());
  EXPECT_FALSE(ParseProcessIo("xwchar: 5\n").has_value());
}

TEST(KvbenchProcessIo, CountsThisProcesssWrites) {
  const std::optional<ProcessIo> before = ReadProcessIo();
  if (!before) GTEST_SKIP() << "/proc/self/io is not readable here";
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("kvbench_io_test_" + std::to_string(reinterpret_cast<std::uintptr_t>(&before)));
  {
    std::FILE* f = std::fopen(file.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string block(1 << 20, 'x');
    ASSERT_EQ(std::fwrite(block.data(), 1, block.size(), f), block.size());
    ASSERT_EQ(std::fclose(f), 0);
  }
  const std::optional<ProcessIo> after = ReadProcessIo();
  std::filesystem::remove(file);
  ASSERT_TRUE(after.has_value());
  EXPECT_GE(after->wchar - before->wchar, std::uint64_t{1} << 20);
}

TEST(KvbenchReport, AmplificationIsUnavailableRatherThanZero) {
  EngineSummary s;
  // Set, then unset: GCC 12 with sanitizers at -O1 otherwise reports the
  // never-written payload of the empty optional as "maybe uninitialized"
  // where write_amplification() reads it behind its has_value() check.
  s.disk_bytes_written = 0;
  s.disk_bytes_written.reset();
  s.db_bytes = 150;
  EXPECT_FALSE(s.write_amplification().has_value());  // nothing written
  EXPECT_FALSE(s.space_amplification().has_value());
  s.user_bytes_written = 100;
  EXPECT_FALSE(s.write_amplification().has_value());  // /proc/self/io unread
  EXPECT_DOUBLE_EQ(*s.space_amplification(), 1.5);
  s.disk_bytes_written = 320;
  EXPECT_DOUBLE_EQ(*s.write_amplification(), 3.2);
}

// The table's ratio column appears only when both engines ran.
TEST(KvbenchReport, TheRatioColumnNeedsBothEngines) {
  auto table = [](const std::vector<std::string>& engines) {
    ResultsByEngine results;
    for (const std::string& engine : engines) {
      WorkloadResult r;
      r.workload = "fillrandom";
      r.engine = engine;
      r.ops = 100;
      r.seconds = engine == "arenakv" ? 1 : 2;
      results.push_back({r});
    }
    std::FILE* out = std::tmpfile();
    PrintTable(results, out);
    std::rewind(out);
    std::string text;
    for (int c; (c = std::fgetc(out)) != EOF;) text.push_back(static_cast<char>(c));
    std::fclose(out);
    return text;
  };
  const std::string alone = table({"arenakv"});
  EXPECT_EQ(alone.find("vs rocksdb"), std::string::npos) << alone;
  EXPECT_EQ(alone.find(" \n"), std::string::npos) << "trailing blanks: " << alone;
  const std::string both = table({"arenakv", "rocksdb"});
  EXPECT_NE(both.find("vs rocksdb"), std::string::npos) << both;
  EXPECT_NE(both.find("2.00x"), std::string::npos) << both;
}

// The runner against a real DB: counts are exact where the workload makes
// them so (every key of a fillseq exists; missing keys never do).
TEST(KvbenchOptions, ReportIntervalDefaultsToNoneAndIsBounded) {
  BenchOptions defaults;
  EXPECT_EQ(Parse({}, &defaults), -1);
  EXPECT_EQ(defaults.report_interval, 0);

  BenchOptions o;
  EXPECT_EQ(Parse({"--report-interval", "0.5"}, &o), -1);
  EXPECT_EQ(o.report_interval, 0.5);

  BenchOptions bad;
  EXPECT_EQ(Parse({"--report-interval", "-1"}, &bad), 2);
  EXPECT_EQ(Parse({"--report-interval", "1h"}, &bad), 2);
}

// Every recorded operation lands in exactly one sample, with its latency in
// that sample's mean and maximum; the samples' ends increase.
TEST(KvbenchIntervalSeries, SamplesAccountForEveryOperationOnce) {
  IntervalSeries series(0.002, 2);
  series.Start();
  std::uint64_t recorded = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  while (std::chrono::steady_clock::now() < until) {
    series.meter(0)->Record(1000);
    series.meter(1)->Record(3000);
    recorded += 2;
  }
  series.meter(1)->Record(9000000);  // one slow operation: 9 ms
  ++recorded;
  const std::vector<IntervalSample> samples = series.Stop();
  ASSERT_FALSE(samples.empty());
  std::uint64_t ops = 0;
  double slowest = 0, previous_end = 0;
  for (const IntervalSample& s : samples) {
    ops += s.ops;
    slowest = std::max(slowest, s.max_latency_us);
    EXPECT_GT(s.end_seconds, previous_end);
    previous_end = s.end_seconds;
    if (s.ops > 0) {
      EXPECT_GE(s.mean_latency_us, 1.0);
      EXPECT_LE(s.max_latency_us, 9000.0);
    }
  }
  EXPECT_EQ(ops, recorded);
  EXPECT_EQ(slowest, 9000.0);
  // Recorded last: in the last sample with operations (a periodic sample
  // may have come between it and Stop's, leaving the final one empty).
  auto last = std::find_if(samples.rbegin(), samples.rend(),
                           [](const IntervalSample& s) { return s.ops > 0; });
  ASSERT_NE(last, samples.rend());
  EXPECT_EQ(last->max_latency_us, 9000.0);
}

// --report-interval gives each workload a series whose samples add up to
// its operations.
TEST(KvbenchRunner, ReportIntervalSeriesAddsUpToTheWorkload) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("kvbench_series_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
       std::to_string(reinterpret_cast<std::uintptr_t>(&dir)));
  BenchOptions o;
  o.num = 5000;
  o.threads = 2;
  o.report_interval = 0.001;
  {
    std::unique_ptr<Engine> engine;
    ASSERT_TRUE(OpenEngine("arenakv", o, dir.string(), &engine).ok());
    WorkloadRunner runner(o, engine.get(), nullptr);
    WorkloadResult r;
    ASSERT_TRUE(runner.Run("fillrandom", &r).ok());
    ASSERT_FALSE(r.intervals.empty());
    std::uint64_t ops = 0;
    for (const IntervalSample& s : r.intervals) ops += s.ops;
    EXPECT_EQ(ops, r.ops);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST(KvbenchRunner, CountsMatchTheWorkloads) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("kvbench_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
       std::to_string(reinterpret_cast<std::uintptr_t>(&dir)));
  BenchOptions o;
  o.num = 3000;
  o.reads = 700;
  o.threads = 3;
  o.value_size = 50;
  {
    std::unique_ptr<Engine> engine;
    ASSERT_TRUE(OpenEngine("arenakv", o, dir.string(), &engine).ok());
    WorkloadRunner runner(o, engine.get(), nullptr);
    auto run = [&](const char* name) {
      WorkloadResult r;
      const Status s = runner.Run(name, &r);
      EXPECT_TRUE(s.ok()) << name << ": " << s.ToString();
      EXPECT_EQ(r.latency.count(), r.ops) << name;
      return r;
    };
    const WorkloadResult fill = run("fillseq");
    EXPECT_EQ(fill.ops, 3000u);
    EXPECT_EQ(fill.bytes_written, 3000u * (16 + 50));
    EXPECT_EQ(run("readrandom").found, 700u);
    EXPECT_EQ(run("readmissing").found, 0u);
    EXPECT_EQ(run("readseq").ops, 2100u);  // 3 threads x 700 entries
    EXPECT_EQ(run("readreverse").ops, 2100u);
    EXPECT_EQ(run("ycsb-c").found, 700u);
    EXPECT_EQ(run("seekrandom").ops, 700u);
    EXPECT_EQ(run("fillsync").ops, 3u);  // num / 1000
    EXPECT_EQ(run("deleterandom").ops, 3000u);
    EXPECT_TRUE(engine->WaitForBackgroundWork(std::chrono::minutes(1)).ok());
    // Held iterators change what a workload pins, not what it does.
    BenchOptions held = o;
    held.hold_iterators = 8;
    WorkloadRunner holding(held, engine.get(), nullptr);
    WorkloadResult refill;
    ASSERT_TRUE(holding.Run("fillseq", &refill).ok());
    EXPECT_EQ(refill.ops, 3000u);

    WorkloadResult unknown;
    EXPECT_TRUE(runner.Run("nope", &unknown).IsInvalidArgument());
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// Transfers between few accounts from several threads collide often; every
// engine built in must keep the balances' sum (the workload checks it and
// fails otherwise) and count one operation per committed transfer.
TEST(KvbenchRunner, TxnTransferKeepsTheSumOnEveryEngine) {
  for (const char* name : {"arenakv", "rocksdb"}) {
    if (!EngineBuiltIn(name)) continue;
    const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                      (std::string("kvbench_txn_test_") + name + "_" +
                                       std::to_string(reinterpret_cast<std::uintptr_t>(&dir)));
    BenchOptions o;
    o.benchmarks = {"txn-transfer"};
    o.num = 20;
    o.reads = 600;
    o.threads = 4;
    {
      std::unique_ptr<Engine> engine;
      ASSERT_TRUE(OpenEngine(name, o, dir.string(), &engine).ok()) << name;
      WorkloadRunner runner(o, engine.get(), nullptr);
      WorkloadResult r;
      const Status s = runner.Run("txn-transfer", &r);
      EXPECT_TRUE(s.ok()) << name << ": " << s.ToString();
      EXPECT_EQ(r.ops, 600u) << name;
      EXPECT_EQ(r.latency.count(), r.ops) << name;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

TEST(KvbenchEngine, ParseBalanceAcceptsOnlyWholeNumbers) {
  std::int64_t balance = 0;
  EXPECT_TRUE(ParseBalance("1000", &balance).ok());
  EXPECT_EQ(balance, 1000);
  EXPECT_TRUE(ParseBalance("-42", &balance).ok());
  EXPECT_EQ(balance, -42);
  for (const char* bad : {"", "x", "12x", " 1", "99999999999999999999"}) {
    EXPECT_TRUE(ParseBalance(bad, &balance).IsCorruption()) << bad;
  }
}

// For every engine built in: a fillrandom whose small write buffer hands
// memtables to background flushes (and level-0 files to compactions), then
// `check` on the engine and its runner while they still have work.
void AfterAFillThatLeavesBackgroundWork(
    const std::string& dir_prefix,
    const std::function<void(const char* name, Engine* engine, WorkloadRunner* runner)>& check) {
  for (const char* name : {"arenakv", "rocksdb"}) {
    if (!EngineBuiltIn(name)) continue;
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() /
        (dir_prefix + name + "_" + std::to_string(reinterpret_cast<std::uintptr_t>(&dir)));
    BenchOptions o;
    o.num = 20000;
    o.write_buffer_size = 64 << 10;
    o.level0_file_num_compaction_trigger = 2;
    {
      std::unique_ptr<Engine> engine;
      ASSERT_TRUE(OpenEngine(name, o, dir.string(), &engine).ok()) << name;
      WorkloadRunner runner(o, engine.get(), nullptr);
      WorkloadResult fill;
      ASSERT_TRUE(runner.Run("fillrandom", &fill).ok()) << name;
      check(name, engine.get(), &runner);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

// The wait returns once the flushes are written, for every engine built in.
TEST(KvbenchEngine, WaitForBackgroundWorkReturnsAfterFlushes) {
  AfterAFillThatLeavesBackgroundWork(
      "kvbench_settle_test_", [](const char* name, Engine* engine, WorkloadRunner*) {
        const Status s = engine->WaitForBackgroundWork(std::chrono::minutes(2));
        EXPECT_TRUE(s.ok()) << name << ": " << s.ToString();
      });
}

// The waitforcompaction workload does no operation and returns only once
// the engine is idle: a wait with no time left then finds nothing to wait for.
TEST(KvbenchRunner, WaitForCompactionLeavesTheEngineIdle) {
  AfterAFillThatLeavesBackgroundWork(
      "kvbench_waitfor_test_", [](const char* name, Engine* engine, WorkloadRunner* runner) {
        WorkloadResult wait;
        const Status s = runner->Run("waitforcompaction", &wait);
        ASSERT_TRUE(s.ok()) << name << ": " << s.ToString();
        EXPECT_EQ(wait.ops, 0u);
        EXPECT_TRUE(wait.settled);
        EXPECT_EQ(wait.latency.count(), 0u);
        EXPECT_GT(wait.seconds, 0.0);
        EXPECT_TRUE(engine->WaitForBackgroundWork(std::chrono::milliseconds(0)).ok()) << name;
      });
}

TEST(KvbenchEngine, RocksdbIsAnErrorWhenNotBuiltIn) {
  if (EngineBuiltIn("rocksdb")) GTEST_SKIP() << "built with RocksDB";
  BenchOptions o;
  std::unique_ptr<Engine> engine;
  EXPECT_TRUE(OpenEngine("rocksdb", o, "/nonexistent", &engine).IsNotSupported());
}

TEST(KvbenchProgress, LineShowsNamesBarPercentAndRate) {
  EXPECT_EQ(FormatProgressLine("fillrandom", "arenakv", 0.5, 1234.4, 10),
            "fillrandom arenakv [#####-----]  50% 1234 ops/s");
  EXPECT_EQ(FormatProgressLine("readseq", "rocksdb", 0, 0, 4),
            "readseq rocksdb [----]   0% 0 ops/s");
  EXPECT_EQ(FormatProgressLine("ycsb-a", "arenakv", 1, 2e6, 4),
            "ycsb-a arenakv [####] 100% 2000000 ops/s");
}

TEST(KvbenchProgress, BarFillsOnlyWholeCells) {
  // 99.9% is not done: the last cell stays empty and the percent rounds down.
  EXPECT_EQ(FormatProgressLine("w", "e", 0.999, 1, 10), "w e [#########-]  99% 1 ops/s");
  EXPECT_EQ(FormatProgressLine("w", "e", 0.05, 1, 10), "w e [----------]   5% 1 ops/s");
}

TEST(KvbenchProgress, OutOfRangeNumbersAreClamped) {
  const std::string full = "w e [###] 100% 7 ops/s";
  const std::string empty = "w e [---]   0% 0 ops/s";
  // A timed workload's elapsed time can pass its duration before the threads stop.
  EXPECT_EQ(FormatProgressLine("w", "e", 1.7, 7, 3), full);
  EXPECT_EQ(FormatProgressLine("w", "e", -0.2, -5, 3), empty);
  EXPECT_EQ(FormatProgressLine("w", "e", std::nan(""), std::nan(""), 3), empty);
  EXPECT_EQ(FormatProgressLine("w", "e", std::numeric_limits<double>::infinity(), 7, 3), full);
}

TEST(KvbenchProgress, ZeroWidthLeavesOutTheBar) {
  EXPECT_EQ(FormatProgressLine("", "", 0.25, 10, 0), "   25% 10 ops/s");
}

}  // namespace
}  // namespace arenakv::kvbench
