#pragma once
// Arrow's Status as Strata's, with where it happened.

#include <arrow/status.h>

#include <string>
#include <string_view>

#include "strata/core/status.h"

namespace strata {

inline Status FromArrow(const arrow::Status& st, std::string_view what) {
  if (st.ok()) return Status::OK();
  return Status::IOError(std::string(what) + ": " + st.ToString());
}

}  // namespace strata
