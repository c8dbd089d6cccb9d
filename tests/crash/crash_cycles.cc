// SPDX-License-Identifier: Apache-2.0
// crash_cycles: the standing crash suite. Several writer threads run mixed
// batches (puts and deletes, every 8th write synced, every 4th one through a
// transaction, so a crash during Commit is covered) against a DB with tiny
// write buffers and level-0 triggers, so flushes and compactions are always
// in flight; the DB is crashed at a random moment, reopened, checked, and the
// next cycle continues on the same files.
//
//   --mode kill   the writers run in a child process on the POSIX file
//                 system (a temporary directory, or --db DIR); the parent
//                 SIGKILLs it after a random number of acknowledgements,
//                 which the child reports through a pipe.
//   --mode power  the writers run in this process on a MemFileSystem, which
//                 loses power under them: each file keeps its synced bytes
//                 and, of its unsynced tail, nothing, whole 4 KiB pages, or
//                 pages left zeroed or (WALs) garbage (MemFileSystem::
//                 SimulateCrash(kMixed)). Recovery runs in point-in-time mode.
//
// After each crash, for every writer thread t, with c the thread's last write
// found (its "counter" key):
//   - c >= the last write of t acknowledged as synced (none is lost);
//   - c <= the last acknowledged write of t + 1 (only the one in flight);
//   - t's keys are exactly the state after its writes 0..c: no hole, no torn
//     batch, no write of t applied out of order.
// Exit status 0 if every cycle passed; the summary line gives the counts.
//
// Usage: crash_cycles --mode kill|power [--cycles N] [--threads T] [--seed S] [--db DIR]
// ctest runs a few cycles of each mode; README.md "Reliability" gives the long runs.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "arenakv/mvcc/db.h"
#include "tests/support/mem_file_system.h"
#include "tests/support/pipe_io.h"

namespace arenakv {
namespace {

constexpr int kKeys = 16;  // k and d keys per thread

struct Config {
  std::string mode;
  int cycles = 10;
  int threads = 4;
  std::uint64_t seed = 0;
  std::string db;
};

Options CycleOptions(FileSystem* fs) {
  Options options;
  options.file_system = fs;
  options.write_buffer_size = 256 << 10;
  options.level0_file_num_compaction_trigger = 2;
  options.level0_slowdown_writes_trigger = 8;
  options.level0_stop_writes_trigger = 12;
  options.target_file_size_base = 64 << 10;
  options.max_bytes_for_level_base = 256 << 10;
  options.wal_recovery_mode = WALRecoveryMode::kPointInTimeRecovery;
  return options;
}

std::string Key(int t, const std::string& name) { return "t" + std::to_string(t) + "/" + name; }
std::string Value(std::int64_t i) { return "v" + std::to_string(i) + std::string(60, '.'); }

bool TransactionWrite(std::int64_t i) { return i % 4 == 1; }

// Write i of thread t as a transaction (the same operations as WriteOne's
// batch): it reads the counter with GetForUpdate, which must hold i - 1
// (only thread t writes its keys, so the commit never meets a conflict).
// A counter that does not is reported through *wrong_read (other errors
// are what a crash does to a running DB).
Status TransactionOne(DB* db, int t, std::int64_t i, bool sync, bool* wrong_read) {
  WriteOptions wo;
  wo.sync = sync;
  std::unique_ptr<Transaction> txn = db->BeginTransaction(wo, TransactionOptions());
  std::string counter;
  Status s = txn->GetForUpdate({}, Key(t, "counter"), &counter);
  if (s.ok() && counter != std::to_string(i - 1)) {
    *wrong_read = true;
    return Status::Corruption("transaction of write " + std::to_string(i) + " read counter " +
                              counter);
  }
  if (s.ok()) s = txn->Put(Key(t, "k" + std::to_string(i % kKeys)), Value(i));
  if (s.ok()) s = txn->Delete(Key(t, "d" + std::to_string((i - 1) % kKeys)));
  if (s.ok()) s = txn->Put(Key(t, "d" + std::to_string(i % kKeys)), std::to_string(i));
  if (s.ok()) s = txn->Put(Key(t, "counter"), std::to_string(i));
  if (s.ok()) s = txn->Commit();
  return s;
}

// Write i of thread t: one batch of puts and a delete (every fourth one a
// transaction).
Status WriteOne(DB* db, int t, std::int64_t i, bool sync, bool* wrong_read) {
  if (TransactionWrite(i)) return TransactionOne(db, t, i, sync, wrong_read);
  WriteBatch batch;
  batch.Put(Key(t, "k" + std::to_string(i % kKeys)), Value(i));
  if (i > 0) batch.Delete(Key(t, "d" + std::to_string((i - 1) % kKeys)));
  batch.Put(Key(t, "d" + std::to_string(i % kKeys)), std::to_string(i));
  batch.Put(Key(t, "counter"), std::to_string(i));
  WriteOptions wo;
  wo.sync = sync;
  return db->Write(wo, &batch);
}

bool SyncedWrite(std::int64_t i) { return i % 8 == 7; }

// Checks thread t's keys against the state after its writes 0..c, where c
// is read from its counter (-1: none). Returns c, or -2 with *error set.
std::int64_t CheckThread(DB* db, int t, std::string* error) {
  const std::string prefix = Key(t, "");
  std::map<std::string, std::string> found;
  auto it = db->NewIterator({});
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    found.emplace(std::string(it->key()), std::string(it->value()));
  }
  if (!it->status().ok()) {
    *error = "scan: " + it->status().ToString();
    return -2;
  }
  std::int64_t c = -1;
  if (auto counter = found.find(Key(t, "counter")); counter != found.end()) {
    c = std::stoll(counter->second);
  }
  std::map<std::string, std::string> expected;
  if (c >= 0) {
    expected[Key(t, "counter")] = std::to_string(c);
    expected[Key(t, "d" + std::to_string(c % kKeys))] = std::to_string(c);
    for (std::int64_t j = 0; j < kKeys && j <= c; ++j) {
      expected[Key(t, "k" + std::to_string(j))] = Value(c - (c - j) % kKeys);
    }
  }
  if (found != expected) {
    *error = "thread " + std::to_string(t) + ": not the state after its writes 0.." +
             std::to_string(c) + " (" + std::to_string(found.size()) + " keys, want " +
             std::to_string(expected.size()) + ")";
    return -2;
  }
  return c;
}

struct ThreadProgress {
  std::int64_t recovered = -1;  // last write found after the last reopen
  std::int64_t acked = -1;      // last acknowledged write
  std::int64_t synced = -1;     // last acknowledged synced write
};

struct Totals {
  std::uint64_t cycles = 0, acked = 0, synced = 0, lost_synced = 0, wrong = 0;
  // Recoveries that dropped a torn tail, and that stopped at a damaged record.
  std::uint64_t torn_tails = 0, damaged_tails = 0;
};

// The number on the "name: N" line of `text`, or 0.
std::uint64_t PropertyLine(const std::string& text, const std::string& name) {
  const std::size_t at = text.find(name + ": ");
  return at == std::string::npos ? 0
                                 : std::strtoull(text.c_str() + at + name.size() + 2, nullptr, 10);
}

// Reopens (point in time) and checks every thread; false on any failure.
bool Verify(const Options& options, const std::string& path, std::vector<ThreadProgress>* threads,
            Totals* totals, int cycle) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, path, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "cycle %d: reopen failed: %s\n", cycle, s.ToString().c_str());
    ++totals->wrong;
    return false;
  }
  std::string recovery;
  if (db->GetProperty("arenakv.recovery", &recovery)) {
    totals->torn_tails += PropertyLine(recovery, "torn_tail_bytes") > 0;
    totals->damaged_tails += PropertyLine(recovery, "dropped_records") > 0;
  }
  bool ok = true;
  for (std::size_t t = 0; t < threads->size(); ++t) {
    ThreadProgress& p = (*threads)[t];
    std::string error;
    const std::int64_t c = CheckThread(db.get(), static_cast<int>(t), &error);
    if (c == -2) {
      std::fprintf(stderr, "cycle %d: %s\n", cycle, error.c_str());
      ++totals->wrong;
      ok = false;
      continue;
    }
    if (c < p.synced) {
      std::fprintf(stderr, "cycle %d: thread %zu lost synced write %lld (found up to %lld)\n",
                   cycle, t, static_cast<long long>(p.synced), static_cast<long long>(c));
      ++totals->lost_synced;
      ok = false;
    }
    if (c > p.acked + 1) {
      std::fprintf(stderr, "cycle %d: thread %zu has write %lld, never sent\n", cycle, t,
                   static_cast<long long>(c));
      ++totals->wrong;
      ok = false;
    }
    p = {c, c, c};  // what is in the files now is durable
  }
  return ok;
}

// One acknowledgement through the pipe (24 bytes < PIPE_BUF: atomic).
struct Ack {
  std::int64_t thread, index, synced;
};

[[noreturn]] void RunChild(const Options& options, const std::string& path,
                           const std::vector<ThreadProgress>& threads, int fd) {
  std::unique_ptr<DB> db;
  if (!DB::Open(options, path, &db).ok()) _exit(2);
  std::vector<std::thread> writers;
  for (std::size_t t = 0; t < threads.size(); ++t) {
    writers.emplace_back([&, t] {
      for (std::int64_t i = threads[t].recovered + 1;; ++i) {
        const bool sync = SyncedWrite(i);
        bool wrong_read = false;
        if (!WriteOne(db.get(), static_cast<int>(t), i, sync, &wrong_read).ok()) _exit(3);
        const Ack ack{static_cast<std::int64_t>(t), i, sync ? 1 : 0};
        if (::write(fd, &ack, sizeof(ack)) != static_cast<ssize_t>(sizeof(ack))) _exit(4);
      }
    });
  }
  for (std::thread& w : writers) w.join();
  _exit(5);
}

bool ReadAck(int fd, Ack* ack) { return test::ReadFully(fd, ack, sizeof(*ack)); }

void Record(const Ack& ack, std::vector<ThreadProgress>* threads, Totals* totals) {
  ThreadProgress& p = (*threads)[static_cast<std::size_t>(ack.thread)];
  p.acked = ack.index;
  ++totals->acked;
  if (ack.synced) {
    p.synced = ack.index;
    ++totals->synced;
  }
}

bool KillCycles(const Config& config, Totals* totals) {
  std::filesystem::path dir = config.db;
  const bool temporary = dir.empty();
  if (temporary) {
    dir = std::filesystem::temp_directory_path() /
          ("arenakv_crash_cycles_" + std::to_string(::getpid()));
  }
  std::filesystem::remove_all(dir);
  const std::string path = dir.string();
  const Options options = CycleOptions(nullptr);
  std::vector<ThreadProgress> threads(static_cast<std::size_t>(config.threads));
  std::mt19937_64 rng(config.seed);
  bool ok = true;
  for (int cycle = 0; cycle < config.cycles && ok; ++cycle) {
    int fds[2];
    if (::pipe(fds) != 0) return false;
    const pid_t pid = ::fork();
    if (pid < 0) return false;
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(options, path, threads, fds[1]);
    }
    ::close(fds[1]);
    const std::uint64_t target = 20 + rng() % 3000;
    Ack ack{};
    std::uint64_t acks = 0;
    while (acks < target && ReadAck(fds[0], &ack)) {
      ++acks;
      Record(ack, &threads, totals);
    }
    ::kill(pid, SIGKILL);
    while (ReadAck(fds[0], &ack)) Record(ack, &threads, totals);
    ::close(fds[0]);
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    if (!WIFSIGNALED(wstatus)) {
      std::fprintf(stderr, "cycle %d: the writer exited by itself with code %d\n", cycle,
                   WEXITSTATUS(wstatus));
      return false;
    }
    ++totals->cycles;
    ok = Verify(options, path, &threads, totals, cycle);
  }
  if (temporary && ok) std::filesystem::remove_all(dir);
  return ok;
}

bool PowerCycles(const Config& config, Totals* totals) {
  MemFileSystem fs;
  const std::string path = "/db";
  const Options options = CycleOptions(&fs);
  std::vector<ThreadProgress> threads(static_cast<std::size_t>(config.threads));
  std::mt19937_64 rng(config.seed);
  bool ok = true;
  for (int cycle = 0; cycle < config.cycles && ok; ++cycle) {
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, path, &db);
    if (!s.ok()) {
      std::fprintf(stderr, "cycle %d: open failed: %s\n", cycle, s.ToString().c_str());
      return false;
    }
    const std::uint64_t target = 20 + rng() % 3000;
    std::atomic<std::uint64_t> acks{0}, synced{0};
    std::atomic<bool> wrong_read{false};  // a transaction read a wrong counter
    std::vector<ThreadProgress> progress = threads;
    std::vector<std::thread> writers;
    for (std::size_t t = 0; t < threads.size(); ++t) {
      writers.emplace_back([&, t] {
        ThreadProgress& p = progress[t];
        for (std::int64_t i = p.recovered + 1;; ++i) {
          const bool sync = SyncedWrite(i);
          bool wrong = false;
          const Status ws = WriteOne(db.get(), static_cast<int>(t), i, sync, &wrong);
          if (wrong) {
            std::fprintf(stderr, "cycle %d: thread %zu: %s\n", cycle, t, ws.ToString().c_str());
            wrong_read = true;
          }
          if (!ws.ok()) return;  // the crash
          p.acked = i;
          if (sync) {
            p.synced = i;
            synced.fetch_add(1, std::memory_order_relaxed);
          }
          acks.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    while (acks.load(std::memory_order_relaxed) < target && !wrong_read.load()) {
      std::this_thread::yield();
    }
    fs.SimulateCrash(MemFileSystem::TailLoss::kMixed, rng(), /*garbage_only_in=*/".log");
    for (std::thread& w : writers) w.join();
    db.reset();  // every handle is dead: the DB closes on errors alone
    for (std::size_t t = 0; t < threads.size(); ++t) {
      totals->acked += static_cast<std::uint64_t>(progress[t].acked - threads[t].recovered);
      threads[t].acked = progress[t].acked;
      threads[t].synced = progress[t].synced;
    }
    totals->synced += synced.load();
    ++totals->cycles;
    ok = Verify(options, path, &threads, totals, cycle) && !wrong_read.load();
  }
  return ok;
}

int Main(int argc, char** argv) {
  Config config;
  config.seed = std::random_device{}();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    auto number = [&](auto* out) {
      if (value == nullptr) return false;
      *out =
          static_cast<std::remove_reference_t<decltype(*out)>>(std::strtoull(value, nullptr, 10));
      ++i;
      return true;
    };
    bool ok = true;
    if (arg == "--mode" && value != nullptr) {
      config.mode = value;
      ++i;
    } else if (arg == "--db" && value != nullptr) {
      config.db = value;
      ++i;
    } else if (arg == "--cycles") {
      ok = number(&config.cycles);
    } else if (arg == "--threads") {
      ok = number(&config.threads);
    } else if (arg == "--seed") {
      ok = number(&config.seed);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: crash_cycles --mode kill|power [--cycles N] [--threads T] [--seed S] "
                   "[--db DIR]\n");
      return 2;
    }
  }
  if ((config.mode != "kill" && config.mode != "power") || config.cycles < 1 ||
      config.threads < 1 || config.threads > 64) {
    std::fprintf(stderr, "crash_cycles: need --mode kill|power, cycles >= 1, 1..64 threads\n");
    return 2;
  }
  Totals totals;
  const bool ok =
      config.mode == "kill" ? KillCycles(config, &totals) : PowerCycles(config, &totals);
  std::printf(
      "crash_cycles: mode=%s seed=%llu threads=%d cycles=%llu acknowledged_writes=%llu "
      "synced_writes=%llu torn_tails_dropped=%llu damaged_tails_dropped=%llu "
      "lost_synced_writes=%llu wrong_states=%llu: %s\n",
      config.mode.c_str(), static_cast<unsigned long long>(config.seed), config.threads,
      static_cast<unsigned long long>(totals.cycles), static_cast<unsigned long long>(totals.acked),
      static_cast<unsigned long long>(totals.synced),
      static_cast<unsigned long long>(totals.torn_tails),
      static_cast<unsigned long long>(totals.damaged_tails),
      static_cast<unsigned long long>(totals.lost_synced),
      static_cast<unsigned long long>(totals.wrong), ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace arenakv

int main(int argc, char** argv) { return arenakv::Main(argc, argv); }
