// SPDX-License-Identifier: Apache-2.0
// Peak resident memory of this process, per engine and workload (engines run
// one after another in the same process).
//
// ResetPeakRss writes "5" to /proc/self/clear_refs, which sets the kernel's
// high-water mark (VmHWM in /proc/self/status) back to the current resident
// size; ReadPeakRss then reads the highest resident size since. A workload's
// peak therefore includes what was resident when it started (the engine's
// memtables and caches, and memory an earlier engine left in the C library's
// free lists): the baseline, VmRSS just after the reset, is kept next to it.
//
// Thread safety: plain functions; the figures cover every thread at once.
#ifndef ARENAKV_TOOLS_KVBENCH_PROCESS_MEMORY_H_
#define ARENAKV_TOOLS_KVBENCH_PROCESS_MEMORY_H_

#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "tools/kvbench/process_io.h"

namespace arenakv::kvbench {

// Bytes of the "name:   N kB" line of /proc/<pid>/status text; nullopt when
// the line is missing or malformed.
inline std::optional<std::uint64_t> ParseStatusBytes(std::string_view text, std::string_view name) {
  std::string_view unit;
  const std::optional<std::uint64_t> kib = ProcFieldNumber(text, name, &unit);
  if (!kib || unit != " kB") return std::nullopt;
  return *kib * 1024;
}

inline std::optional<std::uint64_t> ReadStatusBytes(std::string_view name) {
  std::ifstream in("/proc/self/status", std::ios::binary);
  if (!in) return std::nullopt;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseStatusBytes(text, name);
}

// Resets the high-water mark; returns the resident bytes it was reset to, or
// nullopt when the kernel does not allow it (then peaks are not reported).
inline std::optional<std::uint64_t> ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs", std::ios::binary);
  if (!out) return std::nullopt;
  out << "5";
  out.close();
  if (!out) return std::nullopt;
  return ReadStatusBytes("VmRSS");
}

inline std::optional<std::uint64_t> ReadPeakRss() { return ReadStatusBytes("VmHWM"); }

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_PROCESS_MEMORY_H_
