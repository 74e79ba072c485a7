#include "cli/usage.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/run_flags.h"
#include "internal/suggest.h"

namespace neardup::cli {
namespace {

std::vector<const CLI::App*> Commands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

std::vector<std::string> CommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : Commands(app)) names.push_back(sub->get_name());
  return names;
}

// "cluster", "tune pairs": the words that select `app` ("" for neardup itself).
std::string CommandPath(const CLI::App* app) {
  std::vector<std::string> words;
  for (; app != nullptr && app->get_parent() != nullptr; app = app->get_parent()) {
    words.insert(words.begin(), app->get_name());
  }
  return absl::StrJoin(words, " ");
}

// "neardup cluster", "neardup tune pairs", "neardup".
std::string CommandLine(const CLI::App* app) {
  const std::string path = CommandPath(app);
  return path.empty() ? "neardup" : "neardup " + path;
}

// The long names of the options of `app`: "--threshold".
std::vector<std::string> LongOptionNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& n : opt->get_lnames()) names.push_back("--" + n);
  }
  return names;
}

// The commands (as CommandPath) other than `except` that have the long option `flag`.
std::vector<std::string> CommandsWithOption(const CLI::App& app, const CLI::App* except,
                                            const std::string& flag) {
  std::vector<std::string> found;
  for (const CLI::App* sub : Commands(app)) {
    const std::vector<std::string> names = LongOptionNames(*sub);
    if (sub != except && std::find(names.begin(), names.end(), flag) != names.end()) {
      found.push_back(CommandPath(sub));
    }
    for (std::string& path : CommandsWithOption(*sub, except, flag)) found.push_back(path);
  }
  return found;
}

// "The following argument was not expected: --thresold" for `command`, with a did-you-mean (an
// option of `command` within edit distance 2) or the commands that have that option.
std::string ExtrasMessage(const CLI::App& app, const CLI::App& command,
                          const std::vector<std::string>& extras) {
  const std::string path = CommandPath(&command);
  const std::string where = path.empty() ? std::string() : absl::StrCat(" for '", path, "'");
  const std::string see = absl::StrCat("; see ", CommandLine(&command), " --help");
  for (const std::string& extra : extras) {
    if (extra.size() < 2 || extra[0] != '-') continue;
    const std::string flag = extra.substr(0, extra.find('='));
    std::string hint;
    if (absl::StartsWith(flag, "--")) {  // a short option is too short to guess from
      hint = internal::DidYouMean(flag, LongOptionNames(command));
      const std::vector<std::string> elsewhere = CommandsWithOption(app, &command, flag);
      if (hint.empty() && !elsewhere.empty()) {
        hint = absl::StrCat(" (an option of ", absl::StrJoin(elsewhere, ", "), ")", see);
      }
    }
    return absl::StrCat("unknown option '", flag, "'", where, hint.empty() ? see : hint);
  }
  return absl::StrCat(extras.size() > 1 ? "unexpected arguments '" : "unexpected argument '",
                      absl::StrJoin(extras, "' '"), "'", where, see);
}

// "Could not convert: --threshold = 0,8" as "--threshold: '0,8' is not a number".
std::string ConversionMessage(const CLI::App& command, const std::string& what) {
  const std::string kPrefix = "Could not convert: ";
  const size_t eq = what.find(" = ");
  if (!absl::StartsWith(what, kPrefix) || eq == std::string::npos) return what;
  const std::string name = what.substr(kPrefix.size(), eq - kPrefix.size());
  const std::string value = what.substr(eq + 3);
  const CLI::Option* opt = command.get_option_no_throw(name);
  const std::string type = opt != nullptr ? opt->get_type_name() : "";
  const char* expected = absl::StartsWith(type, "FLOAT")  ? "a number"
                         : absl::StartsWith(type, "UINT") ? "a whole number, 0 or more"
                         : absl::StartsWith(type, "INT")  ? "a whole number"
                                                          : "a value of its type";
  return absl::StrCat(name, ": '", value, "' is not ", expected);
}

}  // namespace

CLI::Validator OneOf(std::vector<std::string> values) {
  const std::string description = "{" + absl::StrJoin(values, ",") + "}";
  return CLI::Validator(
      [values](std::string& input) -> std::string {
        if (std::find(values.begin(), values.end(), input) != values.end()) return "";
        return absl::StrCat("'", input, "' is not one of ", absl::StrJoin(values, ", "),
                            internal::DidYouMean(input, values));
      },
      description);
}

void RefuseNegativeCounts(CLI::App* app) {
  for (CLI::Option* opt : app->get_options()) {
    if (!absl::StartsWith(opt->get_type_name(), "UINT")) continue;
    opt->check(CLI::Validator(
        [](std::string& input) -> std::string {
          const size_t start = input.find_first_not_of(" \t");
          if (start == std::string::npos || input[start] != '-') return "";
          return "must be 0 or more, got " + input;
        },
        ""));
  }
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
    RefuseNegativeCounts(sub);
  }
}

absl::Status PrepareArguments(const CLI::App& app, std::vector<std::string>* args) {
  std::vector<std::string>& a = *args;
  size_t i = 1;
  const bool help = i < a.size() && a[i] == "help";
  if (help) a.erase(a.begin() + static_cast<std::ptrdiff_t>(i));
  const CLI::App* command = &app;
  while (i < a.size() && !a[i].empty() && a[i][0] != '-') {
    const std::vector<std::string> names = CommandNames(*command);
    if (names.empty()) break;  // the words are the command's arguments
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : Commands(*command)) {
      if (sub->get_name() == a[i]) next = sub;
    }
    if (next == nullptr) {
      const std::string prefix =
          command == &app ? std::string() : absl::StrCat(command->get_name(), " ");
      std::vector<std::string> full_names;
      for (const std::string& n : names) full_names.push_back(prefix + n);
      const std::string hint = internal::DidYouMean(prefix + a[i], full_names);
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown command '", prefix, a[i], "'",
          hint.empty() ? absl::StrCat(" (commands: ", absl::StrJoin(names, ", "), ")") : hint));
    }
    command = next;
    ++i;
  }
  if (help) a.insert(a.begin() + static_cast<std::ptrdiff_t>(i), "--help");
  return absl::OkStatus();
}

int ReportParseError(CLI::App* app, const CLI::ParseError& error) {
  // Help and version are "errors" that succeed. (Error names are no guide: an ExtrasError is
  // named after the command it came from.)
  if (error.get_exit_code() == 0) return app->exit(error) == 0 ? kExitOk : kExitUsage;
  PrintError(absl::InvalidArgumentError(ParseErrorMessage(app, error)));
  return kExitUsage;
}

std::string ParseErrorMessage(CLI::App* app, const CLI::ParseError& error) {
  // The command being parsed when the error came: the last one selected.
  CLI::App* command = app;
  while (!command->get_subcommands().empty()) command = command->get_subcommands().back();
  std::string message = error.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    const std::vector<std::string> extras = app->remaining(true);
    if (!extras.empty()) message = ExtrasMessage(*app, *command, extras);
  } else if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) {
    message = ConversionMessage(*command, message);
  } else if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr &&
             absl::EndsWith(message, " missing")) {
    message = message.substr(0, message.find(':')) + " needs a value";  // "--x: 1 required T missing"
  } else if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr &&
             absl::StartsWith(message, "A subcommand")) {
    message = absl::StrCat(CommandLine(command), " needs a command: ",
                           absl::StrJoin(CommandNames(*command), ", "), "; see ",
                           CommandLine(command), " --help");
  }
  if (message.size() > 1 && message[0] >= 'A' && message[0] <= 'Z' && message[1] >= 'a' &&
      message[1] <= 'z') {
    message[0] = static_cast<char>(message[0] - 'A' + 'a');
  }
  std::replace(message.begin(), message.end(), '\n', ' ');
  return message;
}

}  // namespace neardup::cli
