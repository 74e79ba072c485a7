// temp_dir.h: where neardup puts temporary files (standard input spooled for a second read,
// spilled LSH band keys) when no directory is given.
#pragma once

#include <cstdlib>
#include <string>

namespace neardup::internal {

// $TMPDIR when it is set and not empty, else /tmp.
inline std::string TemporaryDirectory() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
}

}  // namespace neardup::internal
