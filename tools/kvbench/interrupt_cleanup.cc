// SPDX-License-Identifier: Apache-2.0
#include "tools/kvbench/interrupt_cleanup.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <thread>

namespace arenakv::kvbench {

bool RemoveOnInterrupt(const std::filesystem::path& dir) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (const int error = pthread_sigmask(SIG_BLOCK, &signals, nullptr); error != 0) {
    std::fprintf(stderr, "kvbench: cannot block SIGINT/SIGTERM (error %d)\n", error);
    return false;
  }
  std::thread([signals, dir] {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) return;
    // The engine may still create files meanwhile: a second pass takes them.
    std::error_code ec;
    for (int pass = 0; pass < 2; ++pass) std::filesystem::remove_all(dir, ec);
    std::fprintf(stderr, "\nkvbench: interrupted; removed %s\n", dir.c_str());
    std::_Exit(128 + signal);
  }).detach();
  return true;
}

}  // namespace arenakv::kvbench
