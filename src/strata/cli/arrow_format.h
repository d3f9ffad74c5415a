#pragma once
// Renders Arrow cells for the CLI: JSON values, or plain text for tables.

#include <arrow/type_fwd.h>

#include <string>

namespace strata::cli {

// Appends cell `i` of `array` as a JSON value (timestamps as ISO-8601 strings, NaN/inf as null).
void AppendJsonCell(const arrow::Array& array, int64_t i, std::string* out);

// Cell `i` as text: like JSON, but top-level strings are unquoted and null is empty.
std::string TextCell(const arrow::Array& array, int64_t i);

// A JSON string literal.
std::string JsonString(std::string_view s);

}  // namespace strata::cli
