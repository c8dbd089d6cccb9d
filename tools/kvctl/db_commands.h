// SPDX-License-Identifier: Apache-2.0
// kvctl's commands that go through the public DB API (mvcc/include/arenakv/mvcc/db.h):
// get, put, delete, scan, stats, compact. Each opens the DB at line.db (put
// and delete create it if missing; get, scan, stats and compact never do, so
// inspecting a mistyped --db fails instead of making an empty DB), does its
// work, prints to stdout, and returns a kvctl ExitCode
// (command_line.h); errors go to stderr (error_report.h).
//
// Opening takes the DB's LOCK, so these fail with "locked by another process"
// while another process has the DB open. Single-threaded.
#ifndef ARENAKV_TOOLS_KVCTL_DB_COMMANDS_H_
#define ARENAKV_TOOLS_KVCTL_DB_COMMANDS_H_

#include "tools/kvctl/command_line.h"

namespace arenakv::kvctl {

// Prints the value of line.key and a newline; kExitNotFound if absent.
int RunGet(const CommandLine& line);
int RunPut(const CommandLine& line);
// Deleting an absent key succeeds (a tombstone is written).
int RunDelete(const CommandLine& line);
// One line per entry in key order, "key<TAB>value", within [from, to), at
// most `limit` entries.
int RunScan(const CommandLine& line);
// The arenakv.stats and arenakv.memtable.arena-stats properties and the
// number of files at each level.
int RunStats(const CommandLine& line);
// CompactRange over the whole key range.
int RunCompact(const CommandLine& line);
// Prints the newest OPTIONS file: the options the DB was last opened with.
int RunOptions(const CommandLine& line);

}  // namespace arenakv::kvctl

#endif  // ARENAKV_TOOLS_KVCTL_DB_COMMANDS_H_
