#pragma once
// The embedded online store on RocksDB. One writer and many readers per process; other
// processes may open it read-only at the same time (e.g. `strata get` during an ingest).

#include <memory>
#include <string>

#include "strata/online/online_store.h"

namespace strata {

struct RocksOnlineOptions {
  std::string path;
  bool read_only = false;
  bool sync = true;  // fsync the WAL at each Write
  size_t block_cache_bytes = 512ull << 20;
  size_t row_cache_bytes = 256ull << 20;  // hot rows, looked up before any block
  // Latest rows of table groups kept decoded-ready in memory, in front of RocksDB (see
  // latest_row_cache.h); 0 disables it. Not used by read-only opens.
  size_t latest_cache_bytes = 256ull << 20;
  // The same for the values of sequence groups (whole sequences; reads copy out the newest events).
  size_t sequence_cache_bytes = 256ull << 20;
  // The latest-row cache stores the rows writes commit instead of dropping them, so that the
  // next batches read their keys' state there: for processes that only write (ingest, stream).
  bool cache_writes = false;
  // Writes of this many rows or more are loaded as SST files (sst_bulk_load.h); 0: never. For
  // write-only processes: a reader in the same process could see one column family's part of
  // such a write before another's.
  size_t bulk_load_rows = 0;
};

Result<std::unique_ptr<OnlineStore>> OpenRocksOnlineStore(const RocksOnlineOptions& options);

}  // namespace strata
