// SPDX-License-Identifier: Apache-2.0
// MachineInfo: the machine a run was measured on, read from /proc (Linux),
// for the JSON report. Fields stay empty/zero where /proc is unavailable.
//
// Thread safety: a plain value; ReadMachineInfo may be called from any thread.
#ifndef ARENAKV_TOOLS_KVBENCH_MACHINE_INFO_H_
#define ARENAKV_TOOLS_KVBENCH_MACHINE_INFO_H_

#include <cstdint>
#include <string>

namespace arenakv::kvbench {

struct MachineInfo {
  std::string cpu_model;           // /proc/cpuinfo "model name"
  unsigned cores = 0;              // std::thread::hardware_concurrency()
  std::uint64_t memory_bytes = 0;  // /proc/meminfo MemTotal
  std::string kernel;              // uname -r
};

MachineInfo ReadMachineInfo();

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_MACHINE_INFO_H_
