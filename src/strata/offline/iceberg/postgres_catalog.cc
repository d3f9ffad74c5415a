#include <libpq-fe.h>

#include <mutex>

#include "strata/offline/iceberg/catalog.h"
#include "strata/offline/iceberg/catalog_sql.h"

namespace strata::iceberg {

namespace {

class PostgresCatalog final : public Catalog {
 public:
  PostgresCatalog(PGconn* conn, std::string name) : conn_(conn), name_(std::move(name)) {}
  ~PostgresCatalog() override { PQfinish(conn_); }

  Status Init() {
    for (const char* ddl : {kCreateTablesSql, kCreateNamespacePropertiesSql}) {
      STRATA_ASSIGN_OR_RETURN(auto r, Exec(ddl, {}));
      (void)r;
    }
    return Status::OK();
  }

  Result<std::optional<std::string>> LoadTable(const std::string& ns, const std::string& table) override {
    STRATA_ASSIGN_OR_RETURN(auto r, Exec("SELECT metadata_location FROM iceberg_tables WHERE catalog_name = $1 AND "
                                         "table_namespace = $2 AND table_name = $3",
                                         {name_, ns, table}));
    if (PQntuples(r.get()) == 0) return std::optional<std::string>();
    return std::optional<std::string>(PQgetvalue(r.get(), 0, 0));
  }

  Status CreateTable(const std::string& ns, const std::string& table, const std::string& location) override {
    STRATA_ASSIGN_OR_RETURN(auto a, Exec("INSERT INTO iceberg_namespace_properties (catalog_name, namespace, "
                                         "property_key, property_value) VALUES ($1, $2, 'exists', 'true') "
                                         "ON CONFLICT DO NOTHING",
                                         {name_, ns}));
    STRATA_ASSIGN_OR_RETURN(auto b, Exec("INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
                                         "metadata_location, previous_metadata_location, iceberg_type) VALUES "
                                         "($1, $2, $3, $4, NULL, 'TABLE') ON CONFLICT DO NOTHING",
                                         {name_, ns, table, location}));
    if (std::string(PQcmdTuples(b.get())) != "1")
      return Status::AlreadyExists("table " + ns + "." + table + " already exists in the catalog");
    return Status::OK();
  }

  Status CommitTable(const std::string& ns, const std::string& table, const std::string& expected,
                     const std::string& next) override {
    STRATA_ASSIGN_OR_RETURN(auto r, Exec("UPDATE iceberg_tables SET metadata_location = $1, previous_metadata_location "
                                         "= $2 WHERE catalog_name = $3 AND table_namespace = $4 AND table_name = $5 "
                                         "AND metadata_location = $2",
                                         {next, expected, name_, ns, table}));
    if (std::string(PQcmdTuples(r.get())) != "1")
      return Status::Conflict("table " + ns + "." + table + " was changed by another writer since it was loaded");
    return Status::OK();
  }

  Result<std::vector<std::string>> ListTables(const std::string& ns) override {
    STRATA_ASSIGN_OR_RETURN(auto r, Exec("SELECT table_name FROM iceberg_tables WHERE catalog_name = $1 AND "
                                         "table_namespace = $2 ORDER BY table_name",
                                         {name_, ns}));
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.emplace_back(PQgetvalue(r.get(), i, 0));
    return out;
  }

 private:
  using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

  Result<ResultPtr> Exec(const char* sql, const std::vector<std::string>& params) {
    std::lock_guard<std::mutex> lock(mu_);  // one connection: one statement at a time
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    ResultPtr r(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0),
                &PQclear);
    const auto status = PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      return Status::IOError(std::string("PostgreSQL catalog: ") + PQerrorMessage(conn_));
    return r;
  }

  PGconn* conn_;
  std::string name_;
  std::mutex mu_;
};

}  // namespace

Result<std::unique_ptr<Catalog>> OpenPostgresCatalog(const std::string& conninfo, const std::string& name) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    return Status::IOError("cannot connect to the PostgreSQL catalog: " + msg);
  }
  auto catalog = std::make_unique<PostgresCatalog>(conn, name);
  STRATA_RETURN_NOT_OK(catalog->Init());
  return std::unique_ptr<Catalog>(std::move(catalog));
}

}  // namespace strata::iceberg
