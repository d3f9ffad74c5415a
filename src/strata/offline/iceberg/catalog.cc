#include "strata/offline/iceberg/catalog.h"

namespace strata::iceberg {

Result<std::unique_ptr<Catalog>> OpenCatalog(const std::string& uri, const std::string& name) {
  if (uri.rfind("postgresql://", 0) == 0 || uri.rfind("postgres://", 0) == 0) return OpenPostgresCatalog(uri, name);
  std::string path = uri;
  if (path.rfind("sqlite:///", 0) == 0) path = path.substr(9);
  return OpenSqliteCatalog(path, name);
}

}  // namespace strata::iceberg
