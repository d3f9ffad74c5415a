#include <sqlite3.h>

#include <filesystem>

#include "strata/offline/iceberg/catalog.h"
#include "strata/offline/iceberg/catalog_sql.h"

namespace strata::iceberg {

namespace {

class SqliteCatalog final : public Catalog {
 public:
  SqliteCatalog(sqlite3* db, std::string path, std::string name) : db_(db), path_(std::move(path)), name_(std::move(name)) {}
  ~SqliteCatalog() override { sqlite3_close(db_); }

  Status Init() {
    sqlite3_busy_timeout(db_, 30000);  // writers on one file wait for each other's transactions
    for (const char* ddl : {kCreateTablesSql, kCreateNamespacePropertiesSql}) {
      char* err = nullptr;
      if (sqlite3_exec(db_, ddl, nullptr, nullptr, &err) != SQLITE_OK) {
        Status st = Error(err ? err : "create tables");
        sqlite3_free(err);
        return st;
      }
    }
    return Status::OK();
  }

  Result<std::optional<std::string>> LoadTable(const std::string& ns, const std::string& table) override {
    Stmt s(db_, "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND "
                "table_name = ?");
    if (!s.ok()) return Error("prepare");
    s.Bind({name_, ns, table});
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return Error("load table " + ns + "." + table);
    const auto* text = sqlite3_column_text(s.get(), 0);
    return std::optional<std::string>(text ? reinterpret_cast<const char*>(text) : "");
  }

  Status CreateTable(const std::string& ns, const std::string& table, const std::string& location) override {
    {
      Stmt s(db_, "INSERT OR IGNORE INTO iceberg_namespace_properties (catalog_name, namespace, property_key, "
                  "property_value) VALUES (?, ?, 'exists', 'true')");
      if (!s.ok()) return Error("prepare");
      s.Bind({name_, ns});
      if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("create namespace " + ns);
    }
    Stmt s(db_, "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, "
                "previous_metadata_location, iceberg_type) VALUES (?, ?, ?, ?, NULL, 'TABLE')");
    if (!s.ok()) return Error("prepare");
    s.Bind({name_, ns, table, location});
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_CONSTRAINT) return Status::AlreadyExists("table " + ns + "." + table + " already exists in catalog " + path_);
    if (rc != SQLITE_DONE) return Error("create table " + ns + "." + table);
    return Status::OK();
  }

  Status CommitTable(const std::string& ns, const std::string& table, const std::string& expected,
                     const std::string& next) override {
    Stmt s(db_, "UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? WHERE catalog_name = ? "
                "AND table_namespace = ? AND table_name = ? AND metadata_location = ?");
    if (!s.ok()) return Error("prepare");
    s.Bind({next, expected, name_, ns, table, expected});
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("commit table " + ns + "." + table);
    if (sqlite3_changes(db_) != 1)
      return Status::Conflict("table " + ns + "." + table + " was changed by another writer since it was loaded");
    return Status::OK();
  }

  Result<std::vector<std::string>> ListTables(const std::string& ns) override {
    Stmt s(db_, "SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? ORDER BY table_name");
    if (!s.ok()) return Error("prepare");
    s.Bind({name_, ns});
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0)));
    if (rc != SQLITE_DONE) return Error("list tables");
    return out;
  }

 private:
  class Stmt {
   public:
    Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
    ~Stmt() { sqlite3_finalize(stmt_); }
    bool ok() const { return stmt_ != nullptr; }
    sqlite3_stmt* get() { return stmt_; }
    void Bind(std::initializer_list<std::string> values) {
      int i = 1;
      for (const auto& v : values) sqlite3_bind_text(stmt_, i++, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }

   private:
    sqlite3_stmt* stmt_ = nullptr;
  };

  Status Error(const std::string& what) const {
    return Status::IOError("catalog " + path_ + ": " + what + ": " + sqlite3_errmsg(db_));
  }

  sqlite3* db_;
  std::string path_;
  std::string name_;
};

}  // namespace

Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const std::string& path, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::IOError("cannot open the catalog " + path + ": " + msg);
  }
  auto catalog = std::make_unique<SqliteCatalog>(db, path, name);
  STRATA_RETURN_NOT_OK(catalog->Init());
  return std::unique_ptr<Catalog>(std::move(catalog));
}

}  // namespace strata::iceberg
