// SPDX-License-Identifier: Apache-2.0
// ReadFully: exactly n bytes from a file descriptor (a pipe from a child
// process), retrying short reads and EINTR. Shared by the crash suites that
// hear acknowledgements from a writer they kill. Any thread; no state.
#ifndef ARENAKV_TESTS_SUPPORT_PIPE_IO_H_
#define ARENAKV_TESTS_SUPPORT_PIPE_IO_H_

#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace arenakv::test {

// True once n bytes are in `out`; false at end of file or on an error.
inline bool ReadFully(int fd, void* out, std::size_t n) {
  auto* bytes = static_cast<char*>(out);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, bytes + got, n - got);
    if (r == 0) return false;
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace arenakv::test

#endif  // ARENAKV_TESTS_SUPPORT_PIPE_IO_H_
