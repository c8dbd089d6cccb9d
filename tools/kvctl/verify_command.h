// SPDX-License-Identifier: Apache-2.0
// kvctl verify: checks every file of the DB in --db DIR, reading the files
// directly (file_readers.h), so it needs no LOCK and works on a DB in use or
// one that no longer opens.
//
//   *.sst       Table::Open, then Table::VerifyAll (every block's checksum,
//               layout, key order, index, filter, properties)
//   *.log       every WAL record's checksum, and each record decodes as a
//               write batch (a torn tail is a clean end, not damage)
//   MANIFEST-*  every record's checksum, and each decodes as a VersionEdit
//   CURRENT     names a manifest that exists
//   live files  every table the live manifest lists exists with its size
//
// Prints "OK <file>" or "CORRUPT <file>: <why>" per file (and "MISSING" for
// a listed table that is absent), then a summary. Returns kExitOk if all is
// well, kExitNotFound (1) if anything is damaged or missing, kExitDbError if
// DIR cannot be listed. Single-threaded.
#ifndef ARENAKV_TOOLS_KVCTL_VERIFY_COMMAND_H_
#define ARENAKV_TOOLS_KVCTL_VERIFY_COMMAND_H_

#include "tools/kvctl/command_line.h"

namespace arenakv::kvctl {

int RunVerify(const CommandLine& line);

}  // namespace arenakv::kvctl

#endif  // ARENAKV_TOOLS_KVCTL_VERIFY_COMMAND_H_
