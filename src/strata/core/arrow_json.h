#pragma once
// Renders Arrow cells as JSON values (the CLI's output, the feature log), or as plain text.

#include <arrow/type_fwd.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

// Appends cell `i` of `array` as a JSON value (timestamps as ISO-8601 strings, NaN/inf as null).
// `max_list_elements` >= 0 keeps only the first elements of a top-level list.
void AppendJsonCell(const arrow::Array& array, int64_t i, std::string* out, int64_t max_list_elements = -1);

// Cell `i` as text: like JSON, but top-level strings are unquoted and null is empty.
std::string TextCell(const arrow::Array& array, int64_t i);

// A JSON string literal (invalid UTF-8 replaced by U+FFFD), or appended to `out`.
std::string JsonString(std::string_view s);
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace strata
