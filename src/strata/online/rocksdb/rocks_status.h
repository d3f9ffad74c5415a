#pragma once
// RocksDB's statuses as Strata's, with what was being done.

#include <rocksdb/status.h>

#include <string>

#include "strata/core/status.h"

namespace strata::rocks_store {

inline Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  if (s.IsInvalidArgument()) return Status::InvalidArgument(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

}  // namespace strata::rocks_store
