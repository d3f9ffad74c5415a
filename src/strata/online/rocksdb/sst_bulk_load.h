#pragma once
// One large online write as sorted SST files, one per column family, ingested into RocksDB in
// one atomic step (IngestExternalFiles): no write-ahead log, no memtable inserts, no flush. A
// bulk ingest's commit of 1M rows spent a quarter of its online time inserting into memtables
// and copying the write batch into the log; the flush then built the same table files anyway.
//
// Keys must be added to each column family in strictly increasing order (RocksDB's bytewise
// order). The files are written under `dir`, which is the store's own scratch folder: they are
// moved (hard-linked) into the store by Commit, and anything left there after a crash is junk.

#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strata/core/status.h"

namespace strata::rocks_store {

class SstBulkLoad {
 public:
  // `dir` is created if missing and must be on the store's file system.
  SstBulkLoad(rocksdb::DB* db, std::string dir) : db_(db), dir_(std::move(dir)) {}
  ~SstBulkLoad();  // removes the files not ingested

  Status Put(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view value);
  Status Merge(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view value);
  // Finishes the files and ingests them, all or none.
  Status Commit();

 private:
  struct File {
    rocksdb::ColumnFamilyHandle* cf;
    std::string path;
    std::unique_ptr<rocksdb::SstFileWriter> writer;
  };
  Result<rocksdb::SstFileWriter*> WriterFor(rocksdb::ColumnFamilyHandle* cf);

  rocksdb::DB* db_;
  std::string dir_;
  std::vector<File> files_;
};

}  // namespace strata::rocks_store
