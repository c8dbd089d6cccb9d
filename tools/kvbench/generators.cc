// SPDX-License-Identifier: Apache-2.0
#include "tools/kvbench/generators.h"

namespace arenakv::kvbench {

std::string_view KeyBuffer::Key(std::uint64_t index) {
  for (int i = 0; i < 8; ++i) {
    buffer_[i] = static_cast<char>(index >> (56 - 8 * i));
  }
  return buffer_;
}

ValuePool::ValuePool(std::size_t value_size, std::uint64_t seed)
    : value_size_(value_size), data_(kPoolBytes + value_size, '\0') {
  Random rng(seed ^ 0x76616c7565ULL);
  for (char& c : data_) c = static_cast<char>(rng.Next());
}

}  // namespace arenakv::kvbench
