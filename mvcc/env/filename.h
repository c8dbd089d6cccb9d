// SPDX-License-Identifier: Apache-2.0
// The names of the files in a DB directory, and the CURRENT file that names
// the live manifest. docs/FORMATS.md, "Manifest (version edits)", lists them.
//
//   000012.log        write-ahead log number 12
//   000013.sst        table file number 13
//   MANIFEST-000005   manifest number 5 (a log of VersionEdit records)
//   CURRENT           "MANIFEST-000005\n": the live manifest
//   LOCK              held while a process has the DB open
//   IDENTITY          the DB's id: 36 characters (a random UUID) and a newline
//   000007.dbtmp      a file being written before it is renamed into place
//   OPTIONS-000009    the options of the latest Open (INI-like text)
//   LOG               the info log (mvcc/env/info_log.h)
//   LOG.old.1765019242123456   an older info log, renamed at the microsecond
//                     (since the epoch) it was replaced; "LOG.old" is also
//                     recognised, so that the obsolete-file sweep leaves it alone
//
// Numbers are decimal, zero-padded to at least 6 digits, and share one
// counter (the manifest's next file number), so every numbered name is unique.
//
// Name builders and ParseFileName are pure functions (any thread). The CURRENT
// functions go through the FileSystem given; concurrent SetCurrentFile calls
// on one directory are the caller's to prevent (the DB holds its mutex).
#ifndef ARENAKV_MVCC_ENV_FILENAME_H_
#define ARENAKV_MVCC_ENV_FILENAME_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace arenakv {

enum class FileType {
  kLog,
  kTable,
  kManifest,
  kCurrent,
  kLock,
  kTemp,
  kInfoLog,  // number: 0 for LOG and LOG.old, the microseconds of LOG.old.<n>
  kIdentity,
  kOptions,
};

// Paths: dir + "/" + name.
std::string LogFileName(const std::string& dir, std::uint64_t number);         // 000012.log
std::string TableFileName(const std::string& dir, std::uint64_t number);       // 000012.sst
std::string ManifestFileName(const std::string& dir, std::uint64_t number);    // MANIFEST-000012
std::string TempFileName(const std::string& dir, std::uint64_t number);        // 000012.dbtmp
std::string CurrentFileName(const std::string& dir);                           // CURRENT
std::string LockFileName(const std::string& dir);                              // LOCK
std::string IdentityFileName(const std::string& dir);                          // IDENTITY
std::string InfoLogFileName(const std::string& dir);                           // LOG
std::string OldInfoLogFileName(const std::string& dir, std::uint64_t micros);  // LOG.old.<micros>
std::string OptionsFileName(const std::string& dir, std::uint64_t number);     // OPTIONS-000012

// Parses a file name (no directory part) exactly as the builders above write
// it. True and sets *number (0 for unnumbered types) and *type; false, with
// both untouched, for anything else: other suffixes ("12.log.bak"), missing or
// non-decimal digits ("MANIFEST-", "+12.log"), a number not in canonical form
// (fewer than 6 digits, or a leading zero beyond the padding: "12.log",
// "0000012.log"), or one above UINT64_MAX.
bool ParseFileName(std::string_view name, std::uint64_t* number, FileType* type);

// Reads all of `path` into *contents: the file system's error, or Corruption
// "<path>: too long" past max_size bytes (read no further).
Status ReadSmallFile(FileSystem* fs, const std::string& path, std::size_t max_size,
                     std::string* contents);

// Replaces `path` (in `dir`) with `contents`, atomically and durably: writes
// them to `temp` (in `dir` too), syncs and closes it, renames it over `path`,
// then syncs `dir`. Returns the first error; if it happens before the rename,
// the temp file is removed and `path` is unchanged. An error from the final
// SyncDir means `path` is replaced but may not survive a crash.
Status WriteFileAtomically(FileSystem* fs, const std::string& dir, const std::string& temp,
                           const std::string& path, std::string_view contents);

// Points CURRENT at MANIFEST-<manifest_number> with WriteFileAtomically:
// "MANIFEST-000005\n", through TempFileName(dir, manifest_number).
Status SetCurrentFile(FileSystem* fs, const std::string& dir, std::uint64_t manifest_number);

// The DB's IDENTITY: SetIdentityFile writes a new random id (through
// TempFileName(dir, temp_number), atomically and durably) and sets *id;
// ReadIdentityFile reads it: NotFound if there is none, Corruption if it is
// not one line of 36 characters.
Status SetIdentityFile(FileSystem* fs, const std::string& dir, std::uint64_t temp_number,
                       std::string* id);
Status ReadIdentityFile(FileSystem* fs, const std::string& dir, std::string* id);

// Reads CURRENT and sets *manifest_name to the manifest's file name (no
// directory part, e.g. "MANIFEST-000005"). NotFound if there is no CURRENT,
// the file system's error if reading fails, Corruption unless the content is
// exactly a manifest name (as ParseFileName accepts it) and one '\n'.
Status ReadCurrentFile(FileSystem* fs, const std::string& dir, std::string* manifest_name);

}  // namespace arenakv

#endif  // ARENAKV_MVCC_ENV_FILENAME_H_
