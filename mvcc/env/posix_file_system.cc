// SPDX-License-Identifier: Apache-2.0
// FileSystem::Default(): the POSIX file system.
//
// WritableFile buffers appends in 64 KiB and hands them to the OS with write(2)
// on Flush, on Sync (then fdatasync) and when the buffer fills; an append at
// least as large as the buffer is written straight through. SequentialFile uses
// read(2), RandomAccessFile pread(2) (so concurrent reads share no offset).
// Every fd is O_CLOEXEC. OS failures become IOError("<path>: <strerror>"),
// ENOENT becomes NotFound.
//
// LockFile: fcntl(F_SETLK) write locks conflict between processes only, so the
// process also keeps the set of (device, inode) it has locked. A single mutex
// guards the set and is held across the whole of LockFile and of a lock's
// release. That matters because closing *any* fd of a file drops every fcntl
// lock this process holds on it: a second LockFile of a held file must answer
// Busy without opening it, and no one else in the process may open the LOCK
// file. fcntl locks are not inherited by fork(), so the set remembers the pid
// that filled it and a forked child starts with an empty one.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "arenakv/mvcc/file_system.h"

namespace arenakv {
namespace {

constexpr std::size_t kWritableBufferSize = 64 << 10;

Status PosixError(const std::string& path, int error) {
  // The message of std::generic_category(): strerror's text, thread-safe.
  std::string msg = path + ": " + std::generic_category().message(error);
  if (error == ENOENT) return Status::NotFound(msg);
  if (error == ENOSPC || error == EDQUOT) return Status::NoSpace(msg);
  return Status::IOError(msg);
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd), buffer_(new char[kWritableBufferSize]) {}

  ~PosixWritableFile() override {
    if (fd_ >= 0) (void)Close();
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Status::IOError(path_ + ": append after close");
    size_ += data.size();
    // Fast path: fits in the buffer.
    if (data.size() <= kWritableBufferSize - buffered_) {
      std::memcpy(buffer_.get() + buffered_, data.data(), data.size());
      buffered_ += data.size();
      return Status::OK();
    }
    // Top the buffer up, write it out, then buffer or write the rest.
    const std::size_t head = kWritableBufferSize - buffered_;
    std::memcpy(buffer_.get() + buffered_, data.data(), head);
    buffered_ += head;
    data.remove_prefix(head);
    if (Status s = FlushBuffer(); !s.ok()) return s;
    if (data.size() >= kWritableBufferSize) return WriteAll(data);
    std::memcpy(buffer_.get(), data.data(), data.size());
    buffered_ = data.size();
    return Status::OK();
  }

  Status Flush() override {
    if (fd_ < 0) return Status::IOError(path_ + ": flush after close");
    return FlushBuffer();
  }

  Status Sync() override {
    if (Status s = Flush(); !s.ok()) return s;
#if defined(__linux__)
    if (::fdatasync(fd_) != 0) return PosixError(path_, errno);
#else
    if (::fsync(fd_) != 0) return PosixError(path_, errno);
#endif
    return Status::OK();
  }

  void StartWriteback() override {
#if defined(__linux__)
    // Only what reached the file since the last call; errors are Sync's to
    // report (a hint that fails changes nothing).
    const std::uint64_t flushed = size_ - buffered_;
    if (fd_ >= 0 && flushed > writeback_from_) {
      (void)::sync_file_range(fd_, static_cast<off_t>(writeback_from_),
                              static_cast<off_t>(flushed - writeback_from_), SYNC_FILE_RANGE_WRITE);
      writeback_from_ = flushed;
    }
#endif
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s = FlushBuffer();
    if (::close(fd_) != 0 && s.ok()) s = PosixError(path_, errno);
    fd_ = -1;
    return s;
  }

  std::uint64_t Size() const override { return size_; }

 private:
  Status FlushBuffer() {
    Status s = WriteAll(std::string_view(buffer_.get(), buffered_));
    // On error the buffered bytes are dropped: what reached the file is unknown.
    buffered_ = 0;
    return s;
  }

  Status WriteAll(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError(path_, errno);
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return Status::OK();
  }

  const std::string path_;
  int fd_;  // -1 once closed
  std::unique_ptr<char[]> buffer_;
  std::size_t buffered_ = 0;  // <= kWritableBufferSize
  std::uint64_t size_ = 0;
  std::uint64_t writeback_from_ = 0;  // StartWriteback's next offset
};

// Reads until n bytes or end of file, retrying EINTR; read_some(buf, len, got)
// is read(2) or pread(2) at the right offset.
template <typename ReadSome>
Status ReadFully(const std::string& path, std::size_t n, std::string_view* result, char* scratch,
                 ReadSome read_some) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = read_some(scratch + got, n - got, got);
    if (r < 0) {
      if (errno == EINTR) continue;
      *result = {};
      return PosixError(path, errno);
    }
    if (r == 0) break;  // end of file
    got += static_cast<std::size_t>(r);
  }
  *result = std::string_view(scratch, got);
  return Status::OK();
}

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  Status Read(std::size_t n, std::string_view* result, char* scratch) override {
    return ReadFully(path_, n, result, scratch, [this](char* buf, std::size_t len, std::size_t) {
      return ::read(fd_, buf, len);
    });
  }

  Status Skip(std::uint64_t n) override {
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) == static_cast<off_t>(-1)) {
      return PosixError(path_, errno);
    }
    return Status::OK();
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status Read(std::uint64_t offset, std::size_t n, std::string_view* result,
              char* scratch) const override {
    return ReadFully(path_, n, result, scratch, [&](char* buf, std::size_t len, std::size_t got) {
      return ::pread(fd_, buf, len, static_cast<off_t>(offset + got));
    });
  }

 private:
  const std::string path_;
  const int fd_;
};

// The (device, inode) pairs this process holds fcntl locks on. See the top comment.
struct LockTable {
  std::mutex mu;
  pid_t owner = 0;  // the pid that filled `locked`; another pid is a forked child
  std::set<std::pair<dev_t, ino_t>> locked;
};

LockTable& Locks() {
  static LockTable* table = new LockTable;  // never destroyed, like Default()
  return *table;
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(int fd, std::pair<dev_t, ino_t> id) : fd_(fd), id_(id) {}
  ~PosixFileLock() override {
    LockTable& table = Locks();
    std::lock_guard<std::mutex> guard(table.mu);
    if (table.owner == ::getpid()) table.locked.erase(id_);
    ::close(fd_);  // releases the fcntl lock
  }

 private:
  const int fd_;
  const std::pair<dev_t, ino_t> id_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* file) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(path, errno);
    *file = std::make_unique<PosixWritableFile>(path, fd);
    return Status::OK();
  }

  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* file) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(path, errno);
    *file = std::make_unique<PosixSequentialFile>(path, fd);
    return Status::OK();
  }

  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* file) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(path, errno);
    *file = std::make_unique<PosixRandomAccessFile>(path, fd);
    return Status::OK();
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Status CheckDirectory(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError(path, errno);
    if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + ": not a directory");
    return Status::OK();
  }

  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    names->clear();
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError(dir, errno);
    errno = 0;
    // readdir is safe here: the stream `d` is this call's alone.
    while (const struct dirent* entry = ::readdir(d)) {  // NOLINT(concurrency-mt-unsafe)
      const std::string_view name = entry->d_name;
      if (name != "." && name != "..") names->emplace_back(name);
    }
    const int error = errno;
    ::closedir(d);
    if (error != 0) return PosixError(dir, error);
    return Status::OK();
  }

  Status GetFileSize(const std::string& path, std::uint64_t* size) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      *size = 0;
      return PosixError(path, errno);
    }
    *size = static_cast<std::uint64_t>(st.st_size);
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError(path, errno);
    return Status::OK();
  }

  Status CreateDirIfMissing(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) == 0) return Status::OK();
    if (errno != EEXIST) return PosixError(dir, errno);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return PosixError(dir, errno);
    if (!S_ISDIR(st.st_mode)) return Status::IOError(dir + ": exists and is not a directory");
    return Status::OK();
  }

  Status RemoveDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) return PosixError(dir, errno);
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return PosixError(from + " -> " + to, errno);
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError(dir, errno);
    Status s;
    if (::fsync(fd) != 0) s = PosixError(dir, errno);
    ::close(fd);
    return s;
  }

  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    LockTable& table = Locks();
    std::lock_guard<std::mutex> guard(table.mu);
    if (table.owner != ::getpid()) {
      table.owner = ::getpid();
      table.locked.clear();
    }
    // Check before opening: closing a second fd would drop the lock we hold.
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && table.locked.count({st.st_dev, st.st_ino}) != 0) {
      return Status::Busy(path + ": already locked by this process");
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(path, errno);
    // With the mutex held no lock of ours is released, so a file created or
    // replaced since the stat above cannot be one we hold.
    if (::fstat(fd, &st) != 0) {
      const int error = errno;
      ::close(fd);
      return PosixError(path, error);
    }
    struct flock fl;
    std::memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file
    if (::fcntl(fd, F_SETLK, &fl) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EACCES || error == EAGAIN) {
        return Status::Busy(path + ": locked by another process");
      }
      return PosixError(path, error);
    }
    const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
    table.locked.insert(id);
    *lock = std::make_unique<PosixFileLock>(fd, id);
    return Status::OK();
  }
};

}  // namespace

FileSystem* FileSystem::Default() {
  static FileSystem* fs = new PosixFileSystem;  // never destroyed: outlives static users
  return fs;
}

}  // namespace arenakv
