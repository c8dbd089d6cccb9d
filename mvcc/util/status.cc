// SPDX-License-Identifier: Apache-2.0
#include "arenakv/mvcc/status.h"

namespace arenakv {

std::string Status::ToString() const {
  const char* name = "OK";
  switch (code_) {
    case Code::kOk:
      return name;
    case Code::kNotFound:
      name = "NotFound";
      break;
    case Code::kCorruption:
      name = "Corruption";
      break;
    case Code::kIOError:
      name = no_space_ ? "IO error (no space)" : "IO error";
      break;
    case Code::kInvalidArgument:
      name = "Invalid argument";
      break;
    case Code::kBusy:
      name = "Busy";
      break;
    case Code::kNotSupported:
      name = "Not supported";
      break;
    case Code::kMemoryLimit:
      name = "Memory limit";
      break;
  }
  return message_.empty() ? std::string(name) : std::string(name) + ": " + message_;
}

}  // namespace arenakv
