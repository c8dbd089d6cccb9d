// SPDX-License-Identifier: Apache-2.0
#include "tools/kvctl/file_readers.h"

#include "mvcc/log/log_reader.h"
#include "mvcc/table/table_format.h"

namespace arenakv::kvctl {

Status ForEachLogRecord(FileSystem* fs, const std::string& path,
                        const std::function<Status(std::string_view, std::uint64_t)>& on_record) {
  std::unique_ptr<SequentialFile> file;
  Status s = fs->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  LogReader reader(file.get(), /*reporter=*/nullptr, /*verify_checksums=*/true);
  std::string record;
  for (std::uint64_t index = 0; reader.ReadRecord(&record); ++index) {
    s = on_record(record, index);
    if (!s.ok()) return s;
  }
  return reader.status();
}

Status OpenTableFile(FileSystem* fs, const std::string& path, std::unique_ptr<Table>* table) {
  std::uint64_t size = 0;
  Status s = fs->GetFileSize(path, &size);
  if (!s.ok()) return s;
  std::unique_ptr<RandomAccessFile> file;
  s = fs->NewRandomAccessFile(path, &file);
  if (!s.ok()) return s;
  // The reader takes every layout parameter from the file itself; the
  // options only shape what a builder would write.
  return Table::Open(TableOptions(), std::move(file), size, /*cache=*/nullptr, table);
}

}  // namespace arenakv::kvctl
