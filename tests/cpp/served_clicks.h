#pragma once
// What the streaming server tests share: click events produced to the mock cluster, the items a
// server answers for a user, and a column of the offline table.

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mock_kafka.h"
#include "strata/serving/client.h"
#include "strata/store/group_scan.h"
#include "test_repo.h"

namespace strata::testing {

// Events `first`..`first + n - 1` of group "clicks" (item = the event's number, user = item % 7),
// keyed by user, or by item to spread them over every partition.
inline void ProduceClicks(MockKafka& kafka, int64_t first, int64_t n, bool key_by_item = false) {
  for (int64_t item = first; item < first + n; ++item) {
    const int64_t user = item % 7;
    kafka.Produce(std::to_string(key_by_item ? item : user), "{\"uid\": " + std::to_string(user) + ", \"ts\": " +
                                                                std::to_string(RecentMicros()) + ", \"item\": " +
                                                                std::to_string(item) + "}");
  }
  kafka.Flush();
}

// The items of `user` the server answers (newest first; empty when null).
inline std::vector<int64_t> ServedItems(Client& client, int64_t user) {
  auto r = client.GetFeatures("user", std::vector<int64_t>{user}, {"clicks:item"});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<int64_t> items;
  if (!r.ok()) return items;
  const auto& values = r->columns(0).values();  // one key: its list is values [0, list_offsets(1))
  if (values.list_offsets_size() < 2) return items;
  for (uint32_t i = 0; i < values.list_offsets(1); ++i) items.push_back(values.int64_values(static_cast<int>(i)));
  return items;
}

// An int64 column (e.g. "write_seq") of every offline row of `group`, in scan order.
inline std::vector<int64_t> OfflineInt64Column(FeatureRepository& repo, const std::string& group, const std::string& column) {
  std::vector<int64_t> out;
  auto scan = ScanGroup(repo, **repo.FindGroup(group), {});
  EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  if (!scan.ok() || !scan->scan) return out;
  while (true) {
    auto batch = scan->scan->Next();
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    if (!batch.ok() || !*batch) break;
    auto values = std::static_pointer_cast<arrow::Int64Array>((*batch)->GetColumnByName(column));
    for (int64_t i = 0; i < values->length(); ++i) out.push_back(values->Value(i));
  }
  return out;
}

}  // namespace strata::testing
