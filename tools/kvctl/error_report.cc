// SPDX-License-Identifier: Apache-2.0
#include "tools/kvctl/error_report.h"

#include <iostream>

#include "tools/kvctl/command_line.h"

namespace arenakv::kvctl {

std::string ExplainStatus(const Status& s) {
  // LockFile reports a lock held elsewhere as Busy (or, on some systems, an
  // IOError naming the lock); both mean another process has the DB open.
  if (s.IsBusy() || (s.IsIOError() && s.message().find("lock") != std::string::npos)) {
    return "locked by another process (" + s.ToString() + ")";
  }
  if (s.IsCorruption()) return "corruption: " + s.message();
  return s.ToString();
}

int ReportError(std::string_view context, const Status& s) {
  std::cerr << "kvctl: " << context << ": " << ExplainStatus(s) << "\n";
  return kExitDbError;
}

int ReportUsage(std::string_view message) {
  std::cerr << "kvctl: " << message << "\n";
  return kExitUsage;
}

}  // namespace arenakv::kvctl
