// SPDX-License-Identifier: Apache-2.0
// kvctl: inspect and repair an arenakv DB from the command line.
//
//   kvctl --db DIR get|put|delete|scan|stats|options|compact|verify|dump-manifest ...
//   kvctl dump-wal FILE | dump-sst FILE
//
// This file only parses the command line (CLI11) and dispatches; each
// command lives in db_commands, dump_commands or verify_command. Exit codes:
// command_line.h. CLI11 reports parse errors by exception; they stay inside
// main and become exit code 2.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <string>

#include "tools/kvctl/command_line.h"
#include "tools/kvctl/db_commands.h"
#include "tools/kvctl/dump_commands.h"
#include "tools/kvctl/verify_command.h"

namespace arenakv::kvctl {
namespace {

using Runner = int (*)(const CommandLine&);

CLI::App* AddCommand(CLI::App& app, const std::string& name, const std::string& help, Runner runner,
                     Runner* selected) {
  CLI::App* sub = app.add_subcommand(name, help);
  sub->callback([runner, selected] { *selected = runner; });
  return sub;
}

void AddHexFlag(CLI::App* sub, CommandLine* line, const std::string& what) {
  sub->add_flag("--hex", line->hex, what);
}

int Main(int argc, char** argv) {
  CommandLine line;
  Runner selected = nullptr;

  CLI::App app("kvctl: inspect, dump and verify an arenakv DB", "kvctl");
  app.add_option("--db", line.db, "the DB directory");
  const std::map<std::string, WALRecoveryMode> modes = {
      {"point-in-time", WALRecoveryMode::kPointInTimeRecovery},
      {"tolerate-tail", WALRecoveryMode::kTolerateCorruptedTailRecords},
      {"absolute", WALRecoveryMode::kAbsoluteConsistency},
      {"skip-any", WALRecoveryMode::kSkipAnyCorruptedRecords}};
  app.add_option("--wal-recovery-mode", line.wal_recovery_mode,
                 "how opening the DB treats a damaged WAL (default point-in-time: keep the "
                 "records before the damage, drop the rest)")
      ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case));
  app.require_subcommand(1);
  app.fallthrough();  // --db may also follow the command name

  CLI::App* get =
      AddCommand(app, "get", "print the value of KEY (exit 1 if absent)", RunGet, &selected);
  get->add_option("KEY", line.key, "the key")->required();
  AddHexFlag(get, &line, "KEY is hex; print the value in hex");

  CLI::App* put =
      AddCommand(app, "put", "set KEY to VALUE (creates the DB if missing)", RunPut, &selected);
  put->add_option("KEY", line.key, "the key")->required();
  put->add_option("VALUE", line.value, "the value")->required();
  AddHexFlag(put, &line, "KEY and VALUE are hex");

  CLI::App* del = AddCommand(app, "delete", "delete KEY", RunDelete, &selected);
  del->add_option("KEY", line.key, "the key")->required();
  AddHexFlag(del, &line, "KEY is hex");

  CLI::App* scan =
      AddCommand(app, "scan", "print entries as KEY<TAB>VALUE in key order", RunScan, &selected);
  scan->add_option("--from", line.from, "first key (inclusive)");
  scan->add_option("--to", line.to, "end key (exclusive)");
  scan->add_option("--limit", line.limit, "at most N entries");
  AddHexFlag(scan, &line, "--from/--to are hex; print keys and values in hex");

  AddCommand(app, "stats", "print engine statistics and files per level", RunStats, &selected);
  AddCommand(app, "options", "print the options the DB was last opened with (its OPTIONS file)",
             RunOptions, &selected);
  AddCommand(app, "compact", "compact the whole key range", RunCompact, &selected);
  AddCommand(app, "verify",
             "check every SST, WAL and manifest in the DB directory without opening the DB "
             "(exit 1 on damage)",
             RunVerify, &selected);

  CLI::App* wal =
      AddCommand(app, "dump-wal", "print the write batches in a WAL file", RunDumpWal, &selected);
  wal->add_option("FILE", line.file, "a .log file")->required();
  AddHexFlag(wal, &line, "print keys and values in hex");

  CLI::App* sst =
      AddCommand(app, "dump-sst", "print an SST's properties and entries", RunDumpSst, &selected);
  sst->add_option("FILE", line.file, "a .sst file")->required();
  AddHexFlag(sst, &line, "print keys and values in hex");

  CLI::App* manifest = AddCommand(app, "dump-manifest",
                                  "print the version edits of the live manifest (CURRENT in "
                                  "--db DIR) or of FILE",
                                  RunDumpManifest, &selected);
  manifest->add_option("FILE", line.file, "a MANIFEST-* file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // A mistyped command name is left over as an unmatched word; say so
    // instead of CLI11's "A subcommand is required".
    if (app.get_subcommands().empty() && !app.remaining().empty() && e.get_exit_code() != 0) {
      std::cerr << "kvctl: unknown command '" << app.remaining().front()
                << "'\nRun with --help for the list of commands.\n";
      return kExitUsage;
    }
    const int rc = app.exit(e);  // prints help (rc 0) or the error to stderr
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (selected == nullptr) return kExitUsage;  // unreachable: a command is required
  return selected(line);
}

}  // namespace
}  // namespace arenakv::kvctl

int main(int argc, char** argv) { return arenakv::kvctl::Main(argc, argv); }
