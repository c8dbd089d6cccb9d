// SPDX-License-Identifier: Apache-2.0
// FileSystem contract, run against both implementations: the POSIX one in a
// fresh temporary directory and MemFileSystem. Then what only POSIX has (a lock
// held against another process, checked with fork) and what only
// MemFileSystem has (its crash model and fault injection).
#include "arenakv/mvcc/file_system.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/mem_file_system.h"

namespace arenakv {
namespace {

// A file system plus a fresh, empty directory in it.
struct Fixture {
  FileSystem* fs = nullptr;
  std::string root;
  std::unique_ptr<MemFileSystem> mem;  // owns fs for the in-memory case
  std::filesystem::path temp;          // removed at the end for the POSIX case
};

std::string FreshTempDir() {
  static std::atomic<int> counter{0};
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("arenakv_fs_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

struct Backend {
  const char* name;
  std::function<void(Fixture*)> make;
};

const Backend kBackends[] = {
    {"Posix",
     [](Fixture* f) {
       f->root = FreshTempDir();
       f->temp = f->root;
       f->fs = FileSystem::Default();
     }},
    {"Mem",
     [](Fixture* f) {
       f->mem = std::make_unique<MemFileSystem>();
       f->fs = f->mem.get();
       f->root = "/test";
       ASSERT_TRUE(f->fs->CreateDirIfMissing(f->root).ok());
     }},
};

class FileSystemTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    GetParam().make(&f_);
    fs_ = f_.fs;
  }
  void TearDown() override {
    if (!f_.temp.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(f_.temp, ec);
      EXPECT_FALSE(ec) << ec.message();
    }
  }

  std::string Path(const std::string& name) const { return f_.root + "/" + name; }

  void WriteFile(const std::string& path, const std::string& contents) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_->NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Append(contents).ok());
    ASSERT_TRUE(file->Sync().ok());
    ASSERT_TRUE(file->Close().ok());
  }

  std::string ReadFile(const std::string& path) {
    std::unique_ptr<SequentialFile> file;
    Status s = fs_->NewSequentialFile(path, &file);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return "<error>";
    std::string out;
    char scratch[1000];
    std::string_view chunk;
    do {
      EXPECT_TRUE(file->Read(sizeof(scratch), &chunk, scratch).ok());
      out.append(chunk);
    } while (!chunk.empty());
    return out;
  }

  std::vector<std::string> Children(const std::string& dir) {
    std::vector<std::string> names;
    EXPECT_TRUE(fs_->GetChildren(dir, &names).ok());
    std::sort(names.begin(), names.end());
    return names;
  }

  Fixture f_;
  FileSystem* fs_ = nullptr;
};

std::string Pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

TEST_P(FileSystemTest, WriteThenReadRoundTripsSmallAndLargeAppends) {
  // Crosses the POSIX 64 KiB buffer: small, exactly-full, and oversized appends.
  const std::string big = Pattern(200 << 10);
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs_->NewWritableFile(Path("f"), &file).ok());
  std::string expected;
  for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{65536},
                            std::size_t{65535}, std::size_t{150000}, std::size_t{7}}) {
    const std::string data = big.substr(expected.size() % 1000, piece);
    ASSERT_TRUE(file->Append(data).ok());
    expected += data;
    EXPECT_EQ(file->Size(), expected.size());
  }
  ASSERT_TRUE(file->Flush().ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(ReadFile(Path("f")), expected);

  std::uint64_t size = 0;
  ASSERT_TRUE(fs_->GetFileSize(Path("f"), &size).ok());
  EXPECT_EQ(size, expected.size());

  std::unique_ptr<RandomAccessFile> random;
  ASSERT_TRUE(fs_->NewRandomAccessFile(Path("f"), &random).ok());
  std::vector<char> scratch(1000);
  std::string_view result;
  ASSERT_TRUE(random->Read(70000, 1000, &result, scratch.data()).ok());
  EXPECT_EQ(result, std::string_view(expected).substr(70000, 1000));
  ASSERT_TRUE(random->Read(expected.size() - 10, 1000, &result, scratch.data()).ok());
  EXPECT_EQ(result, std::string_view(expected).substr(expected.size() - 10));
  ASSERT_TRUE(random->Read(expected.size() + 5, 10, &result, scratch.data()).ok());
  EXPECT_TRUE(result.empty());
}

TEST_P(FileSystemTest, StartWritebackBetweenAppendsChangesNoByte) {
  // A hint at every stage: nothing flushed yet, part flushed, part still
  // buffered, after a sync, and after close.
  const std::string data = Pattern(300 << 10);
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs_->NewWritableFile(Path("w"), &file).ok());
  file->StartWriteback();
  ASSERT_TRUE(file->Append(std::string_view(data).substr(0, 100 << 10)).ok());
  ASSERT_TRUE(file->Flush().ok());
  file->StartWriteback();
  ASSERT_TRUE(file->Append(std::string_view(data).substr(100 << 10, 1000)).ok());
  file->StartWriteback();  // the 1000 bytes are still in the buffer
  ASSERT_TRUE(file->Append(std::string_view(data).substr((100 << 10) + 1000)).ok());
  ASSERT_TRUE(file->Sync().ok());
  file->StartWriteback();
  ASSERT_TRUE(file->Close().ok());
  file->StartWriteback();
  EXPECT_EQ(ReadFile(Path("w")), data);
}

TEST_P(FileSystemTest, SequentialSkipMovesForward) {
  WriteFile(Path("f"), "0123456789");
  std::unique_ptr<SequentialFile> file;
  ASSERT_TRUE(fs_->NewSequentialFile(Path("f"), &file).ok());
  char scratch[16];
  std::string_view chunk;
  ASSERT_TRUE(file->Read(3, &chunk, scratch).ok());
  EXPECT_EQ(chunk, "012");
  ASSERT_TRUE(file->Skip(4).ok());
  ASSERT_TRUE(file->Read(16, &chunk, scratch).ok());
  EXPECT_EQ(chunk, "789");
  ASSERT_TRUE(file->Read(16, &chunk, scratch).ok());
  EXPECT_TRUE(chunk.empty());
}

TEST_P(FileSystemTest, NewWritableFileTruncatesAnExistingFile) {
  WriteFile(Path("f"), "old contents");
  WriteFile(Path("f"), "new");
  EXPECT_EQ(ReadFile(Path("f")), "new");
}

TEST_P(FileSystemTest, MissingFilesAreNotFound) {
  std::unique_ptr<SequentialFile> seq;
  std::unique_ptr<RandomAccessFile> random;
  std::unique_ptr<WritableFile> writable;
  std::uint64_t size = 1;
  EXPECT_TRUE(fs_->NewSequentialFile(Path("missing"), &seq).IsNotFound());
  EXPECT_TRUE(fs_->NewRandomAccessFile(Path("missing"), &random).IsNotFound());
  EXPECT_TRUE(fs_->GetFileSize(Path("missing"), &size).IsNotFound());
  EXPECT_TRUE(fs_->RemoveFile(Path("missing")).IsNotFound());
  EXPECT_TRUE(fs_->RenameFile(Path("missing"), Path("other")).IsNotFound());
  EXPECT_TRUE(fs_->NewWritableFile(Path("no_dir/f"), &writable).IsNotFound());
  EXPECT_TRUE(fs_->RemoveDir(Path("no_dir")).IsNotFound());
  std::vector<std::string> names;
  EXPECT_TRUE(fs_->GetChildren(Path("no_dir"), &names).IsNotFound());
  EXPECT_FALSE(fs_->FileExists(Path("missing")));
}

TEST_P(FileSystemTest, GetChildrenListsFilesAndDirectoriesByName) {
  EXPECT_TRUE(Children(f_.root).empty());
  WriteFile(Path("a"), "1");
  WriteFile(Path("b.log"), "22");
  ASSERT_TRUE(fs_->CreateDirIfMissing(Path("sub")).ok());
  ASSERT_TRUE(fs_->CreateDirIfMissing(Path("sub")).ok());  // already there: still OK
  WriteFile(Path("sub/inner"), "333");
  EXPECT_EQ(Children(f_.root), (std::vector<std::string>{"a", "b.log", "sub"}));
  EXPECT_EQ(Children(Path("sub")), (std::vector<std::string>{"inner"}));
  EXPECT_TRUE(fs_->FileExists(Path("sub/inner")));
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_->GetFileSize(Path("sub/inner"), &size).ok());
  EXPECT_EQ(size, 3u);
}

TEST_P(FileSystemTest, RenameReplacesTheTargetAtomically) {
  WriteFile(Path("CURRENT"), "MANIFEST-000001");
  WriteFile(Path("CURRENT.tmp"), "MANIFEST-000002");
  // A reader of the old target keeps the old contents.
  std::unique_ptr<RandomAccessFile> old_reader;
  ASSERT_TRUE(fs_->NewRandomAccessFile(Path("CURRENT"), &old_reader).ok());

  ASSERT_TRUE(fs_->RenameFile(Path("CURRENT.tmp"), Path("CURRENT")).ok());
  EXPECT_EQ(ReadFile(Path("CURRENT")), "MANIFEST-000002");
  EXPECT_FALSE(fs_->FileExists(Path("CURRENT.tmp")));
  EXPECT_EQ(Children(f_.root), (std::vector<std::string>{"CURRENT"}));

  char scratch[32];
  std::string_view result;
  ASSERT_TRUE(old_reader->Read(0, sizeof(scratch), &result, scratch).ok());
  EXPECT_EQ(result, "MANIFEST-000001");
}

TEST_P(FileSystemTest, RemoveFileAndRemoveDir) {
  ASSERT_TRUE(fs_->CreateDirIfMissing(Path("d")).ok());
  WriteFile(Path("d/f"), "x");
  EXPECT_TRUE(fs_->RemoveDir(Path("d")).IsIOError());  // not empty
  ASSERT_TRUE(fs_->RemoveFile(Path("d/f")).ok());
  EXPECT_FALSE(fs_->FileExists(Path("d/f")));
  ASSERT_TRUE(fs_->RemoveDir(Path("d")).ok());
  EXPECT_TRUE(fs_->CheckDirectory(Path("d")).IsNotFound());
  EXPECT_TRUE(Children(f_.root).empty());
}

TEST_P(FileSystemTest, CheckDirectoryTellsDirectoryFileAndMissingApart) {
  WriteFile(Path("file"), "x");
  EXPECT_TRUE(fs_->CheckDirectory(f_.root).ok());
  EXPECT_TRUE(fs_->CheckDirectory(Path("file")).IsInvalidArgument());
  EXPECT_TRUE(fs_->CheckDirectory(Path("missing")).IsNotFound());
  EXPECT_FALSE(fs_->CreateDirIfMissing(Path("file")).ok());
}

TEST_P(FileSystemTest, SyncDirSucceedsOnADirectory) {
  WriteFile(Path("f"), "x");
  EXPECT_TRUE(fs_->SyncDir(f_.root).ok());
  EXPECT_TRUE(fs_->SyncDir(Path("missing")).IsNotFound());
}

TEST_P(FileSystemTest, SecondLockFailsUntilTheFirstIsReleased) {
  std::unique_ptr<FileLock> first;
  ASSERT_TRUE(fs_->LockFile(Path("LOCK"), &first).ok());
  EXPECT_TRUE(fs_->FileExists(Path("LOCK")));

  std::unique_ptr<FileLock> second;
  Status s = fs_->LockFile(Path("LOCK"), &second);
  EXPECT_TRUE(s.IsBusy() || s.IsIOError()) << s.ToString();
  EXPECT_EQ(second, nullptr);
  // The refused attempt must not have released the held lock.
  s = fs_->LockFile(Path("LOCK"), &second);
  EXPECT_TRUE(s.IsBusy() || s.IsIOError()) << s.ToString();

  // Another file is independent.
  std::unique_ptr<FileLock> other;
  EXPECT_TRUE(fs_->LockFile(Path("OTHER_LOCK"), &other).ok());

  first.reset();
  EXPECT_TRUE(fs_->LockFile(Path("LOCK"), &second).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, FileSystemTest, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return std::string(info.param.name);
                         });

// ---- POSIX only -----------------------------------------------------------

// Forks a child that tries to lock `path`; returns its exit code: 0 it got the
// lock, 1 Busy or IOError, 2 any other result.
int LockInChild(const std::string& path) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::unique_ptr<FileLock> lock;
    const Status s = FileSystem::Default()->LockFile(path, &lock);
    ::_exit(s.ok() ? 0 : (s.IsBusy() || s.IsIOError()) ? 1 : 2);
  }
  if (pid < 0) return -1;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST(PosixFileSystemTest, LockIsHeldAgainstAnotherProcess) {
  const std::string dir = FreshTempDir();
  const std::string path = dir + "/LOCK";
  FileSystem* fs = FileSystem::Default();
  {
    std::unique_ptr<FileLock> lock;
    ASSERT_TRUE(fs->LockFile(path, &lock).ok());
    EXPECT_EQ(LockInChild(path), 1);
    // A refused second LockFile in this process must not drop the fcntl lock
    // (closing any fd of the file would).
    std::unique_ptr<FileLock> second;
    EXPECT_FALSE(fs->LockFile(path, &second).ok());
    EXPECT_EQ(LockInChild(path), 1);
    // The child's attempt (and its closing of its fd) left our lock intact.
    EXPECT_EQ(LockInChild(path), 1);
  }
  EXPECT_EQ(LockInChild(path), 0);
  std::filesystem::remove_all(dir);
}

// ---- MemFileSystem only ---------------------------------------------------

class MemFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.CreateDirIfMissing("/db").ok());
    ASSERT_TRUE(fs_.SyncDir("/").ok());
  }

  std::string Contents(const std::string& path) {
    std::unique_ptr<RandomAccessFile> file;
    if (Status s = fs_.NewRandomAccessFile(path, &file); !s.ok()) return "<" + s.ToString() + ">";
    std::string scratch(1 << 16, '\0');
    std::string_view result;
    EXPECT_TRUE(file->Read(0, scratch.size(), &result, scratch.data()).ok());
    return std::string(result);
  }

  // A file with `synced` made durable (data and directory entry), then `unsynced` appended.
  std::unique_ptr<WritableFile> Create(const std::string& path, const std::string& synced,
                                       const std::string& unsynced) {
    std::unique_ptr<WritableFile> file;
    EXPECT_TRUE(fs_.NewWritableFile(path, &file).ok());
    EXPECT_TRUE(file->Append(synced).ok());
    EXPECT_TRUE(file->Sync().ok());
    EXPECT_TRUE(fs_.SyncDir("/db").ok());
    EXPECT_TRUE(file->Append(unsynced).ok());
    EXPECT_TRUE(file->Flush().ok());  // Flush is not Sync: still lost on a crash
    return file;
  }

  MemFileSystem fs_;
};

TEST_F(MemFileSystemTest, CrashDropsUnsyncedTailAndKeepsSyncedPrefix) {
  auto file = Create("/db/000001.log", "durable", "-volatile");
  EXPECT_EQ(Contents("/db/000001.log"), "durable-volatile");
  fs_.SimulateCrash();
  EXPECT_EQ(Contents("/db/000001.log"), "durable");
  // The pre-crash handle is dead.
  EXPECT_TRUE(file->Append("x").IsIOError());
  EXPECT_TRUE(file->Sync().IsIOError());
}

TEST_F(MemFileSystemTest, CrashDropsAFileWhoseDirectoryWasNeverSynced) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs_.NewWritableFile("/db/new", &file).ok());
  ASSERT_TRUE(file->Append("synced data, unsynced entry").ok());
  ASSERT_TRUE(file->Sync().ok());
  fs_.SimulateCrash();
  EXPECT_FALSE(fs_.FileExists("/db/new"));
  std::vector<std::string> names;
  ASSERT_TRUE(fs_.GetChildren("/db", &names).ok());
  EXPECT_TRUE(names.empty());
}

TEST_F(MemFileSystemTest, CrashUndoesAnUnsyncedRenameAndKeepsASyncedOne) {
  Create("/db/CURRENT", "v1", "");
  Create("/db/CURRENT.tmp", "v2", "");
  ASSERT_TRUE(fs_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT").ok());
  fs_.SimulateCrash();
  EXPECT_EQ(Contents("/db/CURRENT"), "v1");
  EXPECT_EQ(Contents("/db/CURRENT.tmp"), "v2");

  ASSERT_TRUE(fs_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT").ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  fs_.SimulateCrash();
  EXPECT_EQ(Contents("/db/CURRENT"), "v2");
  EXPECT_FALSE(fs_.FileExists("/db/CURRENT.tmp"));
}

TEST_F(MemFileSystemTest, CrashBringsBackAnUnsyncedRemoval) {
  Create("/db/old.sst", "table", "");
  ASSERT_TRUE(fs_.RemoveFile("/db/old.sst").ok());
  fs_.SimulateCrash();
  EXPECT_EQ(Contents("/db/old.sst"), "table");
  ASSERT_TRUE(fs_.RemoveFile("/db/old.sst").ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  fs_.SimulateCrash();
  EXPECT_FALSE(fs_.FileExists("/db/old.sst"));
}

TEST_F(MemFileSystemTest, CrashReleasesLocks) {
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(fs_.LockFile("/db/LOCK", &lock).ok());
  fs_.SimulateCrash();
  std::unique_ptr<FileLock> after;
  ASSERT_TRUE(fs_.LockFile("/db/LOCK", &after).ok());
  lock.reset();  // the stale lock must not release the new one
  std::unique_ptr<FileLock> third;
  EXPECT_TRUE(fs_.LockFile("/db/LOCK", &third).IsBusy());
}

TEST_F(MemFileSystemTest, TornWriteKeepsThePrefixUpToTheBudget) {
  auto file = Create("/db/wal", "", "");
  fs_.FailAfterBytes(10);
  ASSERT_TRUE(file->Append("0123").ok());
  EXPECT_TRUE(file->Append("456789abcdef").IsIOError());
  EXPECT_EQ(file->Size(), 10u);
  EXPECT_EQ(Contents("/db/wal"), "0123456789");
  EXPECT_TRUE(file->Append("more").IsIOError());
  EXPECT_EQ(Contents("/db/wal"), "0123456789");

  fs_.ClearFaults();
  ASSERT_TRUE(file->Append("!").ok());
  EXPECT_EQ(Contents("/db/wal"), "0123456789!");
}

TEST_F(MemFileSystemTest, InjectedWriteErrorFailsAppendFlushAndSync) {
  auto file = Create("/db/wal", "ab", "");
  fs_.InjectWriteError(true);
  EXPECT_TRUE(file->Append("cd").IsIOError());
  EXPECT_TRUE(file->Flush().IsIOError());
  EXPECT_TRUE(file->Sync().IsIOError());
  EXPECT_EQ(Contents("/db/wal"), "ab");
  fs_.InjectWriteError(false);
  ASSERT_TRUE(file->Append("cd").ok());
  ASSERT_TRUE(file->Sync().ok());
  EXPECT_EQ(Contents("/db/wal"), "abcd");
}

// A fault rule fails only its kind of call on matching files, after `skip`
// matching calls, `times` times, and counts what it dealt.
TEST_F(MemFileSystemTest, FaultRulesFireWhereTheySayAndCount) {
  using Op = MemFileSystem::Op;
  auto wal = Create("/db/000001.log", "a", "");
  auto sst = Create("/db/000002.sst", "b", "");
  const int append = fs_.AddFault({.op = Op::kAppend, .file = ".log", .skip = 1, .times = 2});
  EXPECT_TRUE(sst->Append("x").ok());  // another file
  EXPECT_TRUE(wal->Append("1").ok());  // skipped
  EXPECT_TRUE(wal->Append("2").IsIOError());
  EXPECT_TRUE(wal->Sync().ok());  // another kind of call
  EXPECT_TRUE(wal->Append("3").IsIOError());
  EXPECT_TRUE(wal->Append("4").ok());  // spent
  EXPECT_EQ(fs_.Fired(append), 2);
  EXPECT_EQ(Contents("/db/000001.log"), "a14");

  const int sticky = fs_.AddFault(
      {.op = Op::kRename, .file = "CURRENT", .times = -1, .error = Status::NoSpace("full")});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(fs_.RenameFile("/db/000002.sst", "/db/CURRENT").IsNoSpace());
  }
  EXPECT_EQ(fs_.Fired(sticky), 3);
  EXPECT_TRUE(fs_.FileExists("/db/000002.sst"));

  const int create = fs_.AddFault({.op = Op::kCreate, .file = "MANIFEST"});
  std::unique_ptr<WritableFile> file;
  EXPECT_TRUE(fs_.NewWritableFile("/db/MANIFEST-000003", &file).IsIOError());
  EXPECT_FALSE(fs_.FileExists("/db/MANIFEST-000003"));
  EXPECT_EQ(fs_.Fired(create), 1);

  const int sync_dir = fs_.AddFault({.op = Op::kSyncDir, .file = "db"});
  EXPECT_TRUE(fs_.SyncDir("/db").IsIOError());
  EXPECT_EQ(fs_.Fired(sync_dir), 1);

  const int read = fs_.AddFault({.op = Op::kRead, .file = ".sst"});
  std::unique_ptr<SequentialFile> in;
  ASSERT_TRUE(fs_.NewSequentialFile("/db/000002.sst", &in).ok());
  char scratch[8];
  std::string_view got;
  EXPECT_TRUE(in->Read(8, &got, scratch).IsIOError());
  EXPECT_TRUE(in->Read(8, &got, scratch).ok());
  EXPECT_EQ(fs_.Fired(read), 1);
  fs_.ClearFaults();
  EXPECT_TRUE(fs_.RenameFile("/db/000002.sst", "/db/CURRENT").ok());
}

// After a failed Sync the unsynced bytes are doomed: a later Sync "succeeds"
// but a crash still loses them (Linux drops the dirty pages: fsyncgate).
TEST_F(MemFileSystemTest, AFailedSyncDoomsTheUnsyncedBytes) {
  auto file = Create("/db/000001.log", "durable", "-doomed");
  fs_.AddFault({.op = MemFileSystem::Op::kSync, .file = ".log"});
  EXPECT_TRUE(file->Sync().IsIOError());
  ASSERT_TRUE(file->Append("-later").ok());
  EXPECT_TRUE(file->Sync().ok());
  EXPECT_EQ(Contents("/db/000001.log"), "durable-doomed-later");
  fs_.SimulateCrash();
  EXPECT_EQ(Contents("/db/000001.log"), "durable");
}

TEST_F(MemFileSystemTest, CorruptByteFlipsOneByte) {
  Create("/db/sst", "abc", "");
  ASSERT_TRUE(fs_.CorruptByte("/db/sst", 1).ok());
  const std::string data = Contents("/db/sst");
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(data[0], 'a');
  EXPECT_EQ(static_cast<unsigned char>(data[1]), static_cast<unsigned char>(~'b' & 0xff));
  EXPECT_EQ(data[2], 'c');
  EXPECT_TRUE(fs_.CorruptByte("/db/sst", 3).IsInvalidArgument());
  EXPECT_TRUE(fs_.CorruptByte("/db/missing", 0).IsNotFound());
  // Synced corruption survives a crash: it is on the medium.
  fs_.SimulateCrash();
  EXPECT_EQ(Contents("/db/sst"), data);
}

TEST_F(MemFileSystemTest, TruncationOfASyncedFileIsDurable) {
  Create("/db/MANIFEST", "old", "");
  auto file = Create("/db/MANIFEST", "", "new, unsynced");
  fs_.SimulateCrash();
  EXPECT_EQ(Contents("/db/MANIFEST"), "");
}

}  // namespace
}  // namespace arenakv
