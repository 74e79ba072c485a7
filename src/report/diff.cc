// The report's title diff: Myers (1986) over code points, bounded, then grouped for reading.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "internal/utf8.h"
#include "neardup/report/report.h"

namespace neardup {
namespace {

// A code point's position in its string; compared by its bytes.
struct CodePoint {
  uint32_t offset;
  uint32_t length;
};

std::vector<CodePoint> SplitCodePoints(std::string_view text) {
  std::vector<CodePoint> out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t len = internal::Utf8CodePointLength(text, i);
    out.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(len)});
    i += len;
  }
  return out;
}

// One edit script entry per code point of the middle: 'E'qual, 'D'elete (from a), 'I'nsert.
struct Op {
  char kind;
  int index;  // into a (E, D) or b (I)
};

// The two texts split into code points, with the common prefix and suffix set aside: the middle
// of `from` is a(0..n), the middle of `to` is b(0..m).
struct Middle {
  std::string_view from, to;
  std::vector<CodePoint> a_all, b_all;
  size_t prefix = 0, suffix = 0;
  int n = 0, m = 0;

  Middle(std::string_view f, std::string_view t)
      : from(f), to(t), a_all(SplitCodePoints(f)), b_all(SplitCodePoints(t)) {
    while (prefix < a_all.size() && prefix < b_all.size() && same(a_all[prefix], b_all[prefix])) {
      ++prefix;
    }
    while (suffix < a_all.size() - prefix && suffix < b_all.size() - prefix &&
           same(a_all[a_all.size() - 1 - suffix], b_all[b_all.size() - 1 - suffix])) {
      ++suffix;
    }
    n = static_cast<int>(a_all.size() - prefix - suffix);
    m = static_cast<int>(b_all.size() - prefix - suffix);
  }
  bool same(const CodePoint& x, const CodePoint& y) const {
    return from.substr(x.offset, x.length) == to.substr(y.offset, y.length);
  }
  const CodePoint& a(int i) const { return a_all[prefix + static_cast<size_t>(i)]; }
  const CodePoint& b(int j) const { return b_all[prefix + static_cast<size_t>(j)]; }
  std::string_view text_a(int i) const { return from.substr(a(i).offset, a(i).length); }
  std::string_view text_b(int j) const { return to.substr(b(j).offset, b(j).length); }
};

// Myers' greedy forward search over the middle, keeping V of every round for the backtrack.
// Returns false when no script of at most `max_d` edits exists.
bool MyersScript(const Middle& mid, int max_d, std::vector<Op>* ops) {
  const int n = mid.n, m = mid.m;
  if (n == 0 || m == 0) {
    for (int i = 0; i < n; ++i) ops->push_back({'D', i});
    for (int j = 0; j < m; ++j) ops->push_back({'I', j});
    return true;
  }
  bool solved = false;
  const int offset = max_d + 1;
  std::vector<int> v(static_cast<size_t>(2 * max_d + 3), 0);
  std::vector<std::vector<int>> trace;
  for (int d = 0; d <= max_d && !solved; ++d) {
    trace.push_back(v);
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
                  ? v[offset + k + 1]
                  : v[offset + k - 1] + 1;
      int y = x - k;
      while (x < n && y < m && mid.same(mid.a(x), mid.b(y))) ++x, ++y;
      v[offset + k] = x;
      if (x >= n && y >= m) {
        solved = true;
        break;
      }
    }
  }
  if (!solved) return false;
  int x = n, y = m;
  for (int d = static_cast<int>(trace.size()) - 1; d >= 0; --d) {
    const std::vector<int>& pv = trace[static_cast<size_t>(d)];
    const int k = x - y;
    const int prev_k =
        (k == -d || (k != d && pv[offset + k - 1] < pv[offset + k + 1])) ? k + 1 : k - 1;
    const int prev_x = pv[offset + prev_k];
    const int prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) {
      ops->push_back({'E', x - 1});
      --x, --y;
    }
    if (d > 0) {
      if (x == prev_x) ops->push_back({'I', y - 1});
      else ops->push_back({'D', x - 1});
    }
    x = prev_x;
    y = prev_y;
  }
  std::reverse(ops->begin(), ops->end());
  return true;
}

// Spans from the script: within a run of changes, all deletions before all insertions; an equal
// run of one code point between two changes is folded into them (fewer, more readable marks).
std::vector<DiffSpan> GroupSpans(const Middle& mid, const std::vector<Op>& ops) {
  std::vector<DiffSpan> spans;
  auto push = [&spans](DiffSpan::Kind kind, std::string_view text) {
    if (text.empty()) return;
    if (!spans.empty() && spans.back().kind == kind) {
      spans.back().text.append(text.data(), text.size());
    } else {
      spans.push_back({kind, std::string(text)});
    }
  };
  if (mid.prefix > 0) {
    const CodePoint& last = mid.a_all[mid.prefix - 1];
    push(DiffSpan::kEqual, mid.from.substr(0, last.offset + last.length));
  }
  std::string del, ins;
  size_t i = 0;
  while (i < ops.size()) {
    if (ops[i].kind == 'E') {
      size_t j = i;
      while (j < ops.size() && ops[j].kind == 'E') ++j;
      const bool between = (!del.empty() || !ins.empty()) && j < ops.size() && j - i == 1;
      if (between) {
        const std::string_view t = mid.text_a(ops[i].index);
        del.append(t.data(), t.size());
        ins.append(t.data(), t.size());
      } else {
        push(DiffSpan::kDelete, del);
        push(DiffSpan::kInsert, ins);
        del.clear();
        ins.clear();
        for (size_t e = i; e < j; ++e) push(DiffSpan::kEqual, mid.text_a(ops[e].index));
      }
      i = j;
      continue;
    }
    const std::string_view t =
        ops[i].kind == 'D' ? mid.text_a(ops[i].index) : mid.text_b(ops[i].index);
    (ops[i].kind == 'D' ? del : ins).append(t.data(), t.size());
    ++i;
  }
  push(DiffSpan::kDelete, del);
  push(DiffSpan::kInsert, ins);
  if (mid.suffix > 0) {
    push(DiffSpan::kEqual, mid.from.substr(mid.a_all[mid.a_all.size() - mid.suffix].offset));
  }
  return spans;
}

}  // namespace

std::vector<DiffSpan> DiffCodePoints(std::string_view from, std::string_view to,
                                     size_t max_edits) {
  const Middle mid(from, to);
  const int max_d =
      static_cast<int>(std::min<size_t>(static_cast<size_t>(mid.n + mid.m), max_edits));
  std::vector<Op> ops;
  bool solved = MyersScript(mid, max_d, &ops);
  // Too different (no script within the bound, or the middle shares under a third of its code
  // points, which would only scatter marks over unrelated text): one delete and one insert.
  if (solved) {
    int equal = 0;
    for (const Op& op : ops) equal += op.kind == 'E' ? 1 : 0;
    if (equal * 3 < std::max(mid.n, mid.m)) solved = false;
  }
  if (!solved) {
    ops.clear();
    for (int i = 0; i < mid.n; ++i) ops.push_back({'D', i});
    for (int j = 0; j < mid.m; ++j) ops.push_back({'I', j});
  }
  return GroupSpans(mid, ops);
}

}  // namespace neardup
