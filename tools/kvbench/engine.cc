// SPDX-License-Identifier: Apache-2.0
// OpenEngine, which picks the adapter by name, and the adapters' shared
// polling loop.
#include "tools/kvbench/engine.h"

#include <charconv>
#include <string>
#include <system_error>
#include <thread>

namespace arenakv::kvbench {

Status OpenEngine(const std::string& name, const BenchOptions& options, const std::string& path,
                  std::unique_ptr<Engine>* engine) {
  if (name == "arenakv") return OpenArenakvEngine(options, path, engine);
  if (name == "rocksdb") return OpenRocksdbEngine(options, path, engine);
  return Status::InvalidArgument("unknown engine: " + name);
}

Status PollUntilIdle(const std::function<Status(bool* done)>& idle,
                     std::chrono::milliseconds limit) {
  constexpr std::chrono::milliseconds kPollInterval(10);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    bool done = false;
    Status s = idle(&done);
    if (!s.ok() || done) return s;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Busy("background work still running after " + std::to_string(limit.count()) +
                          " ms");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

Status ParseBalance(std::string_view text, std::int64_t* balance) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *balance);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return Status::Corruption("txn-transfer: a balance is not a number: '" +
                              std::string(text.substr(0, 32)) + "'");
  }
  return Status::OK();
}

bool EngineBuiltIn(const std::string& name) {
#ifdef ARENAKV_KVBENCH_WITH_ROCKSDB
  if (name == "rocksdb") return true;
#endif
  return name == "arenakv";
}

#ifndef ARENAKV_KVBENCH_WITH_ROCKSDB
Status OpenRocksdbEngine(const BenchOptions&, const std::string&, std::unique_ptr<Engine>*) {
  return Status::NotSupported(
      "kvbench was built without RocksDB (install librocksdb-dev and reconfigure with "
      "-DARENAKV_WITH_ROCKSDB=ON)");
}
#endif

}  // namespace arenakv::kvbench
