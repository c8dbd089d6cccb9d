// SPDX-License-Identifier: Apache-2.0
// The I/O fault sweep: a scripted workload (open, chain writes with and
// without sync, flush, more writes, a full compaction, close, reopen, more
// writes) runs once per (kind of call, file kind, call index k), with call k
// failing: once (transient) or from then on (sticky), with IOError or
// NoSpace. For every run:
//   - the fault fired where the run says (or the workload never made k calls);
//   - a fault in a WAL, table or manifest append/sync/create surfaces: some
//     step of the workload returns non-OK (nothing is silently lost);
//   - where the DB called it retryable and the fault was transient, Resume
//     clears it;
//   - after the workload, on a healthy file system, with or without a power
//     loss first, the DB opens and holds exactly a prefix of the chain that
//     includes every write acknowledged as synced: no wrong read, no crash.
// Every call index of every kind is swept where the workload makes few calls;
// at most kMaxPerKind evenly spread indexes otherwise (CI-bounded; the count
// of faults injected is printed). ARENAKV_FAULT_SWEEP_ALL=1 sweeps every index
// (by hand: README.md "Reliability").
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "tests/support/db_test_util.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

using Op = MemFileSystem::Op;

constexpr const char* kDir = "/db";
constexpr int kMaxPerKind = 24 / test::kScale;

struct Kind {
  Op op;
  const char* file;   // a part of the file name
  bool must_surface;  // a failure here must reach some caller
};

constexpr Kind kKinds[] = {
    {Op::kAppend, ".log", true},     {Op::kSync, ".log", true},      {Op::kCreate, ".log", true},
    {Op::kAppend, ".sst", true},     {Op::kSync, ".sst", true},      {Op::kCreate, ".sst", true},
    {Op::kAppend, "MANIFEST", true}, {Op::kSync, "MANIFEST", true},  {Op::kRead, ".sst", false},
    {Op::kRead, ".log", false},      {Op::kRename, "CURRENT", true}, {Op::kSyncDir, "db", false},
    {Op::kRemove, "", false},        {Op::kFlush, ".log", true},
};

struct Outcome {
  std::int64_t synced = -1;  // last chain write acknowledged as synced
  std::int64_t acked = -1;
  bool any_failed = false;
  bool resume_failed_after_transient = false;
};

Options SweepOptions(FileSystem* fs) {
  Options options = test::TinyShapeOptions();
  options.file_system = fs;
  options.max_bgerror_resume_count = 0;  // the sweep calls Resume itself
  return options;
}

// The workload; every step's failure is noted, and the workload goes on.
Outcome RunWorkload(MemFileSystem* fs, bool transient) {
  Outcome out;
  std::unique_ptr<DB> db;
  auto note = [&](const Status& s) {
    if (s.ok()) return true;
    out.any_failed = true;
    if (db != nullptr && transient) {
      std::string text;
      if (db->GetProperty("arenakv.background-error", &text) &&
          text.starts_with("severity: retryable")) {
        // The fault has fired once and is spent: Resume must clear it.
        if (!db->Resume().ok()) out.resume_failed_after_transient = true;
      }
    }
    return false;
  };
  auto write = [&](std::int64_t from, std::int64_t to) {
    for (std::int64_t i = from; i < to; ++i) {
      if (i != out.acked + 1) return;  // the chain must stay a prefix: stop at a failure
      const bool sync = i % 5 == 4;
      if (!note(test::WriteChain(db.get(), i, sync, 200))) return;
      out.acked = i;
      if (sync) out.synced = i;
    }
  };
  auto open = [&] {
    db.reset();
    return note(DB::Open(SweepOptions(fs), kDir, &db));
  };
  if (!open()) return out;
  write(0, 150);
  note(db->Flush());
  write(150, 300);
  note(db->CompactRange(std::nullopt, std::nullopt));
  note(db->Close());
  if (!open()) return out;
  write(300, 400);
  // Only what is synced counts: the sweep ends with a power loss or a close.
  db.reset();
  return out;
}

TEST(DbFaultSweepTest, EveryCallCanFailWithoutLosingSyncedWritesOrReadingWrongData) {
  std::uint64_t injected = 0, runs = 0;
  for (const Kind& kind : kKinds) {
    // Count the calls of this kind in a fault-free run.
    int total = 0;
    {
      MemFileSystem fs;
      const int counter = fs.AddFault({.op = kind.op, .file = kind.file, .times = 0});
      RunWorkload(&fs, false);
      total = fs.Seen(counter);
    }
    const bool all = std::getenv("ARENAKV_FAULT_SWEEP_ALL") != nullptr;
    const int step = all ? 1 : std::max(1, total / kMaxPerKind);
    for (int k = 0; k < total; k += step) {
      for (int variant = 0; variant < 2; ++variant) {
        const bool transient = variant == 0;
        SCOPED_TRACE("fault: call " + std::to_string(k) + " of " + std::to_string(total) + " (op " +
                     std::to_string(static_cast<int>(kind.op)) + " on '" + kind.file + "'), " +
                     (transient ? "transient" : "sticky"));
        MemFileSystem fs;
        const int fault = fs.AddFault(
            {.op = kind.op,
             .file = kind.file,
             .skip = k,
             .times = transient ? 1 : -1,
             .error = k % 2 == 0 ? Status::IOError("injected") : Status::NoSpace("injected")});
        const Outcome out = RunWorkload(&fs, transient);
        ++runs;
        const int fired = fs.Fired(fault);
        injected += static_cast<std::uint64_t>(fired);
        if (kind.must_surface && fired > 0) {
          EXPECT_TRUE(out.any_failed) << "the fault fired " << fired << " times, unreported";
        }
        EXPECT_FALSE(out.resume_failed_after_transient);
        // Recovery on a healthy file system, after a power loss on odd runs.
        fs.ClearFaults();
        if (k % 2 == 1) fs.SimulateCrash();
        std::unique_ptr<DB> db;
        Status s = DB::Open(SweepOptions(&fs), kDir, &db);
        ASSERT_TRUE(s.ok()) << s.ToString();
        const std::int64_t c = test::ExpectChainPrefix(db.get(), out.synced, 200);
        EXPECT_LE(c, out.acked + 1);
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
  std::printf("fault sweep: %llu runs, %llu faults injected\n",
              static_cast<unsigned long long>(runs), static_cast<unsigned long long>(injected));
  EXPECT_GT(injected, 0u);
}

}  // namespace
}  // namespace arenakv
