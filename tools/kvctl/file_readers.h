// SPDX-License-Identifier: Apache-2.0
// Reading a DB's files directly, without opening the DB (no LOCK taken), for
// kvctl's dump and verify commands: they work on a DB another process has
// open and on a DB too damaged to open. Functions, single-threaded; the
// caller owns everything they hand back.
#ifndef ARENAKV_TOOLS_KVCTL_FILE_READERS_H_
#define ARENAKV_TOOLS_KVCTL_FILE_READERS_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mvcc/table/table.h"

namespace arenakv::kvctl {

// Reads the records of the log-format file at `path` (a WAL or a manifest),
// verifying every checksum, and calls on_record with each record's bytes and
// its index (0, 1, ...). Stops at the first error: a non-OK status from
// on_record is returned as is; the reader's Corruption or read error is
// returned. A torn tail (a crash mid-write) ends the log cleanly: OK.
Status ForEachLogRecord(FileSystem* fs, const std::string& path,
                        const std::function<Status(std::string_view, std::uint64_t)>& on_record);

// Opens the SST at `path` (no block cache). Errors as Table::Open, or the file
// system's.
Status OpenTableFile(FileSystem* fs, const std::string& path, std::unique_ptr<Table>* table);

}  // namespace arenakv::kvctl

#endif  // ARENAKV_TOOLS_KVCTL_FILE_READERS_H_
