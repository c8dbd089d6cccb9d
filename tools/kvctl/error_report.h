// SPDX-License-Identifier: Apache-2.0
// How kvctl tells the user that something failed: one line on stderr,
// "kvctl: <context>: <explanation>", where the explanation names the common
// causes in words (a DB locked by another process, corruption, a missing DB)
// before the engine's own message. Single-threaded (writes std::cerr).
#ifndef ARENAKV_TOOLS_KVCTL_ERROR_REPORT_H_
#define ARENAKV_TOOLS_KVCTL_ERROR_REPORT_H_

#include <arenakv/mvcc/status.h>

#include <string>
#include <string_view>

namespace arenakv::kvctl {

// The explanation for `s` (not OK): "locked by another process (...)",
// "corruption: ...", or s.ToString().
std::string ExplainStatus(const Status& s);

// Prints the error line and returns kExitDbError.
int ReportError(std::string_view context, const Status& s);

// Prints "kvctl: <message>" and returns kExitUsage.
int ReportUsage(std::string_view message);

}  // namespace arenakv::kvctl

#endif  // ARENAKV_TOOLS_KVCTL_ERROR_REPORT_H_
