// io/replay.h: the second pass over a run's inputs. `dedup`, the report and anything else that
// needs a document's raw bytes after clustering read the inputs again, in the run's order, with
// the run's --max-record-bytes, skipping the records the run found bad, so that the n-th record
// handed out is document n of the RunResult.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "neardup/io/reader.h"
#include "neardup/options.h"
#include "neardup/pipeline.h"

namespace neardup {

struct ReplayedRecord {
  size_t document = 0;        // index into the RunResult's per-document arrays
  int file_index = 0;
  uint64_t line_number = 0;
  std::string_view raw;       // as read, line ends included; valid during the call only
  bool oversized = false;     // longer than max_record_bytes: `raw` is only its first bytes
};

// Calls `on_file` when each input is opened (csv/tsv headers, per-file parsers), then `visit` for
// each good record in order. `visit` returns false to stop early (the rest is not read). Fails
// on I/O errors, on an error from a callback, and with Internal when the inputs no longer hold
// the run's documents ("FILE changed while neardup was reading it").
absl::Status ReplayDocuments(
    const PipelineOptions& options, const RunResult& result,
    const std::function<absl::Status(int file_index, const RecordReader& reader)>& on_file,
    const std::function<absl::StatusOr<bool>(const ReplayedRecord& record)>& visit);

// The same during a run, before its RunResult exists: `bad_record_ordinals` (ascending) are the
// records to skip, and the inputs hold `documents` good records.
absl::Status ReplayDocuments(
    const PipelineOptions& options, absl::Span<const uint64_t> bad_record_ordinals,
    size_t documents,
    const std::function<absl::Status(int file_index, const RecordReader& reader)>& on_file,
    const std::function<absl::StatusOr<bool>(const ReplayedRecord& record)>& visit);

}  // namespace neardup
