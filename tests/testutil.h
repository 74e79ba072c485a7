// testutil.h: what the end-to-end tests share (after leveldb's util/testutil.h): the binary and
// source paths, running the binary, scratch file names, reading and writing files, and reading
// one field of a flat JSON line. Header-only; every function is inline.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "internal/utf8.h"

namespace neardup_test {

// Set by CMake for every test target.
inline const std::string kBinary = NEARDUP_BINARY;
inline const std::string kSource = NEARDUP_SOURCE_DIR;
// The shared corpora beside the checkout (CI has the same copy).
inline const std::string kShared = kSource + "/../shared/data";

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline bool Exists(const std::string& path) { return std::ifstream(path).good(); }

// A scratch path. ctest runs each test in its own process, several at once: names carry the
// process id.
inline std::string Temp(const std::string& name) {
  return testing::TempDir() + "neardup_test_" + std::to_string(getpid()) + "_" + name;
}

struct Result {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

// Runs `neardup ARGS` through the shell (ARGS may hold redirections), standard input from
// `stdin_path` when given.
inline Result RunNeardup(const std::string& args, const std::string& stdin_path = "") {
  const std::string out = Temp("stdout"), err = Temp("stderr");
  std::string cmd = kBinary + " " + args + " >" + out + " 2>" + err;
  if (!stdin_path.empty()) cmd += " <" + stdin_path;
  const int status = std::system(cmd.c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) lines.push_back(line);
  return lines;
}

using neardup::internal::AppendUtf8;  // code point -> UTF-8 (src/internal/utf8.h)

// The value of "key" in one flat JSON line as neardup writes it: strings unescaped, numbers and
// literals (true, null) as written; "" when the key is absent.
inline std::string Field(const std::string& line, const std::string& key) {
  const std::string pat = "\"" + key + "\":";
  size_t p = line.find(pat);
  if (p == std::string::npos) return "";
  p += pat.size();
  while (p < line.size() && line[p] == ' ') ++p;
  if (p >= line.size()) return "";
  if (line[p] != '"') {
    const size_t e = line.find_first_of(",}", p);
    return line.substr(p, e - p);
  }
  std::string out;
  for (size_t i = p + 1; i < line.size() && line[i] != '"'; ++i) {
    if (line[i] != '\\') {
      out.push_back(line[i]);
      continue;
    }
    const char c = line[++i];
    switch (c) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'u': {
        char32_t u = static_cast<char32_t>(std::stoul(line.substr(i + 1, 4), nullptr, 16));
        i += 4;
        if (u >= 0xD800 && u < 0xDC00 && line.compare(i + 1, 2, "\\u") == 0) {
          const char32_t lo = static_cast<char32_t>(std::stoul(line.substr(i + 3, 4), nullptr, 16));
          u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
          i += 6;
        }
        AppendUtf8(u, &out);
        break;
      }
      default: out.push_back(c);  // \" \\ \/
    }
  }
  return out;
}

}  // namespace neardup_test
