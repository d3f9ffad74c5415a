#include "strata/loader/loader_spec.h"

#include <arrow/type.h>
#include <arrow/type_traits.h>

#include <set>

#include "strata/core/parquet_vectors.h"

namespace strata::loader {

namespace {

bool IsNumeric(const arrow::DataType& t) {
  return arrow::is_integer(t.id()) || arrow::is_floating(t.id()) || t.id() == arrow::Type::BOOL ||
         arrow::is_decimal(t.id());
}
bool IsIntegral(const arrow::DataType& t) {
  return arrow::is_integer(t.id()) || t.id() == arrow::Type::TIMESTAMP || t.id() == arrow::Type::DATE32 ||
         t.id() == arrow::Type::DATE64;
}
bool IsString(const arrow::DataType& t) {
  return t.id() == arrow::Type::STRING || t.id() == arrow::Type::LARGE_STRING || t.id() == arrow::Type::STRING_VIEW;
}
bool IsVarList(const arrow::DataType& t) {
  return t.id() == arrow::Type::LIST || t.id() == arrow::Type::LARGE_LIST || t.id() == arrow::Type::LIST_VIEW;
}
const arrow::DataType* ListValueType(const arrow::DataType& t) {
  if (IsVarList(t) || t.id() == arrow::Type::FIXED_SIZE_LIST) return t.field(0)->type().get();
  return nullptr;
}

class Resolver {
 public:
  explicit Resolver(const arrow::Schema& schema) : schema_(schema) {}

  Result<ResolvedColumn> Find(ColumnRole role, const std::string& name, const char* role_name) {
    if (name.empty()) return Status::InvalidArgument(std::string("an empty column name among the ") + role_name + " columns");
    const int field = schema_.GetFieldIndex(name);
    if (field < 0) {
      std::string names;
      for (const auto& f : schema_.fields()) names += (names.empty() ? "" : ", ") + f->name();
      return Status::InvalidArgument(std::string(role_name) + " column '" + name + "' is not in the training set (its columns: " +
                                     names + ")");
    }
    if (!seen_.insert({static_cast<int>(role), name}).second)
      return Status::InvalidArgument(std::string(role_name) + " column '" + name + "' is named twice");
    ResolvedColumn c;
    c.role = role;
    c.name = name;
    c.field = field;
    return c;
  }

  Status Refuse(const ResolvedColumn& c, const char* role_name, const char* expected) const {
    return Status::InvalidArgument(std::string(role_name) + " column '" + c.name + "' is " +
                                   schema_.field(c.field)->type()->ToString() + "; a " + role_name + " column must be " +
                                   expected);
  }

  const arrow::DataType& TypeOf(const ResolvedColumn& c) const { return *schema_.field(c.field)->type(); }
  const arrow::Field& FieldOf(const ResolvedColumn& c) const { return *schema_.field(c.field); }

 private:
  const arrow::Schema& schema_;
  std::set<std::pair<int, std::string>> seen_;
};

}  // namespace

Result<std::vector<ResolvedColumn>> ResolveColumns(const LoaderSpec& spec, const arrow::Schema& schema) {
  Resolver r(schema);
  std::vector<ResolvedColumn> out;
  for (const auto& name : spec.dense) {
    STRATA_ASSIGN_OR_RETURN(auto c, r.Find(ColumnRole::kDense, name, "dense"));
    if (!IsNumeric(r.TypeOf(c))) return r.Refuse(c, "dense", "a numeric or boolean scalar");
    c.layout = ColumnLayout::kFloat32;
    out.push_back(std::move(c));
  }
  for (const auto& s : spec.sparse) {
    STRATA_ASSIGN_OR_RETURN(auto c, r.Find(ColumnRole::kSparse, s.column, "sparse"));
    if (s.buckets < 0) return Status::InvalidArgument("sparse column '" + s.column + "': buckets must be positive");
    const arrow::DataType& t = r.TypeOf(c);
    const arrow::DataType* item = IsVarList(t) ? ListValueType(t) : &t;
    if (!IsIntegral(*item) && !IsString(*item))
      return r.Refuse(c, "sparse", "a list of integer or string ids (or one integer or string id)");
    c.hash_strings = IsString(*item);
    if (c.hash_strings && s.buckets == 0)
      return Status::InvalidArgument("sparse column '" + s.column +
                                     "' holds strings: give its number of embeddings (num_embeddings) to hash them into");
    c.buckets = s.buckets;
    c.layout = IsVarList(t) ? ColumnLayout::kInt64List : ColumnLayout::kInt64;
    out.push_back(std::move(c));
  }
  for (const auto& s : spec.sequences) {
    STRATA_ASSIGN_OR_RETURN(auto c, r.Find(ColumnRole::kSequence, s.column, "sequence"));
    if (s.length <= 0) return Status::InvalidArgument("sequence column '" + s.column + "': its length must be positive");
    if (s.buckets < 0) return Status::InvalidArgument("sequence column '" + s.column + "': buckets must be positive");
    const arrow::DataType& t = r.TypeOf(c);
    const arrow::DataType* item = ListValueType(t);
    if (!IsVarList(t) || !(IsIntegral(*item) || IsString(*item) || arrow::is_floating(item->id())))
      return r.Refuse(c, "sequence", "a list of integers, floats or strings");
    c.hash_strings = IsString(*item);
    if (c.hash_strings && s.buckets == 0)
      return Status::InvalidArgument("sequence column '" + s.column +
                                     "' holds strings: give its number of embeddings (num_embeddings) to hash them into");
    if (arrow::is_floating(item->id()) && s.buckets > 0)
      return Status::InvalidArgument("sequence column '" + s.column + "' holds floats, which cannot be hashed into buckets");
    c.buckets = s.buckets;
    c.length = s.length;
    c.layout = arrow::is_floating(item->id()) ? ColumnLayout::kFloat32List : ColumnLayout::kInt64List;
    out.push_back(std::move(c));
  }
  for (const auto& e : spec.embeddings) {
    STRATA_ASSIGN_OR_RETURN(auto c, r.Find(ColumnRole::kEmbedding, e.column, "embedding"));
    const arrow::DataType& t = r.TypeOf(c);
    const arrow::DataType* item = ListValueType(t);
    if (item == nullptr || !arrow::is_floating(item->id()) || t.id() == arrow::Type::LIST_VIEW)
      return r.Refuse(c, "embedding", "a fixed-size list of floats (e.g. fixed_size_list<float, 64>) or a list of floats");
    if (e.width < 0) return Status::InvalidArgument("embedding column '" + e.column + "': its dimension must be positive");
    if (t.id() == arrow::Type::FIXED_SIZE_LIST) {
      c.width = static_cast<const arrow::FixedSizeListType&>(t).list_size();
      if (e.width != 0 && e.width != c.width)
        return Status::InvalidArgument("embedding column '" + e.column + "' has dimension " + std::to_string(c.width) +
                                       ", not " + std::to_string(e.width));
    } else if (const int32_t declared = DeclaredVectorDim(r.FieldOf(c)); declared > 0) {
      // A list written by Strata's Parquet writer, which records the dimension.
      if (e.width != 0 && e.width != declared)
        return Status::InvalidArgument("embedding column '" + e.column + "' has dimension " + std::to_string(declared) +
                                       ", not " + std::to_string(e.width));
      c.width = declared;
    } else if (e.width == 0) {
      return Status::InvalidArgument("embedding column '" + e.column + "' is " + t.ToString() +
                                     ": give its dimension (embeddings={'" + e.column + "': D}), every value must have it");
    } else {
      c.width = e.width;
    }
    c.layout = ColumnLayout::kFixedFloat32List;
    out.push_back(std::move(c));
  }
  if (!spec.label.empty()) {
    STRATA_ASSIGN_OR_RETURN(auto c, r.Find(ColumnRole::kLabel, spec.label, "label"));
    if (!IsNumeric(r.TypeOf(c))) return r.Refuse(c, "label", "a numeric or boolean scalar");
    c.layout = ColumnLayout::kFloat32;
    out.push_back(std::move(c));
  }
  for (const auto& name : spec.extra) {
    STRATA_ASSIGN_OR_RETURN(auto c, r.Find(ColumnRole::kExtra, name, "extra"));
    const arrow::DataType& t = r.TypeOf(c);
    if (IsIntegral(t) || t.id() == arrow::Type::BOOL) {
      c.layout = ColumnLayout::kInt64;
    } else if (arrow::is_floating(t.id()) || arrow::is_decimal(t.id())) {
      c.layout = ColumnLayout::kFloat32;
    } else {
      return r.Refuse(c, "extra", "an integer, timestamp or floating scalar");
    }
    out.push_back(std::move(c));
  }
  if (out.empty())
    return Status::InvalidArgument("no columns to load: name at least one dense, sparse, sequence, embedding, label or extra column");
  return out;
}

}  // namespace strata::loader
