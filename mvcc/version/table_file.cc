// SPDX-License-Identifier: Apache-2.0
#include "mvcc/version/table_file.h"

namespace arenakv {

TableFile::~TableFile() {
  if (obsolete_.load(std::memory_order_relaxed)) {
    (void)fs_->RemoveFile(path_);  // a leftover is deleted at the next Open
  }
}

std::uint64_t TotalBytes(const std::vector<TableFileRef>& files) {
  std::uint64_t total = 0;
  for (const TableFileRef& f : files) total += f->meta().file_size;
  return total;
}

}  // namespace arenakv
