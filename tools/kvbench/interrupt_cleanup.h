// SPDX-License-Identifier: Apache-2.0
// RemoveOnInterrupt: kvbench's temporary DB directory goes away when the run
// is interrupted (SIGINT, SIGTERM), not only when it ends.
//
// Install() blocks both signals in the calling thread, so every thread
// started afterwards inherits the mask, and starts a thread that waits for
// them with sigwait: on one it removes the directory (a plain thread may
// call std::filesystem, a signal handler may not), says so, and ends the
// process with 128 + the signal's number, the shell's convention. Call it
// from main before any other thread starts; the waiting thread is detached
// and lives until the process exits.
#ifndef ARENAKV_TOOLS_KVBENCH_INTERRUPT_CLEANUP_H_
#define ARENAKV_TOOLS_KVBENCH_INTERRUPT_CLEANUP_H_

#include <filesystem>

namespace arenakv::kvbench {

// False (with a message on stderr) if the signals could not be set up; the
// run then goes on with the default handling.
bool RemoveOnInterrupt(const std::filesystem::path& dir);

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_INTERRUPT_CLEANUP_H_
