// make_fuzz_seeds DATA_DIR OUT_DIR [LINES]: writes seed corpora for every fuzz target to
// OUT_DIR/<target>/, drawn from the first LINES (default 200) lines of each DATA_DIR/*/docs.jsonl
// (the shared real corpora). scripts/fuzz runs it before fuzzing, so no corpus text is committed.
// Seeds follow the input layouts of fuzz_targets.h; record_reader seeds come in every format and
// framing, including files that are already gzip or zstd (framing "as is").
#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "fuzz_targets.h"

namespace {

using neardup::Document;
using neardup::Format;
using neardup::RecordParser;

void Write(const std::string& dir, const std::string& name, const std::string& bytes) {
  ::mkdir(dir.c_str(), 0755);
  std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string TsvField(std::string s) {
  for (char& c : s) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

std::string Prefix(const std::string& s, size_t n) { return s.substr(0, std::min(n, s.size())); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: make_fuzz_seeds DATA_DIR OUT_DIR [LINES]\n";
    return 2;
  }
  const std::string data_dir = argv[1];
  const std::string out = argv[2];
  const size_t lines = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 200;
  ::mkdir(out.c_str(), 0755);
  DIR* dir = ::opendir(data_dir.c_str());
  if (dir == nullptr) {
    std::cerr << "make_fuzz_seeds: cannot open " << data_dir << "\n";
    return 1;
  }
  std::vector<std::string> corpora;
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name[0] != '.') corpora.push_back(name);
  }
  ::closedir(dir);
  size_t written = 0;
  size_t used = 0;
  RecordParser parser(Format::kJsonl, {}, "seed", {});
  for (const std::string& corpus : corpora) {
    std::ifstream in(data_dir + "/" + corpus + "/docs.jsonl", std::ios::binary);
    if (!in) continue;
    ++used;
    std::string line;
    std::vector<std::string> raw;
    std::vector<Document> docs;
    while (raw.size() < lines && std::getline(in, line)) {
      Document doc;
      if (!parser.Parse(line, raw.size() + 1, &doc).ok()) continue;
      raw.push_back(line + "\n");
      docs.push_back(std::move(doc));
    }
    std::string jsonl, csv = "id,title,text\n", tsv = "id\ttitle\ttext\n", text;
    for (size_t i = 0; i < raw.size(); ++i) {
      const Document& d = docs[i];
      const std::string csv_row =
          CsvField(d.id) + "," + CsvField(d.title) + "," + CsvField(d.body) + "\r\n";
      const std::string tsv_row =
          TsvField(d.id) + "\t" + TsvField(d.title) + "\t" + TsvField(d.body) + "\n";
      const std::string tag = corpus + "_" + std::to_string(i);
      if (i < 40) {
        Write(out + "/jsonl_record", tag, Prefix(raw[i], 16384));
        Write(out + "/csv_record", tag, Prefix(csv_row, 16384));
        Write(out + "/tsv_record", tag, Prefix(tsv_row, 16384));
        Write(out + "/normalize", tag + "_title", d.title);
        Write(out + "/normalize", tag + "_body", Prefix(d.body, 4096));
        const char spec = static_cast<char>(((i % 8) << 2) | (i % 4));  // k 1-8, every mode
        Write(out + "/shingle", tag, spec + Prefix(d.title + "\n" + d.body, 4096));
        written += 7;
      }
      // record_reader files: groups of 10 records of about 32 KiB at most.
      if (jsonl.size() < 32768) jsonl += raw[i];
      if (csv.size() < 32768) csv += csv_row;
      if (tsv.size() < 32768) tsv += tsv_row;
      if (text.size() < 32768) text += TsvField(d.title + " " + d.body) + "\n";
      if (i >= 60 || (i % 10 != 9 && i + 1 != raw.size())) continue;
      const std::string files[4] = {jsonl, csv, tsv, text};
      for (int format = 0; format < 4; ++format) {
        const std::string& f = files[format];
        const std::string group = corpus + "_" + std::to_string(i / 10) + "_" + "jctx"[format];
        // Header bytes: format | framing << 2, the record limit, the batch target.
        const char limit = static_cast<char>(i % 20 == 9 ? 0 : 130 + (i % 7) * 8);
        auto header = [&](int framing) {
          return std::string{static_cast<char>(format | framing << 2), limit, '\x10'};
        };
        Write(out + "/record_reader", group + "_plain", header(0) + f);
        Write(out + "/record_reader", group + "_gz", header(1) + f);
        Write(out + "/record_reader", group + "_zst", header(2) + f);
        Write(out + "/record_reader", group + "_gz2", header(3) + f);
        Write(out + "/record_reader", group + "_raw.gz", header(0) + neardup::fuzz::GzipMember(f));
        Write(out + "/record_reader", group + "_raw.zst", header(0) + neardup::fuzz::ZstdFrame(f));
        written += 6;
      }
      jsonl.clear();
      csv = "id,title,text\n";
      tsv = "id\ttitle\ttext\n";
      text.clear();
    }
  }
  std::cerr << "make_fuzz_seeds: " << written << " seeds from " << used
            << " corpora in " << out << "\n";
  return written > 0 ? 0 : 1;
}
