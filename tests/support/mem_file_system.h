// SPDX-License-Identifier: Apache-2.0
// MemFileSystem: an in-memory FileSystem for tests, with fault injection and
// an exact model of what survives a machine crash.
//
// Features
//   - Files and directories live in maps; paths are used verbatim (no "..",
//     "//" or symlink resolution) except that trailing '/' is dropped. The
//     root "/" (and "" for relative names) always exists. A file's parent
//     directory must exist to create it, as on POSIX.
//   - Errors match the POSIX file system: NotFound for a missing file or
//     directory (or a missing parent), IOError for everything else the OS
//     would refuse (removing a non-empty directory, opening a directory as a
//     file, ...), InvalidArgument from CheckDirectory on a file.
//   - LockFile conflicts within one instance (Busy); it creates the file.
//
// Crash model (SimulateCrash: a power loss, then a restart)
//   File data. Each file has `data` and a `synced` prefix length. Append
//   extends `data` (Flush does nothing more: there is no process-side buffer);
//   Sync sets `synced = data.size()`. A crash truncates each file to `synced`.
//   NewWritableFile on an existing file truncates it, and that truncation is
//   durable at once (the pessimistic outcome: the old bytes are gone).
//   Directory entries. Each directory has a durable set of entries (name ->
//   file), a copy of its live entries taken at its last SyncDir. A crash
//   replaces every directory's live entries with its durable ones. So:
//     - a file created (or renamed into a directory) and whose directory was
//       not SyncDir'ed since disappears;
//     - a rename not followed by SyncDir of the target's directory is undone
//       there: the old target (if it was durable) comes back with its synced
//       bytes; SyncDir of the source's directory alone drops the source name;
//     - a removal not followed by SyncDir comes back the same way.
//   The durable entry keeps pointing at the same file, so Sync'ed bytes of a
//   file are not lost when it is renamed. Directories themselves are durable
//   as soon as they are created or removed (not modelled); durable entries of
//   a directory that no longer exists are dropped.
//   After the crash every handle opened before it (files and locks) fails with
//   IOError; locks held are released. Injected faults stay as they were.
//
// Fault injection (persists until changed; ClearFaults resets both)
//   InjectWriteError(true): WritableFile Append, Flush and Sync fail with
//   IOError and change nothing. FailAfterBytes(n): the next n appended bytes
//   (over all files) succeed; the Append that crosses n keeps its first part
//   (a torn write) and fails with IOError, as do all later appends.
//   CorruptByte(path, offset) flips every bit of one byte.
//   AddFault(rule): one kind of call (create, append, flush, sync, read,
//   rename, remove, sync-dir) on files whose name contains rule.file fails
//   with rule.error (IOError, or NoSpace) once rule.skip matching calls have
//   passed, rule.times times (-1: every one from then on); a failing call
//   changes nothing. Fired(id) says how many failures the rule dealt, so a
//   test can assert that its fault fired where it says. A failed Sync leaves
//   the appended bytes in the "page cache" and dooms them (Linux's
//   "fsyncgate"): a later Sync of the same file succeeds, but a crash still
//   cuts the file back to where the failed Sync found it synced.
//
// Thread safety: every method, including those of the files it returns, takes
// one mutex; the MemFileSystem must outlive every file and lock it returns.
#ifndef ARENAKV_TESTS_SUPPORT_MEM_FILE_SYSTEM_H_
#define ARENAKV_TESTS_SUPPORT_MEM_FILE_SYSTEM_H_

#include <arenakv/mvcc/file_system.h>
#include <arenakv/mvcc/status.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace arenakv {

class MemFileSystem final : public FileSystem {
 public:
  MemFileSystem();
  ~MemFileSystem() override;

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* file) override;
  Status NewSequentialFile(const std::string& path, std::unique_ptr<SequentialFile>* file) override;
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* file) override;
  bool FileExists(const std::string& path) override;
  Status CheckDirectory(const std::string& path) override;
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override;
  Status GetFileSize(const std::string& path, std::uint64_t* size) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDirIfMissing(const std::string& dir) override;
  // IOError if not empty; its durable entries go with it.
  Status RemoveDir(const std::string& dir) override;
  // Files only: NotSupported for a directory, IOError if `to` is a directory.
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;

  // Power loss and restart: see "Crash model" above.
  void SimulateCrash();
  // What a power loss leaves of each file's unsynced tail, as real disks do
  // (synced bytes always survive; directory entries as in SimulateCrash()):
  enum class TailLoss {
    kDropAll,      // cut back to the synced length: SimulateCrash()
    kKeepPages,    // the unsynced bytes up to a random 4 KiB page boundary survive
    kZeroPage,     // ... and the page after them reads as zeros to its end
    kGarbagePage,  // ... or as random bytes
    kMixed,        // each file draws one of the above
  };
  // garbage_only_in: if not empty, files whose name does not contain it get
  // kZeroPage where kGarbagePage was asked for.
  void SimulateCrash(TailLoss loss, std::uint64_t seed, std::string_view garbage_only_in = {});
  void InjectWriteError(bool enabled);
  void FailAfterBytes(std::uint64_t n);
  // The name (no directory) of the file whose Append crossed FailAfterBytes'
  // budget (the torn write); empty while none did.
  std::string TornFile() const;
  void ClearFaults();

  // kWriteback: WritableFile::StartWriteback, a hint that cannot fail (a
  // rule on it only counts the calls: Seen()).
  enum class Op { kCreate, kAppend, kFlush, kSync, kRead, kRename, kRemove, kSyncDir, kWriteback };
  struct FaultRule {
    Op op = Op::kAppend;
    std::string file;  // a part of the file's (or, for kSyncDir, the directory's) name; "": any
    int skip = 0;      // matching calls that still succeed first
    int times = 1;     // failures dealt then; -1: every later matching call fails
    Status error = Status::IOError("injected fault");
    // kAppend only: the failing Append first writes this many bytes of its
    // data (a torn write; TornFile() names the file).
    std::size_t keep = 0;
  };
  // Returns the rule's id, for Fired().
  int AddFault(FaultRule rule);
  int Fired(int id) const;
  // Calls the rule matched so far (fired or not; a rule with times = 0 only counts).
  int Seen(int id) const;
  // NotFound if `path` is not a file, InvalidArgument if offset >= its size.
  Status CorruptByte(const std::string& path, std::uint64_t offset);
  // How many SyncDir calls on `dir` succeeded (directory creation itself is
  // not modelled as volatile: tests check that the engine syncs the parent).
  int SyncDirCount(const std::string& dir) const;

 private:
  struct FileState {
    std::string data;
    std::size_t synced = 0;  // <= data.size(); bytes that survive a crash
    // A Sync failed with only this many bytes synced: no later Sync makes
    // more of the file durable.
    std::optional<std::size_t> doomed_from;
  };
  struct Fault {
    FaultRule rule;
    int seen = 0;   // matching calls so far
    int fired = 0;  // failures dealt
  };
  using FileRef = std::shared_ptr<FileState>;
  class MemWritableFile;
  class MemSequentialFile;
  class MemRandomAccessFile;
  class MemFileLock;

  // Opens an existing file with reader class Reader (takes mu_).
  template <typename Reader, typename Interface>
  Status OpenForReading(const std::string& path, std::unique_ptr<Interface>* file);

  // Under mu_.
  Status CheckOpen(std::uint64_t epoch, const std::string& path) const;
  // OK if `dir` is a directory; else IOError (a file) or NotFound, about `subject`.
  Status ExpectDir(const std::string& dir, const std::string& subject) const;
  Status CheckParent(const std::string& path) const;
  Status FindFile(const std::string& path, FileRef* file) const;
  Status AppendTo(std::uint64_t epoch, const std::string& path, FileState* file,
                  std::string_view data, std::uint64_t* written);
  // The error of the first fault rule that fires for `op` on `path`, or OK
  // (*keep: the rule's keep, where asked for).
  Status InjectedFault(Op op, const std::string& path, std::size_t* keep = nullptr);

  mutable std::mutex mu_;
  std::map<std::string, FileRef> files_;          // live: path -> file
  std::map<std::string, FileRef> durable_files_;  // as of each directory's last SyncDir
  std::set<std::string> dirs_;
  std::set<std::string> locked_;
  std::map<std::string, int> sync_dir_counts_;
  std::uint64_t epoch_ = 0;  // SimulateCrash count; handles from an older epoch are dead
  bool write_error_ = false;
  std::optional<std::uint64_t> byte_budget_;  // FailAfterBytes: bytes still allowed
  std::vector<Fault> faults_;                 // AddFault's rules, by id
  std::string torn_file_;                     // TornFile()
};

}  // namespace arenakv

#endif  // ARENAKV_TESTS_SUPPORT_MEM_FILE_SYSTEM_H_
