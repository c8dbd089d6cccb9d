// SPDX-License-Identifier: Apache-2.0
// The OPTIONS file: the options a DB was last opened with, written at every
// Open as OPTIONS-<number> in the DB directory (the older one is deleted), so
// that an operator can read a DB's settings back (`kvctl options`) after the
// process that chose them is gone. INI-like text, one `name=value` per line:
//
//   # arenakv options, written at Open
//   [Version]
//     arenakv_version=0.1.0
//   [DBOptions]
//     write_buffer_size=67108864
//     wal_recovery_mode=point-in-time
//     compression_per_level=lz4:zstd      (empty: `compression` everywhere)
//     ...
//
// Every field of Options is listed except file_system (a pointer; not a
// setting of the DB). Pure functions; any thread.
#ifndef ARENAKV_MVCC_DB_OPTIONS_FILE_H_
#define ARENAKV_MVCC_DB_OPTIONS_FILE_H_

#include <arenakv/mvcc/db.h>

#include <string>
#include <string_view>

namespace arenakv {

std::string OptionsToString(const Options& options);

// Parses OptionsToString's text into *options (fields not in the text keep
// their values; file_system is untouched). InvalidArgument naming the line
// for an unknown name, a malformed line or a value out of range.
Status OptionsFromString(std::string_view text, Options* options);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_DB_OPTIONS_FILE_H_
