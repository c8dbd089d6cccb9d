// SPDX-License-Identifier: Apache-2.0
// arenakv::FileSystem: every byte the engine reads or writes goes through this
// interface, so tests can swap in an in-memory or fault-injecting one.
//
// FileSystem::Default() is the POSIX implementation. Files are not
// thread-safe unless a method says so; a FileSystem is thread-safe.
// Errors are Status values (IOError for OS failures, NotFound for a missing
// file or directory); nothing here throws.
#ifndef ARENAKV_MVCC_FILE_SYSTEM_H_
#define ARENAKV_MVCC_FILE_SYSTEM_H_

#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace arenakv {

// A file written from start to end (WAL, SST, manifest).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Hands buffered data to the OS (survives a process crash, not a machine crash).
  virtual Status Flush() = 0;
  // Flush, then makes the data durable (fdatasync): survives a machine crash.
  virtual Status Sync() = 0;
  // A hint: asks the OS to start writing to disk what Flush has handed it,
  // without waiting, so that a later Sync has little left to write.
  // Durability is still Sync's alone. The default does nothing.
  virtual void StartWriteback() {}
  virtual Status Close() = 0;
  // Bytes appended so far.
  virtual std::uint64_t Size() const = 0;
};

// A file read from start to end (WAL and manifest replay).
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes into scratch; *result points into scratch and is
  // shorter than n only at the end of the file (empty at EOF).
  virtual Status Read(std::size_t n, std::string_view* result, char* scratch) = 0;
  virtual Status Skip(std::uint64_t n) = 0;
};

// A file read at arbitrary offsets (SST blocks). Read is thread-safe.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into scratch; shorter only at end of file.
  virtual Status Read(std::uint64_t offset, std::size_t n, std::string_view* result,
                      char* scratch) const = 0;
};

// An OS-level lock on a file (the DB's LOCK file); released on destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The process-wide POSIX file system; never destroyed.
  static FileSystem* Default();

  // Creates or truncates.
  virtual Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* file) = 0;
  virtual Status NewSequentialFile(const std::string& path,
                                   std::unique_ptr<SequentialFile>* file) = 0;
  virtual Status NewRandomAccessFile(const std::string& path,
                                     std::unique_ptr<RandomAccessFile>* file) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  // OK for a directory, NotFound if absent, InvalidArgument if `path` is a file.
  virtual Status CheckDirectory(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;
  virtual Status GetFileSize(const std::string& path, std::uint64_t* size) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status CreateDirIfMissing(const std::string& dir) = 0;
  virtual Status RemoveDir(const std::string& dir) = 0;
  // Atomically replaces `to` (POSIX rename semantics).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Makes the directory's entries (creations, renames) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive lock that other processes (and other opens in this
  // process) cannot take while it is held: Busy or IOError if already held.
  virtual Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) = 0;
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_FILE_SYSTEM_H_
