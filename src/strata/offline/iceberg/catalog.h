#pragma once
// The SQL catalog of Iceberg tables, with the schema of Iceberg's JDBC catalog and pyiceberg's
// SqlCatalog (tables iceberg_tables and iceberg_namespace_properties), so that Spark, Trino
// and pyiceberg find Strata's tables. A commit is a compare-and-swap of the table's metadata
// location: it succeeds only if nobody committed since the writer loaded the table.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/status.h"

namespace strata::iceberg {

class Catalog {
 public:
  virtual ~Catalog() = default;

  // The current metadata location of `ns.table`, or nullopt when the catalog has no such table.
  virtual Result<std::optional<std::string>> LoadTable(const std::string& ns, const std::string& table) = 0;
  // Registers a new table (and its namespace); kAlreadyExists if another writer registered it first.
  virtual Status CreateTable(const std::string& ns, const std::string& table, const std::string& metadata_location) = 0;
  // Moves the table from `expected` to `next`; kConflict when its location is no longer `expected`.
  virtual Status CommitTable(const std::string& ns, const std::string& table, const std::string& expected,
                             const std::string& next) = 0;
  virtual Result<std::vector<std::string>> ListTables(const std::string& ns) = 0;
};

// `uri`: a path to a SQLite file (or sqlite:///path), or postgresql://user:pass@host:port/db.
// `name` is the catalog_name column, the name readers give the catalog (e.g. "strata").
Result<std::unique_ptr<Catalog>> OpenCatalog(const std::string& uri, const std::string& name);

Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const std::string& path, const std::string& name);
Result<std::unique_ptr<Catalog>> OpenPostgresCatalog(const std::string& conninfo, const std::string& name);

}  // namespace strata::iceberg
