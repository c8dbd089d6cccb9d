// SPDX-License-Identifier: Apache-2.0
// ProcessIo: this process's write counters from /proc/self/io, read before an
// engine opens and after its background work settles; the difference is what
// the engine wrote (engines run one after another in the same process).
//
// wchar is the figure kvbench reports: the bytes all threads of the process
// passed to write(), pwrite() and friends. It counts a write when the engine
// issues it, so page-cache writes by both engines count the same. write_bytes
// counts a page when it becomes dirty: a page rewritten before writeback
// counts once, one rewritten after counts again, and pages of a file deleted
// before writeback (a WAL, a compacted SST) still count. It depends on when
// the kernel wrote back, so it is kept only as a second opinion.
//
// Thread safety: plain functions; the counters cover every thread at once.
#ifndef ARENAKV_TOOLS_KVBENCH_PROCESS_IO_H_
#define ARENAKV_TOOLS_KVBENCH_PROCESS_IO_H_

#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace arenakv::kvbench {

struct ProcessIo {
  std::uint64_t wchar = 0;                   // bytes passed to write syscalls
  std::optional<std::uint64_t> write_bytes;  // bytes of pages dirtied; absent if not listed
};

// The number on the "name: N..." line of /proc text (spaces or tabs after
// the colon), and in *rest what follows the number on that line; nullopt when
// the line is missing or does not start with a number. Shared by the /proc
// readers of kvbench (this file and process_memory.h).
inline std::optional<std::uint64_t> ProcFieldNumber(std::string_view text, std::string_view name,
                                                    std::string_view* rest = nullptr) {
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name ||
        line[name.size()] != ':') {
      continue;
    }
    line.remove_prefix(name.size() + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    std::uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
    if (ec != std::errc() || ptr == line.data()) return std::nullopt;
    if (rest != nullptr) *rest = line.substr(static_cast<std::size_t>(ptr - line.data()));
    return value;
  }
  return std::nullopt;
}

// Parses the "name: value" lines of /proc/<pid>/io. nullopt when wchar is
// missing or malformed.
inline std::optional<ProcessIo> ParseProcessIo(std::string_view text) {
  const std::optional<std::uint64_t> wchar = ProcFieldNumber(text, "wchar");
  if (!wchar) return std::nullopt;
  return ProcessIo{*wchar, ProcFieldNumber(text, "write_bytes")};
}

// nullopt when /proc/self/io cannot be read (no procfs, a kernel without task
// I/O accounting, or a sandbox that hides it).
inline std::optional<ProcessIo> ReadProcessIo() {
  std::ifstream in("/proc/self/io", std::ios::binary);
  if (!in) return std::nullopt;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseProcessIo(text);
}

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_PROCESS_IO_H_
