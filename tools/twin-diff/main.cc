// twin-diff: jsondiffpatch-compatible diff, patch, unpatch and reverse of
// JSON documents. Exit codes follow diff(1): 0 equal, 1 different, 2 trouble.
#include <iostream>
#include <sstream>

#include "lib/commands/diff_command.h"
#include "tools/common/cli.h"

int main(int argc, char** argv) {
  constexpr std::string_view kTool = "twin-diff";
  CLI::App app{
      "Diff, patch, unpatch and reverse JSON in jsondiffpatch's delta format.\n"
      "  twin-diff LEFT RIGHT | --patch DOC DELTA | --unpatch DOC DELTA | "
      "--reverse DELTA",
      std::string(kTool)};
  twin::cli::LogOptions log;
  twin::cli::AddCommonOptions(&app, &log);
  twin::DiffCommand command;
  bool patch = false, unpatch = false, reverse = false, no_detect_move = false;
  std::string object_hash;
  app.add_option("FILES", command.files, "input files ('-' for stdin, once)")->required();
  auto* p = app.add_flag("--patch", patch, "print DOC with DELTA applied");
  auto* u = app.add_flag("--unpatch", unpatch, "print DOC with DELTA applied backwards");
  auto* r = app.add_flag("--reverse", reverse, "print the reverse of DELTA");
  p->excludes(u)->excludes(r);
  u->excludes(r);
  app.add_option(
      "--object-hash", object_hash,
      "id fields that match array items: the first one an item has, of any "
      "JSON type (4 is not \"4\"); default: the city's entity ids, as strings");
  app.add_flag("--no-detect-move", no_detect_move, "do not detect moves in arrays");
  app.add_flag("--message", command.message,
               "DELTA is a whole state.incremental message value: use its \"delta\"");

  if (auto code = twin::cli::Parse(&app, argc, argv)) return *code;
  twin::cli::SetUpLogging(kTool, log);
  twin::cli::InstallStopHandlers();
  constexpr int kTrouble = 2;  // diff(1)
  int result = kTrouble;
  // Run() returns non-zero only if an exception escaped: trouble too.
  const int crashed = twin::cli::Run(kTool, [&] {
    using Mode = twin::DiffCommand::Mode;
    command.mode = patch     ? Mode::kPatch
                   : unpatch ? Mode::kUnpatch
                   : reverse ? Mode::kReverse
                             : Mode::kDiff;
    if (!object_hash.empty()) {
      command.options.object_hash_fields.clear();
      command.options.hash_ids_of_any_type = true;
      std::stringstream fields(object_hash);
      for (std::string field; std::getline(fields, field, ',');) {
        if (!field.empty()) command.options.object_hash_fields.push_back(field);
      }
    }
    command.options.detect_move = !no_detect_move;
    const twin::Io io{&std::cin, &std::cout, &std::cerr};
    twin::Result<bool> differ = twin::RunDiffCommand(command, io);
    if (!differ.ok()) {
      twin::cli::ExitCodeFor(kTool, differ.status());  // logs it
    } else {
      result = *differ ? 1 : 0;
    }
    return 0;
  });
  return crashed != 0 ? kTrouble : result;
}
