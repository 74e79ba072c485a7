#include "neardup/tools/eval.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "internal/status_macros.h"
#include "neardup/io/reader.h"
#include "simdjson.h"

namespace neardup {
namespace {

// n choose 2 for n <= 2^32 fits in uint64_t.
uint64_t Pairs(uint64_t n) { return n < 2 ? 0 : n * (n - 1) / 2; }

// Sums C(count, 2) over the runs of equal values of a sorted vector.
template <typename T>
uint64_t SumPairsOfRuns(const std::vector<T>& sorted) {
  uint64_t sum = 0;
  for (size_t begin = 0; begin < sorted.size();) {
    size_t end = begin + 1;
    while (end < sorted.size() && sorted[end] == sorted[begin]) ++end;
    sum += Pairs(end - begin);
    begin = end;
  }
  return sum;
}

}  // namespace

EvalResult EvaluateClustering(absl::Span<const uint64_t> predicted,
                              absl::Span<const uint64_t> truth) {
  EvalResult r;
  const size_t n = std::min(predicted.size(), truth.size());
  r.n = n;
  // Contingency counts by sorting instead of hashing: no dependence on hash-map order.
  std::vector<uint64_t> p(predicted.begin(), predicted.begin() + n);
  std::vector<uint64_t> t(truth.begin(), truth.begin() + n);
  std::vector<std::pair<uint64_t, uint64_t>> cells(n);
  for (size_t i = 0; i < n; ++i) cells[i] = {p[i], t[i]};
  std::sort(p.begin(), p.end());
  std::sort(t.begin(), t.end());
  std::sort(cells.begin(), cells.end());
  r.predicted_pairs = SumPairsOfRuns(p);
  r.true_pairs = SumPairsOfRuns(t);
  r.common_pairs = SumPairsOfRuns(cells);

  if (r.predicted_pairs > 0) {
    r.pair_precision = static_cast<double>(r.common_pairs) / static_cast<double>(r.predicted_pairs);
  }
  if (r.true_pairs > 0) {
    r.pair_recall = static_cast<double>(r.common_pairs) / static_cast<double>(r.true_pairs);
  }
  const double pr = r.pair_precision + r.pair_recall;
  // P = R = 0 means every predicted pair is wrong: F1 is 0, not "undefined".
  r.pair_f1 = pr > 0 ? 2 * r.pair_precision * r.pair_recall / pr : 0.0;

  // ARI = (index - expected) / (max - expected) with index = sum C(n_ij, 2),
  // expected = sum C(a_i, 2) * sum C(b_j, 2) / C(n, 2), max = (sum C(a_i, 2) + sum C(b_j, 2)) / 2.
  // The product of two pair counts overflows 64 bits from n ~ 2^16 on, hence long double.
  const long double total = static_cast<long double>(Pairs(n));
  if (total > 0) {
    const long double a = static_cast<long double>(r.predicted_pairs);
    const long double b = static_cast<long double>(r.true_pairs);
    const long double expected = a * b / total;
    const long double max_index = (a + b) / 2;
    const long double denom = max_index - expected;
    if (denom != 0) {
      r.ari = static_cast<double>((static_cast<long double>(r.common_pairs) - expected) / denom);
    }
  }
  return r;
}

namespace {

std::string ErrorAt(const std::string& path, size_t line, std::string_view reason) {
  return absl::StrFormat("%s:%d: %s", path, line, reason);
}

// The text of a scalar label or id: strings unescaped, numbers and booleans as written.
// Returns false for objects and arrays; sets *is_null for null.
bool ScalarText(simdjson::ondemand::value value, std::string* out, bool* is_null) {
  *is_null = false;
  simdjson::ondemand::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return false;
  switch (type) {
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) return false;
      out->assign(s);
      return true;
    }
    case simdjson::ondemand::json_type::number:
    case simdjson::ondemand::json_type::boolean: {
      std::string_view raw = value.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r' ||
                              raw.back() == '\n')) {
        raw.remove_suffix(1);
      }
      // Validate the scalar instead of trusting the raw token.
      if (type == simdjson::ondemand::json_type::number) {
        simdjson::ondemand::number num;
        if (value.get_number().get(num) != simdjson::SUCCESS) return false;
      } else {
        bool bit;
        if (value.get_bool().get(bit) != simdjson::SUCCESS) return false;
      }
      out->assign(raw);
      return true;
    }
    case simdjson::ondemand::json_type::null:
      *is_null = true;
      return true;
    default:
      return false;
  }
}

struct Record {
  std::string id;
  bool has_label = false;
  std::string label;
};

// Line r of `batch`, one JSON object: its id and label into `records`.
absl::Status ParseLine(const std::string& path, const RecordBatch& batch, size_t r,
                       const std::string& id_field, const std::string& label_field,
                       bool label_required, simdjson::ondemand::parser* parser_ptr,
                       absl::flat_hash_map<std::string, size_t>* seen_ptr,
                       std::vector<Record>* records) {
  simdjson::ondemand::parser& parser = *parser_ptr;
  absl::flat_hash_map<std::string, size_t>& seen = *seen_ptr;
  const size_t line_no = batch.line_numbers[r];
  if (batch.oversized(r)) {
    return absl::InvalidArgumentError(ErrorAt(
        path, line_no, absl::StrFormat("line of %d bytes is too long", batch.oversized_length[r])));
  }
  std::string_view view = batch.record(r);
  while (!view.empty() && (view.back() == '\n' || view.back() == '\r')) view.remove_suffix(1);
  if (view.find_first_not_of(" \t") == std::string_view::npos) return absl::OkStatus();

  simdjson::padded_string padded(view);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(obj) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(ErrorAt(path, line_no, "not a JSON object"));
  }
  Record rec;
  bool has_id = false;
  for (auto field_result : obj) {
    simdjson::ondemand::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(ErrorAt(path, line_no, "malformed JSON"));
    }
    const bool is_id = key == id_field;
    const bool is_label = !label_field.empty() && key == label_field;
    if (!is_id && !is_label) continue;  // unread values are skipped by the iterator
    std::string text;
    bool is_null = false;
    if (!ScalarText(field.value(), &text, &is_null)) {
      return absl::InvalidArgumentError(ErrorAt(
          path, line_no, absl::StrFormat("field \"%s\" is not a string or number", key)));
    }
    if (is_id) {
      if (is_null) {
        return absl::InvalidArgumentError(ErrorAt(path, line_no, "id is null"));
      }
      rec.id = std::move(text);
      has_id = true;
    } else if (!is_null) {
      rec.label = std::move(text);
      rec.has_label = true;
    }
  }
  // Simdjson 3.0.1's document has no at_end(); a location is only available while tokens
  // remain, so getting one means something follows the object.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == simdjson::SUCCESS) {
    return absl::InvalidArgumentError(ErrorAt(path, line_no, "trailing content after object"));
  }
  if (!has_id) {
    return absl::InvalidArgumentError(
        ErrorAt(path, line_no, absl::StrFormat("missing \"%s\"", id_field)));
  }
  if (label_required && !rec.has_label) {
    return absl::InvalidArgumentError(
        ErrorAt(path, line_no, absl::StrFormat("missing \"%s\"", label_field)));
  }
  auto [it, inserted] = seen.emplace(rec.id, line_no);
  if (!inserted) {
    return absl::InvalidArgumentError(ErrorAt(
        path, line_no,
        absl::StrFormat("duplicate id \"%s\" (first on line %d)", rec.id, it->second)));
  }
  records->push_back(std::move(rec));
  return absl::OkStatus();
}

// Reads a JSONL file; for each object takes `id_field` (required) and `label_field` (optional
// when `label_required` is false; null counts as absent). Blank lines are skipped.
absl::Status ReadJsonl(const std::string& path, const std::string& id_field,
                       const std::string& label_field, bool label_required,
                       std::vector<Record>* records) {
  // The pipeline's reader: plain, .gz or .zst, a BOM and CR line ends taken care of.
  ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader, RecordReader::Open(path, Format::kJsonl));
  simdjson::ondemand::parser parser;
  absl::flat_hash_map<std::string, size_t> seen;
  RecordBatch batch;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->ReadBatch(1 << 20, &batch));
    if (!more) break;
    for (size_t r = 0; r < batch.size(); ++r) {
      RETURN_IF_ERROR(ParseLine(path, batch, r, id_field, label_field, label_required, &parser,
                                &seen, records));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EvalResult> EvaluateFiles(const EvalFiles& files) {
  if (files.truth_field.empty()) {
    return absl::InvalidArgumentError("the truth label field must not be empty");
  }
  std::vector<Record> predicted;
  std::vector<Record> truth;
  RETURN_IF_ERROR(ReadJsonl(files.predicted_path, "id", files.predicted_field,
                            /*label_required=*/true, &predicted));
  RETURN_IF_ERROR(ReadJsonl(files.truth_path, files.id_field, files.truth_field,
                            /*label_required=*/false, &truth));

  absl::flat_hash_map<std::string_view, const Record*> truth_by_id;
  truth_by_id.reserve(truth.size());
  for (const Record& r : truth) truth_by_id.emplace(r.id, &r);

  // Labels become dense integers in order of first appearance in the predicted file; a truth
  // record without a label gets a label of its own (a singleton).
  absl::flat_hash_map<std::string_view, uint64_t> pred_label;
  absl::flat_hash_map<std::string_view, uint64_t> truth_label;
  std::vector<uint64_t> p;
  std::vector<uint64_t> t;
  uint64_t next_truth = 0;
  uint64_t labelled = 0;
  for (const Record& r : truth) labelled += r.has_label;
  if (!truth.empty() && labelled == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        files.truth_path, ": no record has the label field \"", files.truth_field,
        "\" (", truth.size(), " read): is --truth-field right?"));
  }
  for (const Record& rec : predicted) {
    auto it = truth_by_id.find(rec.id);
    if (it == truth_by_id.end()) continue;
    p.push_back(pred_label.emplace(rec.label, pred_label.size()).first->second);
    const Record& tr = *it->second;
    if (tr.has_label) {
      auto [lt, inserted] = truth_label.emplace(tr.label, next_truth);
      if (inserted) ++next_truth;
      t.push_back(lt->second);
    } else {
      t.push_back(next_truth++);
    }
  }
  if (p.empty() && !predicted.empty() && !truth.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no id of ", files.predicted_path, " is in ", files.truth_path, " (", predicted.size(),
        " and ", truth.size(), " records; the truth's ids from field \"", files.id_field,
        "\"): are they the same corpus, and is --id-field right?"));
  }
  EvalResult result = EvaluateClustering(p, t);
  result.predicted_records = predicted.size();
  result.truth_records = truth.size();
  result.truth_labelled = labelled;
  return result;
}

}  // namespace neardup
