#include "neardup/io/replay.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "internal/status_macros.h"

namespace neardup {

absl::Status ReplayDocuments(
    const PipelineOptions& options, const RunResult& result,
    const std::function<absl::Status(int file_index, const RecordReader& reader)>& on_file,
    const std::function<absl::StatusOr<bool>(const ReplayedRecord& record)>& visit) {
  return ReplayDocuments(options, result.bad_record_ordinals, result.num_documents(), on_file,
                         visit);
}

absl::Status ReplayDocuments(
    const PipelineOptions& options, absl::Span<const uint64_t> bad_record_ordinals,
    size_t documents,
    const std::function<absl::Status(int file_index, const RecordReader& reader)>& on_file,
    const std::function<absl::StatusOr<bool>(const ReplayedRecord& record)>& visit) {
  uint64_t ordinal = 0;
  size_t next_bad = 0;
  size_t doc = 0;
  RecordBatch batch;
  for (size_t i = 0; i < options.inputs.size(); ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader,
                     RecordReader::Open(options.inputs[i], options.FormatOf(i),
                                        options.max_record_bytes));
    if (on_file) RETURN_IF_ERROR(on_file(static_cast<int>(i), *reader));
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader->ReadBatch(options.batch_bytes, &batch));
      if (!more) break;
      for (size_t r = 0; r < batch.size(); ++r, ++ordinal) {
        if (next_bad < bad_record_ordinals.size() &&
            bad_record_ordinals[next_bad] == ordinal) {
          ++next_bad;
          continue;
        }
        if (doc >= documents) {
          return absl::InternalError(
              absl::StrCat(options.LabelOf(i), " changed while neardup was reading it"));
        }
        ReplayedRecord record;
        record.document = doc++;
        record.file_index = static_cast<int>(i);
        record.line_number = batch.line_numbers[r];
        record.raw = batch.record(r);
        record.oversized = batch.oversized(r);
        ASSIGN_OR_RETURN(bool go_on, visit(record));
        if (!go_on) return absl::OkStatus();
      }
    }
  }
  if (doc != documents) {
    return absl::InternalError("the inputs changed while neardup was reading them");
  }
  return absl::OkStatus();
}

}  // namespace neardup
