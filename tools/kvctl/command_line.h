// SPDX-License-Identifier: Apache-2.0
// What kvctl's command line asked for, filled in by the CLI11 parser in
// main.cc and read by the command functions (db_commands.h, dump_commands.h,
// verify_command.h). A plain value owned by main; single-threaded.
#ifndef ARENAKV_TOOLS_KVCTL_COMMAND_LINE_H_
#define ARENAKV_TOOLS_KVCTL_COMMAND_LINE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "arenakv/mvcc/db.h"

namespace arenakv::kvctl {

// kvctl's exit statuses: scripts branch on these.
enum ExitCode : int {
  kExitOk = 0,
  kExitNotFound = 1,  // a key is absent, or verify found damage
  kExitUsage = 2,     // bad command line (unknown command, bad hex, missing --db)
  kExitDbError = 3,   // the DB or a file could not be opened or read
};

struct CommandLine {
  std::string db;  // --db DIR; empty when not given
  // --hex: keys and values are hex on input (get/put/delete/scan) and output.
  bool hex = false;
  std::string key;                     // get, put, delete
  std::string value;                   // put
  std::optional<std::string> from;     // scan: first key (inclusive)
  std::optional<std::string> to;       // scan: end key (exclusive)
  std::optional<std::uint64_t> limit;  // scan: at most this many entries
  std::string file;                    // dump-wal, dump-sst, dump-manifest: a file path
  // --wal-recovery-mode: how opening the DB treats a damaged WAL.
  WALRecoveryMode wal_recovery_mode = WALRecoveryMode::kPointInTimeRecovery;
};

}  // namespace arenakv::kvctl

#endif  // ARENAKV_TOOLS_KVCTL_COMMAND_LINE_H_
