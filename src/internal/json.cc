#include "internal/json.h"

#include <cmath>
#include <cstdio>

#include "neardup/text/normalize.h"

namespace neardup::internal {

void AppendJsonString(std::string* out, std::string_view s) {
  // Repair only when needed: the common case is valid UTF-8 with nothing to escape.
  std::string repaired;
  for (unsigned char c : s) {
    if (c >= 0x80) {
      if (RepairUtf8(s, &repaired) > 0) s = repaired;
      break;
    }
  }
  out->push_back('"');
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendJsonNumber(std::string* out, double value) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.6f", value);
  // Trim trailing zeros and a trailing point: "0.812500" -> "0.8125", "1.000000" -> "1".
  while (n > 0 && buf[n - 1] == '0') --n;
  if (n > 0 && buf[n - 1] == '.') --n;
  if (n == 2 && buf[0] == '-' && buf[1] == '0') {  // "-0"
    buf[0] = '0';
    n = 1;
  }
  out->append(buf, static_cast<size_t>(n));
}

}  // namespace neardup::internal
