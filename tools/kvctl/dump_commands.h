// SPDX-License-Identifier: Apache-2.0
// kvctl's dump commands: print a DB file's contents, read straight from the
// file (file_readers.h) without opening the DB, so they work while another
// process holds the DB and on a DB that no longer opens. Each returns a
// kvctl ExitCode (command_line.h): kExitOk, or kExitDbError after printing
// what could be read and then the error (a corrupt record, an unreadable
// file) on stderr. Keys and values are quoted and escaped (bytes_text.h), or
// hex with --hex. Single-threaded.
//
// Output, one item per line:
//   dump-wal FILE       batch sequence=<S> count=<N>
//                         '<key>' @<seq> put '<value>'   (seq = S + i)
//                         '<key>' @<seq> delete
//   dump-sst FILE       property lines "<name>: <value>", then one line per
//                       entry: '<user key>' @<seq> put|delete ['<value>']
//   dump-manifest       manifest: <name>, then per record "edit <i>" and the
//     [FILE]            VersionEdit's DebugString indented; FILE defaults to
//                       the manifest CURRENT names in --db DIR.
#ifndef ARENAKV_TOOLS_KVCTL_DUMP_COMMANDS_H_
#define ARENAKV_TOOLS_KVCTL_DUMP_COMMANDS_H_

#include "tools/kvctl/command_line.h"

namespace arenakv::kvctl {

int RunDumpWal(const CommandLine& line);
int RunDumpSst(const CommandLine& line);
int RunDumpManifest(const CommandLine& line);

}  // namespace arenakv::kvctl

#endif  // ARENAKV_TOOLS_KVCTL_DUMP_COMMANDS_H_
