// SPDX-License-Identifier: Apache-2.0
#include "tools/kvbench/workloads.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <latch>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace arenakv::kvbench {

namespace {
using Clock = std::chrono::steady_clock;

std::uint64_t Nanos(Clock::time_point start, Clock::time_point end) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
}
}  // namespace

// One client thread's state: written only by that thread while it runs, read
// by the runner after the join.
struct WorkloadRunner::Thread {
  Thread(std::uint64_t seed, std::size_t key_size) : rng(seed), key(key_size) {}

  // Whether operation number i should run: by count, or until the deadline
  // (the clock is read every 64 operations), and never after another thread
  // failed.
  bool More() {
    if (stop->load(std::memory_order_relaxed)) return false;
    if (!timed) return i < count;
    if ((i & 63) == 0 && Clock::now() >= deadline) expired = true;
    return !expired;
  }
  void Done(Clock::time_point start) {
    const std::uint64_t nanos = Nanos(start, Clock::now());
    latency.Record(nanos);
    if (meter != nullptr) meter->Record(nanos);
    // One shared atomic add per batch, not per operation: the counter's
    // cache line would otherwise bounce between the client threads.
    if ((++ops % kProgressBatch) == 0 && progress != nullptr) progress->Add(kProgressBatch);
  }
  // The operations Done has not yet reported to progress; called at the end.
  void FlushProgress() {
    if (progress != nullptr) progress->Add(ops % kProgressBatch);
  }

  static constexpr std::uint64_t kProgressBatch = 64;

  std::uint64_t first = 0;  // fillseq: the first key index of this thread's range
  std::uint64_t count = 0;  // operations to run when not timed
  std::uint64_t i = 0;      // operations started
  bool timed = false;
  bool expired = false;
  Clock::time_point deadline;
  Clock::time_point began, ended;  // this thread's share of the workload's wall time
  const std::atomic<bool>* stop = nullptr;
  Progress* progress = nullptr;    // may be null
  IntervalMeter* meter = nullptr;  // with --report-interval

  Random rng;
  KeyBuffer key;
  std::string value;  // Get's output buffer
  Histogram latency;
  std::uint64_t ops = 0, found = 0, bytes = 0, bytes_written = 0, aborts = 0;
};

WorkloadRunner::WorkloadRunner(const BenchOptions& options, Engine* engine,
                               const ZipfianTable* zipf, Progress* progress)
    : options_(options),
      engine_(engine),
      zipf_(zipf),
      progress_(progress),
      values_(options.value_size, options.seed),
      key_count_(options.num) {}

std::uint64_t WorkloadRunner::ChooseKey(Random& rng) const {
  if (options_.zipfian()) return zipf_->ScrambledNext(rng);
  return rng.Uniform(key_count_.load(std::memory_order_relaxed));
}

std::uint64_t WorkloadRunner::ChooseLatestKey(Random& rng) const {
  const std::uint64_t n = key_count_.load(std::memory_order_relaxed);
  const std::uint64_t back = std::min(zipf_->Next(rng), n - 1);
  return n - 1 - back;
}

Status WorkloadRunner::Write(Thread& t, std::uint64_t index, bool sync) {
  const std::string_view key = t.key.Key(index);
  const std::string_view value = values_.Value(t.rng);
  Status s = engine_->Put(key, value, sync);
  t.bytes += key.size() + value.size();
  t.bytes_written += key.size() + value.size();
  return s;
}

Status WorkloadRunner::Read(Thread& t, std::string_view key) {
  Status s = engine_->Get(key, &t.value);
  if (s.ok()) {
    ++t.found;
    t.bytes += key.size() + t.value.size();
    return s;
  }
  return s.IsNotFound() ? Status::OK() : s;
}

Status WorkloadRunner::Scan(Thread& t, std::uint64_t start, std::uint64_t entries) {
  std::unique_ptr<Cursor> cursor = engine_->NewCursor();
  cursor->Seek(t.key.Key(start));
  for (std::uint64_t n = 0; n < entries && cursor->Valid(); ++n, cursor->Next()) {
    t.bytes += cursor->key().size() + cursor->value().size();
  }
  return cursor->status();
}

Status WorkloadRunner::Sequential(Thread& t, bool forward) {
  std::unique_ptr<Cursor> cursor = engine_->NewCursor();
  for (; t.More(); ++t.i) {
    const Clock::time_point start = Clock::now();
    if (t.i == 0) {
      forward ? cursor->SeekToFirst() : cursor->SeekToLast();
    } else {
      forward ? cursor->Next() : cursor->Prev();
    }
    if (!cursor->Valid()) break;  // the end of the data ends the scan
    t.bytes += cursor->key().size() + cursor->value().size();
    t.Done(start);
  }
  return cursor->status();
}

Status WorkloadRunner::Mix(Thread& t, Op first, int first_percent, Op second) {
  for (; t.More(); ++t.i) {
    const Clock::time_point start = Clock::now();
    const Op op = t.rng.Uniform(100) < static_cast<std::uint64_t>(first_percent) ? first : second;
    Status s;
    switch (op) {
      case Op::kRead:
        s = Read(t, t.key.Key(ChooseKey(t.rng)));
        break;
      case Op::kReadLatest:
        s = Read(t, t.key.Key(ChooseLatestKey(t.rng)));
        break;
      case Op::kUpdate:
        s = Write(t, ChooseKey(t.rng), options_.sync);
        break;
      case Op::kInsert:
        s = Write(t, key_count_.fetch_add(1, std::memory_order_relaxed), options_.sync);
        break;
      case Op::kScan:
        s = Scan(t, ChooseKey(t.rng), t.rng.Uniform(100) + 1);
        break;
      case Op::kReadModifyWrite: {
        const std::uint64_t index = ChooseKey(t.rng);
        s = Read(t, t.key.Key(index));
        if (s.ok()) s = Write(t, index, options_.sync);
        break;
      }
    }
    if (!s.ok()) return s;
    t.Done(start);
  }
  return Status::OK();
}

Status WorkloadRunner::TransferWorkload(int threads, std::uint64_t total, WorkloadResult* result) {
  constexpr std::int64_t kInitialBalance = 1000;
  const std::uint64_t accounts = options_.num;
  if (accounts < 2) return Status::InvalidArgument("txn-transfer needs --num of at least 2");
  KeyBuffer key(options_.key_size);
  const std::string initial = std::to_string(kInitialBalance);
  for (std::uint64_t i = 0; i < accounts; ++i) {
    Status s = engine_->Put(key.Key(i), initial, /*sync=*/false);
    if (!s.ok()) return s;
  }
  Status s = RunThreads(
      threads, total,
      [this, accounts](Thread& t) {
        KeyBuffer to_key(options_.key_size);
        for (; t.More(); ++t.i) {
          const Clock::time_point start = Clock::now();
          const std::uint64_t from = ChooseKey(t.rng) % accounts;
          std::uint64_t to = ChooseKey(t.rng) % accounts;
          if (to == from) to = (from + 1) % accounts;
          const auto amount = static_cast<std::int64_t>(t.rng.Uniform(100));
          for (bool committed = false; !committed;) {
            Status st = engine_->Transfer(t.key.Key(from), to_key.Key(to), amount, &committed);
            if (!st.ok()) return st;
            if (!committed) ++t.aborts;
          }
          t.Done(start);
        }
        return Status::OK();
      },
      result);
  if (!s.ok()) return s;
  // Money moved, none made or lost.
  std::int64_t sum = 0;
  std::string value;
  for (std::uint64_t i = 0; i < accounts; ++i) {
    s = engine_->Get(key.Key(i), &value);
    std::int64_t balance = 0;
    if (s.ok()) s = ParseBalance(value, &balance);
    if (!s.ok()) return s;
    sum += balance;
  }
  const auto expected = static_cast<std::int64_t>(accounts) * kInitialBalance;
  if (sum != expected) {
    return Status::Corruption("txn-transfer: the balances sum to " + std::to_string(sum) +
                              ", not " + std::to_string(expected));
  }
  return Status::OK();
}

template <typename Body>
Status WorkloadRunner::RunThreads(int threads, std::uint64_t total, Body body,
                                  WorkloadResult* result) {
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<Thread>> states;
  const auto n = static_cast<std::uint64_t>(threads);
  std::uint64_t first = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t seed = options_.seed * 0x100000001b3ULL + runs_ * 0x9e3779b9ULL + i;
    auto state = std::make_unique<Thread>(seed, options_.key_size);
    state->count = total / n + (i < total % n ? 1 : 0);
    state->first = first;
    first += state->count;
    state->timed = options_.duration > 0;
    state->stop = &stop;
    state->progress = progress_;
    states.push_back(std::move(state));
  }
  ++runs_;
  std::optional<IntervalSeries> series;
  if (options_.report_interval > 0) {
    series.emplace(options_.report_interval, states.size());
    for (std::size_t i = 0; i < states.size(); ++i) states[i]->meter = series->meter(i);
  }

  std::latch start(threads + 1);
  std::mutex mu;
  Status first_error;  // guarded by mu
  std::vector<std::thread> workers;
  if (progress_ != nullptr) {
    progress_->Start(result->workload, result->engine, total, options_.duration);
  }
  for (auto& state : states) {
    workers.emplace_back([&, t = state.get()] {
      start.arrive_and_wait();
      t->began = Clock::now();
      t->deadline = t->began + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options_.duration));
      Status s = body(*t);
      t->ended = Clock::now();
      t->FlushProgress();
      if (!s.ok()) {
        std::lock_guard lock(mu);
        if (first_error.ok()) first_error = s;
        stop.store(true, std::memory_order_relaxed);
      }
    });
  }
  start.arrive_and_wait();
  if (series) series->Start();
  for (std::thread& w : workers) w.join();
  if (series) result->intervals = series->Stop();
  if (progress_ != nullptr) progress_->Finish();
  // From the first thread's start to the last one's end: the runner's own
  // clock would miss a short workload that ends before the runner is scheduled.
  Clock::time_point began = states.front()->began, ended = states.front()->ended;
  for (const auto& t : states) {
    began = std::min(began, t->began);
    ended = std::max(ended, t->ended);
  }
  result->seconds = static_cast<double>(Nanos(began, ended)) / 1e9;
  for (const auto& t : states) {
    result->ops += t->ops;
    result->found += t->found;
    result->bytes += t->bytes;
    result->bytes_written += t->bytes_written;
    result->aborts += t->aborts;
    result->latency.Merge(t->latency);
  }
  return first_error;
}

Status WorkloadRunner::Run(const std::string& name, WorkloadResult* result) {
  result->workload = name;
  result->engine = engine_->name();
  if (name == "waitforcompaction") {
    // db_bench's step of the same name: no operations, only a wait until the
    // engine's flushes and compactions are done, so that the next workload
    // starts on a settled LSM tree (an iterator keeps the files it opened
    // on, so seekrandom otherwise reads whatever level 0 the fill left).
    const Clock::time_point start = Clock::now();
    const Status s = engine_->WaitForBackgroundWork(std::chrono::minutes(10));
    result->seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!s.IsBusy()) return s;
    // Not idle in time: the results so far are kept and the run goes on.
    std::fprintf(stderr, "kvbench: %s: waitforcompaction: %s\n", engine_->name(),
                 s.ToString().c_str());
    result->settled = false;
    return Status::OK();
  }
  const int threads = options_.threads;
  const std::uint64_t num = options_.num;
  const std::uint64_t reads = options_.read_ops();
  // --hold-iterators: opened before the workload, held until it returns.
  std::vector<std::unique_ptr<Cursor>> held;
  KeyBuffer held_key(options_.key_size);
  for (int i = 0; i < options_.hold_iterators; ++i) {
    held.push_back(engine_->NewCursor());
    held.back()->Seek(held_key.Key(num / static_cast<std::uint64_t>(options_.hold_iterators) * i));
    if (!held.back()->status().ok()) return held.back()->status();
  }

  auto writes = [&](auto choose, bool sync) {
    return [this, choose, sync](Thread& t) {
      for (; t.More(); ++t.i) {
        const Clock::time_point start = Clock::now();
        Status s = Write(t, choose(t), sync);
        if (!s.ok()) return s;
        t.Done(start);
      }
      return Status::OK();
    };
  };
  auto random_reads = [this](bool missing) {
    return [this, missing](Thread& t) {
      for (; t.More(); ++t.i) {
        const Clock::time_point start = Clock::now();
        const std::uint64_t index = ChooseKey(t.rng);
        Status s = Read(t, missing ? t.key.MissingKey(index) : t.key.Key(index));
        if (!s.ok()) return s;
        t.Done(start);
      }
      return Status::OK();
    };
  };
  auto uniform_num = [num](Thread& t) { return t.rng.Uniform(num); };
  auto chosen = [this](Thread& t) { return ChooseKey(t.rng); };

  if (name == "fillseq") {
    return RunThreads(threads, num, writes([](Thread& t) { return t.first + t.i; }, options_.sync),
                      result);
  }
  if (name == "fillrandom")
    return RunThreads(threads, num, writes(uniform_num, options_.sync), result);
  if (name == "overwrite") return RunThreads(threads, num, writes(chosen, options_.sync), result);
  if (name == "fillsync") {
    return RunThreads(threads, std::max<std::uint64_t>(1, num / 1000), writes(uniform_num, true),
                      result);
  }
  if (name == "readrandom") return RunThreads(threads, reads, random_reads(false), result);
  if (name == "readmissing") return RunThreads(threads, reads, random_reads(true), result);
  if (name == "readseq" || name == "readreverse") {
    const bool forward = name == "readseq";
    return RunThreads(
        threads, reads * static_cast<std::uint64_t>(threads),
        [this, forward](Thread& t) { return Sequential(t, forward); }, result);
  }
  if (name == "seekrandom") {
    return RunThreads(
        threads, reads,
        [this](Thread& t) {
          std::unique_ptr<Cursor> cursor = engine_->NewCursor();
          for (; t.More(); ++t.i) {
            const Clock::time_point start = Clock::now();
            cursor->Seek(t.key.Key(ChooseKey(t.rng)));
            for (int n = 0; n < options_.seek_nexts && cursor->Valid(); ++n) cursor->Next();
            if (cursor->Valid()) t.bytes += cursor->key().size() + cursor->value().size();
            t.Done(start);
          }
          return cursor->status();
        },
        result);
  }
  if (name == "readwhilewriting") {
    std::atomic<bool> readers_done{false};
    std::atomic<bool> no_stop{false};
    Thread writer(options_.seed ^ 0x7772697465ULL, options_.key_size);
    writer.stop = &no_stop;
    Status writer_status;
    std::thread background([&] {
      for (; !readers_done.load(std::memory_order_relaxed); ++writer.i) {
        writer_status = Write(writer, ChooseKey(writer.rng), options_.sync);
        if (!writer_status.ok()) break;
      }
    });
    Status s = RunThreads(threads, reads, random_reads(false), result);
    readers_done.store(true, std::memory_order_relaxed);
    background.join();
    result->background_ops = writer.i;
    result->bytes_written += writer.bytes_written;
    return s.ok() ? writer_status : s;
  }
  if (name == "deleterandom") {
    return RunThreads(
        threads, num,
        [this](Thread& t) {
          for (; t.More(); ++t.i) {
            const Clock::time_point start = Clock::now();
            const std::string_view key = t.key.Key(ChooseKey(t.rng));
            Status s = engine_->Delete(key);
            if (!s.ok()) return s;
            t.bytes += key.size();
            t.bytes_written += key.size();
            t.Done(start);
          }
          return Status::OK();
        },
        result);
  }
  if (name == "txn-transfer") return TransferWorkload(threads, reads, result);
  struct YcsbMix {
    const char* name;
    Op first;
    int first_percent;
    Op second;
  };
  static constexpr YcsbMix kMixes[] = {
      {"ycsb-a", Op::kRead, 50, Op::kUpdate},  {"ycsb-b", Op::kRead, 95, Op::kUpdate},
      {"ycsb-c", Op::kRead, 100, Op::kUpdate}, {"ycsb-d", Op::kReadLatest, 95, Op::kInsert},
      {"ycsb-e", Op::kScan, 95, Op::kInsert},  {"ycsb-f", Op::kRead, 50, Op::kReadModifyWrite},
  };
  for (const YcsbMix& mix : kMixes) {
    if (name != mix.name) continue;
    return RunThreads(
        threads, reads,
        [this, mix](Thread& t) { return Mix(t, mix.first, mix.first_percent, mix.second); },
        result);
  }
  return Status::InvalidArgument("unknown workload: " + name);
}

}  // namespace arenakv::kvbench
