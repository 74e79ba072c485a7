// internal/status_macros.h: Debian's Abseil (20220623) ships no status macros; these are ours.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define NEARDUP_CONCAT_INNER(a, b) a##b
#define NEARDUP_CONCAT(a, b) NEARDUP_CONCAT_INNER(a, b)

// Returns from the current function if `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                       \
  do {                                              \
    ::absl::Status neardup_status_ = (expr);        \
    if (!neardup_status_.ok()) return neardup_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F())`: evaluates F() (an absl::StatusOr<T>), returns its status on
// error, otherwise moves the value into the declaration on the left.
#define ASSIGN_OR_RETURN(lhs, expr) \
  NEARDUP_ASSIGN_OR_RETURN_IMPL(NEARDUP_CONCAT(neardup_statusor_, __LINE__), lhs, expr)
#define NEARDUP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
