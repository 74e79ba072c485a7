// scoped_dir.h (tests): a fresh temporary directory for a test, and what is left in it.
#pragma once

#include <dirent.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "gtest/gtest.h"

namespace neardup::testing_util {

// A fresh empty directory under GoogleTest's temporary directory, removed with whatever it holds
// when the object dies. `prefix` names it, to tell tests apart.
class ScopedDir {
 public:
  explicit ScopedDir(const std::string& prefix) {
    std::string d = ::testing::TempDir() + prefix + "_XXXXXX";
    path_ = mkdtemp(d.data()) != nullptr ? d : "";
  }
  ~ScopedDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScopedDir(const ScopedDir&) = delete;
  ScopedDir& operator=(const ScopedDir&) = delete;
  // "" when the directory could not be made.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Names in `dir` other than . and ..
inline std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return {"<cannot open " + dir + ">"};
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

}  // namespace neardup::testing_util
