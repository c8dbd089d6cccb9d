// SPDX-License-Identifier: Apache-2.0
#include "mvcc/db/outside_value.h"

#include <cassert>
#include <cstdint>

#include "mvcc/util/coding.h"

namespace arenakv {

std::string OutsideValueHead(const WriteBatch& batch, std::size_t value_size) {
  const std::string_view contents = batch.Contents();
  // An empty value's length is the one-byte varint 0 that ends the encoding.
  assert(contents.size() > WriteBatch::kHeaderSize && contents.back() == '\0');
  std::string head(contents.substr(0, contents.size() - 1));
  PutVarint32(&head, static_cast<std::uint32_t>(value_size));
  return head;
}

}  // namespace arenakv
