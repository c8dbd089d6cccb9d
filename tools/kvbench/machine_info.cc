// SPDX-License-Identifier: Apache-2.0
#include "tools/kvbench/machine_info.h"

#include <sys/utsname.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace arenakv::kvbench {

namespace {

// The value after "key:" on the first line of `path` starting with `key`.
std::string ProcField(const char* path, std::string_view key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(key)) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::size_t begin = line.find_first_not_of(" \t", colon + 1);
    return begin == std::string::npos ? std::string() : line.substr(begin);
  }
  return {};
}

}  // namespace

MachineInfo ReadMachineInfo() {
  MachineInfo info;
  info.cpu_model = ProcField("/proc/cpuinfo", "model name");
  info.cores = std::thread::hardware_concurrency();
  // "MemTotal:       131072000 kB"
  std::istringstream mem(ProcField("/proc/meminfo", "MemTotal"));
  std::uint64_t kib = 0;
  if (mem >> kib) info.memory_bytes = kib * 1024;
  struct utsname name;
  if (uname(&name) == 0) info.kernel = name.release;
  return info;
}

}  // namespace arenakv::kvbench
