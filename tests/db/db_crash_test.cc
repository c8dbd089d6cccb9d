// SPDX-License-Identifier: Apache-2.0
// A real process crash: a child process opens a DB on the POSIX file system
// and writes test::WriteChain's chain, reporting each acknowledged write
// through a pipe; the parent kill -9s it after a random number of
// acknowledgements (so at a random point of its write path: in the WAL
// append, the fsync, a memtable rotation or a background flush), reopens the
// DB and checks that
//   - every acknowledged synced write is there,
//   - the state is exactly a prefix of the write order (no hole, no torn
//     batch: test::ExpectChainPrefix),
//   - at most the one write in flight beyond the last acknowledgement is there.
// The next round continues the chain from what was recovered, so later rounds
// recover from files left by earlier recoveries. Unsynced writes are mixed in
// on odd rounds: they may be lost, but only as a suffix.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "arenakv/mvcc/db.h"
#include "gtest/gtest.h"
#include "tests/support/db_test_util.h"
#include "tests/support/pipe_io.h"

namespace arenakv {
namespace {

constexpr int kRounds = 6;
constexpr std::size_t kPad =
    100;  // chain values of ~100 bytes: rotations every few thousand writes

Options CrashOptions() {
  Options options;
  options.write_buffer_size = test::kSmallWriteBuffer;
  return options;
}

// One acknowledgement on the pipe: the write's index, and whether it was synced.
struct Ack {
  std::int64_t index;
  std::int64_t synced;
};

// The child: never returns. Exit codes other than being killed say what failed.
[[noreturn]] void RunWriter(const std::string& path, int fd, bool all_synced, std::int64_t start) {
  std::unique_ptr<DB> db;
  if (!DB::Open(CrashOptions(), path, &db).ok()) _exit(2);
  for (std::int64_t i = start; i < start + 1'000'000; ++i) {
    const bool sync = all_synced || i % 10 == 0;
    if (!test::WriteChain(db.get(), i, sync, kPad).ok()) _exit(3);
    const Ack ack{i, sync ? 1 : 0};
    if (::write(fd, &ack, sizeof(ack)) != static_cast<ssize_t>(sizeof(ack))) _exit(4);
  }
  _exit(5);
}

// Reads exactly one Ack; false at end of file.
bool ReadAck(int fd, Ack* ack) { return test::ReadFully(fd, ack, sizeof(*ack)); }

TEST(DbCrashTest, KillNineKeepsAcknowledgedSyncedWritesAsAPrefix) {
  test::TempDir dir;
  const std::string path = dir.Sub("db");
  std::mt19937_64 rng(std::random_device{}());
  std::int64_t recovered = -1;  // the chain's last write present after the last reopen
  for (int round = 0; round < kRounds; ++round) {
    const bool all_synced = round % 2 == 0;
    const int target = 20 + static_cast<int>(rng() % (all_synced ? 250 : 2500));
    SCOPED_TRACE("round " + std::to_string(round) + ", kill after " + std::to_string(target) +
                 " acknowledgements" + (all_synced ? "" : ", every 10th write synced"));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunWriter(path, fds[1], all_synced, recovered + 1);
    }
    ::close(fds[1]);
    std::int64_t last_acked = recovered;
    std::int64_t last_synced = recovered;  // recovered writes are durable: they are in files
    Ack ack{};
    int acks = 0;
    while (acks < target && ReadAck(fds[0], &ack)) {
      ++acks;
      EXPECT_EQ(ack.index, last_acked + 1);
      last_acked = ack.index;
      if (ack.synced) last_synced = ack.index;
    }
    ::kill(pid, SIGKILL);
    // Acknowledgements sent before the kill count too.
    while (ReadAck(fds[0], &ack)) {
      last_acked = ack.index;
      if (ack.synced) last_synced = ack.index;
    }
    ::close(fds[0]);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus))
        << "the writer exited by itself with code " << WEXITSTATUS(wstatus)
        << " (2: open, 3: write, 4: pipe failed) after " << acks << " acknowledgements";
    ASSERT_GE(acks, target) << "the writer died early";

    std::unique_ptr<DB> db;
    Status s = DB::Open(CrashOptions(), path, &db);
    ASSERT_TRUE(s.ok()) << s.ToString();
    const std::int64_t c = test::ExpectChainPrefix(db.get(), last_synced, kPad);
    // One writer, one write at a time: at most the one in flight is extra.
    EXPECT_LE(c, last_acked + 1);
    if (all_synced) {
      EXPECT_GE(c, last_acked);
    }
    recovered = c;
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace arenakv
