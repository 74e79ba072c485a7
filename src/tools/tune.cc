#include "neardup/sketch/engine.h"
#include "neardup/tools/tune.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "internal/json.h"
#include "internal/status_macros.h"
#include "neardup/dist/mpi.h"
#include "neardup/tools/eval.h"
#include "neardup/io/reader.h"

namespace neardup {
namespace {

// Debian's Abseil has its own string_view; StrCat and friends take only that one.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

constexpr size_t kMaxThresholds = 10000;
constexpr size_t kBatchBytes = size_t{1} << 20;

double Round6(double x) { return std::round(x * 1e6) / 1e6; }

// a/b > c/d for non-negative fractions with non-zero denominators, exactly (128-bit products).
int CompareFractions(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  const unsigned __int128 left = static_cast<unsigned __int128>(a) * d;
  const unsigned __int128 right = static_cast<unsigned __int128>(c) * b;
  return left < right ? -1 : left > right ? 1 : 0;
}

// F1 as the fraction 2 tp / (2 tp + fp + fn); 0 / 0 is 1 (nothing positive, nothing predicted).
std::pair<uint64_t, uint64_t> F1Fraction(const PairCounts& c) {
  const uint64_t den = 2 * c.tp + c.fp + c.fn;
  return den == 0 ? std::make_pair(uint64_t{1}, uint64_t{1}) : std::make_pair(2 * c.tp, den);
}

int CompareF1(const PairCounts& a, const PairCounts& b) {
  auto [an, ad] = F1Fraction(a);
  auto [bn, bd] = F1Fraction(b);
  return CompareFractions(an, ad, bn, bd);
}

int CompareRecall(const PairCounts& a, const PairCounts& b) {
  const uint64_t ap = a.positives(), bp = b.positives();
  return CompareFractions(ap == 0 ? 1 : a.tp, ap == 0 ? 1 : ap, bp == 0 ? 1 : b.tp,
                          bp == 0 ? 1 : bp);
}

bool SameSpec(const ShingleSpec& a, const ShingleSpec& b) {
  return a.unit == b.unit && a.k == b.k && a.keep_spaces == b.keep_spaces;
}

absl::Status CheckGrid(const std::vector<ShingleSpec>& shingles,
                       const std::vector<double>& thresholds, double min_precision) {
  if (shingles.empty()) return absl::InvalidArgumentError("--shingles: no shingle spec given");
  if (thresholds.empty()) return absl::InvalidArgumentError("--thresholds: no threshold given");
  for (double t : thresholds) {
    if (!(t > 0 && t <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--thresholds: %g is outside (0, 1]", t));
    }
  }
  if (!(min_precision > 0 && min_precision <= 1)) {
    return absl::InvalidArgumentError("--min-precision must be in (0, 1]");
  }
  return absl::OkStatus();
}

// --- Pairs input ---

// Reads one field value as a label: numbers (non-zero is positive), booleans, and the strings
// "0", "1", "true", "false".
bool ReadLabel(simdjson::ondemand::value& value, bool* positive, std::string* reason) {
  using simdjson::ondemand::json_type;
  json_type type;
  if (value.type().get(type)) {
    *reason = "unreadable label";
    return false;
  }
  if (type == json_type::number) {
    double d;
    if (value.get_double().get(d)) {
      *reason = "unreadable label number";
      return false;
    }
    *positive = d != 0;
    return true;
  }
  if (type == json_type::boolean) {
    bool b;
    if (value.get_bool().get(b)) {
      *reason = "unreadable label";
      return false;
    }
    *positive = b;
    return true;
  }
  if (type == json_type::string) {
    std::string_view s;
    if (value.get_string().get(s)) {
      *reason = "unreadable label string";
      return false;
    }
    const std::string lower = absl::AsciiStrToLower(Av(s));
    if (lower == "1" || lower == "true") {
      *positive = true;
      return true;
    }
    if (lower == "0" || lower == "false") {
      *positive = false;
      return true;
    }
    *reason = absl::StrCat("label \"", Av(s), "\" is not 0, 1, true or false");
    return false;
  }
  *reason = "label is not a number, boolean or string";
  return false;
}

bool ReadScore(simdjson::ondemand::value& value, double* score, std::string* reason) {
  using simdjson::ondemand::json_type;
  json_type type;
  if (!value.type().get(type)) {
    if (type == json_type::number && !value.get_double().get(*score)) return true;
    std::string_view s;
    if (type == json_type::string && !value.get_string().get(s) &&
        absl::SimpleAtod(Av(s), score) && std::isfinite(*score)) {
      return true;
    }
  }
  *reason = "score is not a number";
  return false;
}

// Parses one JSONL record into `pair`; returns "" or the reason it cannot be used.
std::string ParsePairRecord(simdjson::ondemand::parser& parser, std::string_view record,
                            const PairInputOptions& options, LabelledPair* pair) {
  using simdjson::ondemand::json_type;
  std::string repaired;
  simdjson::padded_string padded(record.data(), record.size());
  simdjson::ondemand::document doc;
  simdjson::error_code err = parser.iterate(padded).get(doc);
  json_type type;
  if (!err) err = doc.type().get(type);
  if (err == simdjson::UTF8_ERROR) {
    // Repair invalid UTF-8 (as the record reader does) and try once more.
    RepairUtf8(record, &repaired);
    padded = simdjson::padded_string(repaired.data(), repaired.size());
    err = parser.iterate(padded).get(doc);
    if (!err) err = doc.type().get(type);
  }
  if (err) return absl::StrCat("invalid JSON: ", simdjson::error_message(err));
  if (type != json_type::object) return "expected a JSON object";
  simdjson::ondemand::object object;
  if (doc.get_object().get(object)) return "expected a JSON object";
  bool have_a = false, have_b = false, have_label = false;
  std::string reason;
  for (auto field_result : object) {
    simdjson::ondemand::field field;
    if ((err = std::move(field_result).get(field))) {
      return absl::StrCat("invalid JSON: ", simdjson::error_message(err));
    }
    std::string_view key;
    if ((err = field.unescaped_key().get(key))) {
      return absl::StrCat("invalid JSON: ", simdjson::error_message(err));
    }
    simdjson::ondemand::value value = field.value();
    if (key == options.text_a || key == options.text_b) {
      std::string_view s;
      if (value.get_string().get(s)) {
        return absl::StrCat("field \"", Av(key), "\" is not a string");
      }
      if (key == options.text_a) {
        pair->text_a.assign(s);
        have_a = true;
      }
      if (key == options.text_b) {
        pair->text_b.assign(s);
        have_b = true;
      }
    } else if (!options.label_field.empty() && key == options.label_field) {
      bool positive = false;
      if (!ReadLabel(value, &positive, &reason)) return reason;
      pair->positive = positive;
      have_label = true;
    } else if (!options.score_field.empty() && key == options.score_field) {
      double score = 0;
      if (!ReadScore(value, &score, &reason)) return reason;
      pair->positive = score >= options.positive_score;
      have_label = true;
    }
  }
  if (!have_a) return absl::StrCat("no field \"", Av(options.text_a), "\"");
  if (!have_b) return absl::StrCat("no field \"", Av(options.text_b), "\"");
  if (!have_label) {
    return absl::StrCat("no field \"",
                        Av(options.label_field.empty() ? options.score_field
                                                       : options.label_field),
                        "\"");
  }
  return "";
}

// --- Rendering helpers ---

std::string Num(double x) {
  std::string s;
  internal::AppendJsonNumber(&s, x);
  return s;
}

void AppendRowJson(const TuneRow& row, TuneMode mode, std::string* out) {
  const PairCounts& c = row.counts;
  absl::StrAppend(out, "{\"shingle\": ");
  internal::AppendJsonString(out, row.shingle.ToString());
  absl::StrAppend(out, ", \"threshold\": ", Num(row.threshold));
  if (row.title_threshold) absl::StrAppend(out, ", \"title_threshold\": ", Num(*row.title_threshold));
  absl::StrAppend(out, ", \"precision\": ", Num(c.precision()), ", \"recall\": ", Num(c.recall()),
                  ", \"f1\": ", Num(c.f1()));
  if (mode == TuneMode::kPairs) {
    absl::StrAppend(out, ", \"accuracy\": ", Num(c.accuracy()));
  } else {
    if (row.ari) absl::StrAppend(out, ", \"ari\": ", Num(*row.ari));
    if (row.clusters) absl::StrAppend(out, ", \"clusters\": ", *row.clusters);
  }
  absl::StrAppend(out, ", \"tp\": ", c.tp, ", \"fp\": ", c.fp, ", \"fn\": ", c.fn,
                  ", \"tn\": ", c.tn, "}");
}

std::string Setting(const TuneRow& row) {
  std::string s = absl::StrCat(Av(row.shingle.ToString()), " threshold ", Num(row.threshold));
  if (row.title_threshold) absl::StrAppend(&s, " (title ", Num(*row.title_threshold), ")");
  return s;
}

std::string Scores(const TuneRow& row, TuneMode mode) {
  const PairCounts& c = row.counts;
  std::string s = absl::StrFormat("P %.4f  R %.4f  F1 %.4f", c.precision(), c.recall(), c.f1());
  if (mode == TuneMode::kPairs) absl::StrAppend(&s, absl::StrFormat("  acc %.4f", c.accuracy()));
  if (row.ari) absl::StrAppend(&s, absl::StrFormat("  ARI %.4f", *row.ari));
  return s;
}

// Pairs mode: whether the recommended F1 is above the all-positive predictor's.
bool BeatsTrivial(const TuneReport& report) {
  if (report.rows.empty()) return false;
  const PairCounts& best = report.rows[report.recommended].counts;
  const PairCounts all_positive{best.positives(), report.items - best.positives(), 0, 0};
  return CompareF1(best, all_positive) > 0;
}

}  // namespace

// --- Grids ---

absl::StatusOr<std::vector<double>> ParseThresholdGrid(std::string_view text) {
  std::vector<double> values;
  auto number = [&](absl::string_view s, double* x) -> absl::Status {
    absl::string_view t = absl::StripAsciiWhitespace(s);
    if (!absl::SimpleAtod(t, x) || !std::isfinite(*x)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--thresholds: \"", t, "\" is not a number"));
    }
    return absl::OkStatus();
  };
  if (text.find(':') != std::string_view::npos) {
    std::vector<absl::string_view> parts = absl::StrSplit(Av(text), ':');
    if (parts.size() != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("--thresholds: expected LO:HI:STEP (e.g. 0.1:0.95:0.05) or a comma list, "
                       "got \"", Av(text), "\""));
    }
    double lo, hi, step;
    RETURN_IF_ERROR(number(parts[0], &lo));
    RETURN_IF_ERROR(number(parts[1], &hi));
    RETURN_IF_ERROR(number(parts[2], &step));
    if (!(step > 0) || hi < lo) {
      return absl::InvalidArgumentError("--thresholds: LO:HI:STEP needs LO <= HI and STEP > 0");
    }
    if ((hi - lo) / step > kMaxThresholds) {
      return absl::InvalidArgumentError("--thresholds: more than 10000 values");
    }
    // Multiply rather than accumulate, so rounding errors do not add up.
    for (uint64_t i = 0;; ++i) {
      const double x = lo + static_cast<double>(i) * step;
      if (x > hi + 1e-9) break;
      values.push_back(Round6(x));
    }
  } else {
    for (absl::string_view part : absl::StrSplit(Av(text), ',')) {
      double x;
      RETURN_IF_ERROR(number(part, &x));
      values.push_back(Round6(x));
    }
    if (values.size() > kMaxThresholds) {
      return absl::InvalidArgumentError("--thresholds: more than 10000 values");
    }
  }
  for (double x : values) {
    if (!(x > 0 && x <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--thresholds: %g is outside (0, 1]", x));
    }
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

absl::StatusOr<std::vector<ShingleSpec>> ParseShingleList(std::string_view text) {
  std::vector<ShingleSpec> specs;
  for (absl::string_view part : absl::StrSplit(Av(text), ',')) {
    absl::string_view t = absl::StripAsciiWhitespace(part);
    auto spec = ShingleSpec::Parse(std::string_view(t.data(), t.size()));
    if (!spec.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--shingles: ", spec.status().message()));
    }
    for (const ShingleSpec& s : specs) {
      if (SameSpec(s, *spec)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--shingles: ", Av(spec->ToString()), " is listed twice"));
      }
    }
    specs.push_back(*spec);
  }
  return specs;
}

// --- Scores ---

double PairCounts::precision() const {
  return predicted() == 0 ? 1.0 : static_cast<double>(tp) / static_cast<double>(predicted());
}
double PairCounts::recall() const {
  return positives() == 0 ? 1.0 : static_cast<double>(tp) / static_cast<double>(positives());
}
double PairCounts::f1() const {
  auto [num, den] = F1Fraction(*this);
  return static_cast<double>(num) / static_cast<double>(den);
}
double PairCounts::accuracy() const {
  return total() == 0 ? 1.0 : static_cast<double>(tp + tn) / static_cast<double>(total());
}

size_t RecommendSetting(absl::Span<const TuneRow> rows) {
  size_t best = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const int c = CompareF1(rows[i].counts, rows[best].counts);
    // Strictly better F1, or equal F1 at a strictly higher threshold; a later shingle with the
    // same F1 and threshold never displaces an earlier one.
    if (c > 0 || (c == 0 && rows[i].threshold > rows[best].threshold)) best = i;
  }
  return best;
}

std::optional<size_t> SafeSetting(absl::Span<const TuneRow> rows, const ShingleSpec& shingle,
                                  double min_precision) {
  std::optional<size_t> best;
  for (size_t i = 0; i < rows.size(); ++i) {
    const TuneRow& r = rows[i];
    if (!SameSpec(r.shingle, shingle) || r.counts.tp == 0) continue;
    // Compare precision with a hair of tolerance so that exactly 0.9 (9 of 10) counts.
    if (r.counts.precision() < min_precision - 1e-12) continue;
    if (!best) {
      best = i;
      continue;
    }
    const int c = CompareRecall(r.counts, rows[*best].counts);
    if (c > 0 || (c == 0 && r.threshold > rows[*best].threshold)) best = i;
  }
  return best;
}

void FinishReport(TuneReport* report) {
  report->recommended = report->rows.empty() ? 0 : RecommendSetting(report->rows);
  report->safe.clear();
  for (const ShingleSpec& s : report->shingles) {
    report->safe.push_back(SafeSetting(report->rows, s, report->min_precision));
  }
}

// --- Pairs mode ---

absl::StatusOr<std::vector<LabelledPair>> ReadLabelledPairs(
    const std::string& path, const PairInputOptions& options,
    const std::function<void(const std::string&)>& on_skip) {
  if (options.label_field.empty() == options.score_field.empty()) {
    return absl::InvalidArgumentError(
        "give exactly one of --label-field (0/1 or true/false) and --score-field (with "
        "--positive-score)");
  }
  if (!std::isfinite(options.positive_score)) {
    return absl::InvalidArgumentError("--positive-score must be a finite number");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader, RecordReader::Open(path, Format::kJsonl));
  simdjson::ondemand::parser parser;
  std::vector<LabelledPair> pairs;
  uint64_t skipped = 0;
  RecordBatch batch;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->ReadBatch(kBatchBytes, &batch));
    if (!more) break;
    for (size_t i = 0; i < batch.size(); ++i) {
      LabelledPair pair;
      std::string reason =
          batch.oversized(i)
              ? absl::StrCat("record of ", batch.oversized_length[i], " bytes is too long")
              : ParsePairRecord(parser, batch.record(i), options, &pair);
      if (reason.empty()) {
        pairs.push_back(std::move(pair));
      } else {
        ++skipped;
        if (on_skip) on_skip(absl::StrCat(path, ":", batch.line_numbers[i], ": ", reason));
      }
    }
  }
  if (pairs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": no labelled pair could be read", skipped > 0 ? absl::StrCat(" (", skipped, " records skipped)") : ""));
  }
  return pairs;
}

double PairJaccard(const LabelledPair& pair, const Normalizer& normalizer, TextField field,
                   const ShingleSpec& shingle, uint64_t seed) {
  std::string a, b;
  normalizer.Normalize(pair.text_a, field, &a);
  normalizer.Normalize(pair.text_b, field, &b);
  return ExactJaccard(ShingleSet(a, shingle, seed), ShingleSet(b, shingle, seed));
}

absl::StatusOr<TuneReport> SweepPairs(absl::Span<const LabelledPair> pairs,
                                      const Normalizer& normalizer,
                                      const PairSweepOptions& options) {
  if (pairs.empty()) return absl::InvalidArgumentError("no labelled pairs");
  RETURN_IF_ERROR(CheckGrid(options.shingles, options.thresholds, options.min_precision));
  std::vector<double> thresholds = options.thresholds;
  std::sort(thresholds.begin(), thresholds.end());

  // Normalize every text once; shingle once per spec.
  std::vector<std::string> norm_a(pairs.size()), norm_b(pairs.size());
  uint64_t positives = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    normalizer.Normalize(pairs[i].text_a, options.field, &norm_a[i]);
    normalizer.Normalize(pairs[i].text_b, options.field, &norm_b[i]);
    positives += pairs[i].positive ? 1 : 0;
  }

  TuneReport report;
  report.mode = TuneMode::kPairs;
  report.shingles = options.shingles;
  report.min_precision = options.min_precision;
  report.items = pairs.size();
  report.trivial_f1 = static_cast<double>(2 * positives) /
                      static_cast<double>(positives + pairs.size());
  std::vector<double> jaccard(pairs.size());
  for (const ShingleSpec& spec : options.shingles) {
    for (size_t i = 0; i < pairs.size(); ++i) {
      jaccard[i] = ExactJaccard(ShingleSet(norm_a[i], spec, options.seed),
                                ShingleSet(norm_b[i], spec, options.seed));
    }
    for (double t : thresholds) {
      TuneRow row;
      row.shingle = spec;
      row.threshold = t;
      for (size_t i = 0; i < pairs.size(); ++i) {
        const bool predicted = jaccard[i] >= t;
        if (predicted) {
          ++(pairs[i].positive ? row.counts.tp : row.counts.fp);
        } else {
          ++(pairs[i].positive ? row.counts.fn : row.counts.tn);
        }
      }
      report.rows.push_back(row);
    }
  }
  FinishReport(&report);
  return report;
}

// --- Clusters mode ---

absl::StatusOr<SweepField> ParseSweepField(std::string_view name) {
  if (name == "body") return SweepField::kBody;
  if (name == "title") return SweepField::kTitle;
  if (name == "both") return SweepField::kBoth;
  return absl::InvalidArgumentError(
      absl::StrCat("--sweep-field: expected body, title or both, got \"", Av(name), "\""));
}

std::string_view SweepFieldName(SweepField field) {
  switch (field) {
    case SweepField::kBody: return "body";
    case SweepField::kTitle: return "title";
    case SweepField::kBoth: return "both";
  }
  return "both";
}

absl::StatusOr<std::vector<uint64_t>> ReadTruthLabels(const PipelineOptions& options,
                                                      const std::string& truth_field) {
  if (truth_field.empty()) return absl::InvalidArgumentError("--truth-field is empty");
  // The truth field is read as the parser reads an id: a string, or a number's text. Title and
  // text are pointed at a name no record uses, so only the label is copied.
  FieldNames fields;
  fields.id = truth_field;
  fields.title = fields.text = std::string("\x1f" "neardup-tune-unused");
  absl::flat_hash_map<std::string, uint64_t> label_ids;
  uint64_t next_unique = uint64_t{1} << 63;  // a record without a label: its own cluster
  std::vector<uint64_t> labels;
  Document doc;
  RecordBatch batch;
  for (size_t f = 0; f < options.inputs.size(); ++f) {
    const Format format = options.FormatOf(f);
    if (format == Format::kText) {
      return absl::InvalidArgumentError(absl::StrCat(
          options.LabelOf(f), ": plain text has no fields, so no --truth-field to read"));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader,
                     RecordReader::Open(options.inputs[f], format, options.max_record_bytes));
    RecordParser parser(format, fields, options.LabelOf(f), reader->columns());
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader->ReadBatch(kBatchBytes, &batch));
      if (!more) break;
      for (size_t i = 0; i < batch.size(); ++i) {
        const uint64_t line = batch.line_numbers[i];
        bool have = false;
        if (!batch.oversized(i) && parser.Parse(batch.record(i), line, &doc).ok()) {
          // An absent or empty field gives the default id "FILE:LINE".
          have = !doc.id.empty() && doc.id != absl::StrCat(Av(options.LabelOf(f)), ":", line);
        }
        if (!have) {
          labels.push_back(next_unique++);
          continue;
        }
        auto [it, inserted] = label_ids.try_emplace(doc.id, label_ids.size());
        labels.push_back(it->second);
      }
    }
  }
  return labels;
}

absl::Status ClusterSweepOptions::Validate() const {
  RETURN_IF_ERROR(CheckGrid(shingles, thresholds, min_precision));
  if (truth_field.empty()) return absl::InvalidArgumentError("--truth-field is empty");
  if (SketchEngine::Get(pipeline.algo).similarity_kind() == SimilarityKind::kHammingScore) {
    return absl::InvalidArgumentError(
        "tune clusters sweeps Jaccard thresholds, which --algo simhash does not use (it has "
        "--max-hamming); use --algo minhash or exact");
  }
  if (!(title_offset >= -1 && title_offset <= 1)) {
    return absl::InvalidArgumentError("--title-offset must be in [-1, 1]");
  }
  for (size_t i = 0; i < pipeline.inputs.size(); ++i) {
    if (pipeline.inputs[i] == "-") {
      return absl::InvalidArgumentError(
          "tune clusters reads its inputs once per setting: standard input (-) is not "
          "supported; save it to a file first");
    }
    if (pipeline.FormatOf(i) == Format::kText) {
      return absl::InvalidArgumentError(absl::StrCat(
          pipeline.LabelOf(i), ": plain text has no fields, so no --truth-field to read"));
    }
  }
  return pipeline.Validate();
}

absl::StatusOr<TuneReport> SweepClusters(
    const ClusterSweepOptions& options, const RunCallbacks& callbacks,
    const std::function<void(size_t setting, size_t total)>& on_setting) {
  RETURN_IF_ERROR(options.Validate());
  std::vector<double> thresholds = options.thresholds;
  std::sort(thresholds.begin(), thresholds.end());
  ASSIGN_OR_RETURN(std::vector<uint64_t> truth_by_record,
                   ReadTruthLabels(options.pipeline, options.truth_field));

  TuneReport report;
  report.mode = TuneMode::kClusters;
  report.shingles = options.shingles;
  report.min_precision = options.min_precision;
  std::vector<uint64_t> truth;  // per document, filled after the first run
  std::vector<uint64_t> predicted;
  const size_t total = options.shingles.size() * thresholds.size();
  size_t setting = 0;
  for (const ShingleSpec& spec : options.shingles) {
    for (double t : thresholds) {
      if (on_setting) on_setting(setting, total);
      PipelineOptions run = options.pipeline;
      TuneRow row;
      row.shingle = spec;
      row.threshold = t;
      if (options.sweep != SweepField::kTitle) {
        run.shingle = spec;
        run.threshold = t;
      }
      if (options.sweep == SweepField::kTitle) {
        run.title_shingle = spec;
        run.title_threshold = t;
      } else if (options.sweep == SweepField::kBoth) {
        run.title_shingle = spec;
        run.title_threshold = Round6(std::clamp(t + options.title_offset, 0.01, 1.0));
        if (options.title_offset != 0) row.title_threshold = run.title_threshold;
      }
      RETURN_IF_ERROR(run.Validate());
      ASSIGN_OR_RETURN(RunResult result,
                       mpi::RunPipelineOnRanks(run, setting == 0 ? callbacks : RunCallbacks{}));
      if (setting == 0) {
        if (result.counts.records_read != truth_by_record.size()) {
          return absl::InternalError(absl::StrCat(
              "tune: the pipeline read ", result.counts.records_read, " records but the truth ",
              truth_by_record.size()));
        }
        // Drop the records the pipeline skipped; documents are the rest, in input order.
        size_t b = 0;
        for (uint64_t r = 0; r < truth_by_record.size(); ++r) {
          if (b < result.bad_record_ordinals.size() && result.bad_record_ordinals[b] == r) {
            ++b;
            continue;
          }
          truth.push_back(truth_by_record[r]);
        }
        report.items = truth.size();
        report.skipped = result.counts.records_bad;
      }
      if (result.num_documents() != truth.size()) {
        return absl::InternalError("tune: the document count changed between settings");
      }
      predicted.assign(result.representative.begin(), result.representative.end());
      const EvalResult e = EvaluateClustering(predicted, truth);
      const uint64_t n = e.n;
      const uint64_t all_pairs = n < 2 ? 0 : n * (n - 1) / 2;
      row.counts.tp = e.common_pairs;
      row.counts.fp = e.predicted_pairs - e.common_pairs;
      row.counts.fn = e.true_pairs - e.common_pairs;
      row.counts.tn = all_pairs - row.counts.tp - row.counts.fp - row.counts.fn;
      row.ari = e.ari;
      row.clusters = result.counts.clusters;
      report.rows.push_back(row);
      ++setting;
    }
  }
  FinishReport(&report);
  return report;
}

// --- Rendering ---

std::string FormatTuneTable(const TuneReport& report) {
  const bool pairs = report.mode == TuneMode::kPairs;
  const bool title_col = std::any_of(report.rows.begin(), report.rows.end(),
                                     [](const TuneRow& r) { return r.title_threshold.has_value(); });
  std::string out;
  if (!report.description.empty()) absl::StrAppend(&out, "# ", report.description, "\n");
  if (pairs) {
    const uint64_t positives = report.rows.empty() ? 0 : report.rows[0].counts.positives();
    absl::StrAppend(&out, absl::StrFormat("# %d pairs, %d positive, %d skipped\n", report.items,
                                          positives, report.skipped));
  } else {
    const uint64_t true_pairs = report.rows.empty() ? 0 : report.rows[0].counts.positives();
    absl::StrAppend(&out,
                    absl::StrFormat("# %d documents, %d true same-cluster pairs, %d skipped\n",
                                    report.items, true_pairs, report.skipped));
  }
  absl::StrAppend(&out, absl::StrFormat("%-14s %9s", "shingle", "threshold"));
  if (title_col) absl::StrAppend(&out, absl::StrFormat(" %7s", "title_t"));
  absl::StrAppend(&out, absl::StrFormat(" %9s %9s %9s", "precision", "recall", "f1"));
  if (pairs) {
    absl::StrAppend(&out, absl::StrFormat(" %9s %7s %7s %7s %7s", "accuracy", "tp", "fp", "fn",
                                          "tn"));
  } else {
    absl::StrAppend(&out, absl::StrFormat(" %9s %9s %11s %11s", "ari", "clusters", "pred_pairs",
                                          "common"));
  }
  absl::StrAppend(&out, "\n");
  for (size_t i = 0; i < report.rows.size(); ++i) {
    const TuneRow& r = report.rows[i];
    const PairCounts& c = r.counts;
    absl::StrAppend(&out, absl::StrFormat("%-14s %9.2f", r.shingle.ToString(), r.threshold));
    if (title_col) {
      absl::StrAppend(&out, absl::StrFormat(" %7.2f", r.title_threshold.value_or(r.threshold)));
    }
    absl::StrAppend(&out, absl::StrFormat(" %9.4f %9.4f %9.4f", c.precision(), c.recall(), c.f1()));
    if (pairs) {
      absl::StrAppend(&out, absl::StrFormat(" %9.4f %7d %7d %7d %7d", c.accuracy(), c.tp, c.fp,
                                            c.fn, c.tn));
    } else {
      absl::StrAppend(&out, absl::StrFormat(" %9.4f %9d %11d %11d", r.ari.value_or(0),
                                            r.clusters.value_or(0), c.predicted(), c.tp));
    }
    std::string marks;
    if (i == report.recommended) marks += " best";
    for (const auto& s : report.safe) {
      if (s && *s == i) marks += " safe";
    }
    if (!marks.empty()) absl::StrAppend(&out, "  <-", marks);
    absl::StrAppend(&out, "\n");
  }
  if (report.rows.empty()) return out;
  const TuneRow& best = report.rows[report.recommended];
  absl::StrAppend(&out, "\nrecommended (best F1; ties: higher threshold): ", Setting(best), "  ",
                  Scores(best, report.mode), "\n");
  absl::StrAppend(&out, absl::StrFormat("safe (highest recall at precision >= %.2f), per shingle:\n",
                                        report.min_precision));
  for (size_t s = 0; s < report.shingles.size(); ++s) {
    const auto& safe = s < report.safe.size() ? report.safe[s] : std::nullopt;
    if (safe) {
      const TuneRow& r = report.rows[*safe];
      absl::StrAppend(&out, absl::StrFormat("  %-14s threshold %-5s %s\n", r.shingle.ToString(),
                                            Num(r.threshold), Scores(r, report.mode)));
    } else {
      absl::StrAppend(&out, absl::StrFormat("  %-14s none\n", report.shingles[s].ToString()));
    }
  }
  if (pairs) {
    absl::StrAppend(&out, absl::StrFormat("trivial predictor (every pair positive): F1 %.4f\n",
                                          report.trivial_f1));
    if (!BeatsTrivial(report)) {
      absl::StrAppend(&out,
                      "note: no setting beats the trivial predictor on F1: these labels are not "
                      "explained by shingle overlap (paraphrase, not copy); prefer a safe "
                      "setting\n");
    }
  }
  return out;
}

std::string FormatTuneJson(const TuneReport& report) {
  std::string out;
  for (const TuneRow& r : report.rows) {
    AppendRowJson(r, report.mode, &out);
    out += "\n";
  }
  absl::StrAppend(&out, "{\"recommended\": ");
  if (report.rows.empty()) {
    out += "null";
  } else {
    AppendRowJson(report.rows[report.recommended], report.mode, &out);
  }
  absl::StrAppend(&out, ", \"safe\": [");
  for (size_t s = 0; s < report.shingles.size(); ++s) {
    if (s > 0) out += ", ";
    out += "{\"shingle\": ";
    internal::AppendJsonString(&out, report.shingles[s].ToString());
    out += ", \"setting\": ";
    const auto& safe = s < report.safe.size() ? report.safe[s] : std::nullopt;
    if (safe) {
      AppendRowJson(report.rows[*safe], report.mode, &out);
    } else {
      out += "null";
    }
    out += "}";
  }
  absl::StrAppend(&out, "], \"min_precision\": ", Num(report.min_precision),
                  ", \"items\": ", report.items, ", \"skipped\": ", report.skipped);
  if (report.mode == TuneMode::kPairs) {
    absl::StrAppend(&out, ", \"trivial_f1\": ", Num(report.trivial_f1),
                    ", \"beats_trivial\": ", BeatsTrivial(report) ? "true" : "false");
  }
  out += "}\n";
  return out;
}

}  // namespace neardup
