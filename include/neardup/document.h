// document.h: one input record as the pipeline sees it after parsing. A document may have a title,
// a body, or both; a missing field is an empty string, never an error.
#pragma once

#include <cstdint>
#include <string>

namespace neardup {

struct Document {
  // The record's id: the --id-field value (a JSON number or string as written, without quotes),
  // or "FILE:LINE" when the record has no such field.
  std::string id;
  std::string title;  // the --title-field value, "" when absent
  std::string body;   // the --text-field value, "" when absent
  // Invalid UTF-8 sequences the parser had to replace by U+FFFD to read the record (JSONL);
  // sequences left in title/body are repaired and counted by normalization instead.
  uint32_t utf8_repairs = 0;
  // The FieldNames::keep field's value, when that field is asked for and present.
  std::string keep_value;
  bool has_keep_value = false;
  // The FieldNames::date field's value, when that field is asked for and present.
  std::string date_value;
  bool has_date_value = false;
  // Which of the id, title and text fields the record has (kHasId, kHasTitle, kHasText): a key
  // with a non-null value (JSONL), a column of the header (csv/tsv).
  static constexpr uint8_t kHasId = 1, kHasTitle = 2, kHasText = 4;
  uint8_t has = 0;

  void Clear() {
    id.clear();
    title.clear();
    body.clear();
    utf8_repairs = 0;
    keep_value.clear();
    has_keep_value = false;
    date_value.clear();
    has_date_value = false;
    has = 0;
  }
};

}  // namespace neardup
