// `strata get GROUP --key K[,K...] [--features f1,f2] [--as-of TIME] [--format json|table]`

#include <arrow/api.h>

#include <charconv>

#include "strata/core/arrow_json.h"
#include "strata/cli/command.h"
#include "strata/cli/entity_key.h"
#include "strata/store/feature_repository.h"

namespace strata::cli {

namespace {

void PrintTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c) s += "  ";
      s += cells[c] + std::string(width[c] - cells[c].size(), ' ');
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    std::cout << s << "\n";
  };
  line(header);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& r : rows) line(r);
}

}  // namespace

Command AddGetCommand(CLI::App& parent) {
  struct Args {
    std::string repo = ".";
    std::string group;
    std::vector<std::string> keys;
    std::vector<std::string> features;
    std::string as_of;
    std::string format = "json";
    int32_t limit = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand("get", "Read features of keys from the online store");
  app->add_option("group", args->group, "Feature group")->required();
  app->add_option("--key,-k", args->keys, "Entity keys (comma-separated or repeated)")->required()->delimiter(',');
  app->add_option("--features,-f", args->features, "Features to read (comma-separated; default all)")->delimiter(',');
  app->add_option("--as-of", args->as_of, "Read as of this time (ISO-8601 or epoch microseconds); default now");
  app->add_option("--format", args->format, "Output format")->check(CLI::IsMember({"json", "table"}))->capture_default_str();
  app->add_option("--limit", args->limit, "Sequence groups: newest N events (default max_length)")->check(CLI::NonNegativeNumber);
  app->add_option("--repo", args->repo, "Feature repository directory")->capture_default_str();
  return {app, [args]() -> int {
            auto repo = FeatureRepository::Open(args->repo, {.read_only = true});
            if (!repo.ok()) return Fail("get", repo.status());
            auto group = (*repo)->FindGroup(args->group);
            if (!group.ok()) return Fail("get", group.status(), kExitUsageError);
            const FeatureGroupDef& g = **group;
            const EntityDef& entity = (*repo)->EntityOf(g);
            auto features = (*repo)->SelectFeatures(g, args->features);
            if (!features.ok()) return Fail("get", features.status(), kExitUsageError);
            std::vector<Value> keys;
            for (const auto& k : args->keys) {
              auto key = ParseKey(entity, k);
              if (!key.ok()) return Fail("get", key.status(), kExitUsageError);
              keys.push_back(std::move(*key));
            }
            std::optional<int64_t> as_of;
            if (!args->as_of.empty()) {
              auto t = ParseTimestamp(args->as_of);
              if (!t.ok()) return Fail("get", t.status().WithContext("--as-of"), kExitUsageError);
              as_of = *t;
            }
            auto columns = (*repo)->Read(g, keys, *features, as_of, args->limit);
            if (!columns.ok()) return Fail("get", columns.status());
            if (args->format == "json") {
              std::string out;
              for (size_t r = 0; r < keys.size(); ++r) {
                out += "{" + JsonString(entity.key) + ": ";
                out += entity.key_type == KeyType::kInt64 ? std::to_string(std::get<int64_t>(keys[r])) : JsonString(std::get<std::string>(keys[r]));
                for (size_t c = 0; c < features->size(); ++c) {
                  out += ", " + JsonString((*features)[c]->name) + ": ";
                  AppendJsonCell(*(*columns)[c], static_cast<int64_t>(r), &out);
                }
                out += "}\n";
              }
              std::cout << out;
            } else {
              std::vector<std::string> header = {entity.key};
              for (const auto* f : *features) header.push_back(f->name);
              std::vector<std::vector<std::string>> rows;
              for (size_t r = 0; r < keys.size(); ++r) {
                std::vector<std::string> row = {args->keys[r]};
                for (size_t c = 0; c < features->size(); ++c) row.push_back(TextCell(*(*columns)[c], static_cast<int64_t>(r)));
                rows.push_back(std::move(row));
              }
              PrintTable(header, rows);
            }
            return kExitOk;
          }};
}

}  // namespace strata::cli
