// make_report: a test helper that runs the pipeline on some inputs and writes the cluster report,
// so the browser test has a page before (and independently of) the CLI's --report flag.
//
//   make_report [--threshold T] [--shingle char:K] [--report-format html|md]
//               [--max-clusters N] [--generated-at TEXT] [--stories] [--report-fields A,B]
//               -o OUT INPUT...
//
// Prints the report's size in bytes to standard output. Exit status 0 done, 1 failed, 2 bad usage.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "neardup/io/writer.h"
#include "neardup/pipeline.h"
#include "neardup/report/report.h"

namespace {

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "make_report: %s\nusage: make_report [--threshold T] [--shingle char:K] "
               "[--report-format html|md] [--max-clusters N] [--generated-at TEXT] [--stories] "
               "[--report-fields A,B] -o OUT INPUT...\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  neardup::PipelineOptions options;
  neardup::ReportSettings settings;
  std::string out_path, format = "html";
  settings.command_line = "make_report";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    settings.command_line += " " + arg;
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) return nullptr;
      settings.command_line += std::string(" ") + argv[i + 1];
      return argv[++i];
    };
    const char* v = nullptr;
    if (arg == "--threshold" || arg == "-t") {
      if (!(v = value())) return Usage("--threshold needs a value");
      options.threshold = std::atof(v);
    } else if (arg == "--shingle") {
      if (!(v = value())) return Usage("--shingle needs a value");
      auto spec = neardup::ShingleSpec::Parse(v);
      if (!spec.ok()) return Usage(std::string(spec.status().message()));
      options.shingle = *spec;
    } else if (arg == "--report-format") {
      if (!(v = value())) return Usage("--report-format needs a value");
      format = v;
      if (format != "html" && format != "md") return Usage("--report-format is html or md");
    } else if (arg == "--max-clusters") {
      if (!(v = value())) return Usage("--max-clusters needs a value");
      settings.max_clusters = std::strtoull(v, nullptr, 10);
    } else if (arg == "--generated-at") {
      if (!(v = value())) return Usage("--generated-at needs a value");
      settings.generated_at = v;
    } else if (arg == "--stories") {
      options.stories = true;
    } else if (arg == "--report-fields") {
      if (!(v = value())) return Usage("--report-fields needs a value");
      std::string list = v;
      for (size_t start = 0; start <= list.size();) {
        const size_t comma = std::min(list.find(',', start), list.size());
        settings.extra_fields.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (arg == "-o") {
      if (!(v = value())) return Usage("-o needs a value");
      out_path = v;
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return Usage("unknown option " + arg);
    } else {
      options.inputs.push_back(arg);
    }
  }
  if (out_path.empty() || options.inputs.empty()) return Usage("needs -o OUT and an input");
  if (absl::Status st = options.Validate(); !st.ok()) return Usage(std::string(st.message()));

  absl::StatusOr<neardup::RunResult> result = neardup::RunPipeline(options);
  if (!result.ok()) {
    std::fprintf(stderr, "make_report: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<neardup::ReportData> data =
      neardup::CollectReportData(options, *result, settings);
  if (!data.ok()) {
    std::fprintf(stderr, "make_report: %s\n", std::string(data.status().message()).c_str());
    return 1;
  }
  const std::string page =
      format == "md" ? neardup::RenderMarkdown(*data) : neardup::RenderHtml(*data);
  auto out = neardup::AtomicFile::Create(out_path);
  absl::Status st = out.ok() ? (*out)->Write(page) : out.status();
  if (st.ok()) st = (*out)->Commit();
  if (!st.ok()) {
    std::fprintf(stderr, "make_report: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  std::printf("%zu\n", page.size());
  return 0;
}
