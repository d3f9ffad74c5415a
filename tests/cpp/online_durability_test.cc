// Crash safety: a writer killed with SIGKILL mid-ingest loses no acknowledged write and
// leaves the store readable and writable.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "strata/core/time.h"
#include "test_repo.h"

namespace strata {
namespace {

using testing::Cell;
using testing::MakeRepo;
using testing::Row;
using testing::TempDir;

constexpr int64_t kKeys = 2000;
constexpr int64_t kBatch = 500;

// Batch b writes keys (b*kBatch .. b*kBatch+kBatch-1) % kKeys with value b+1, at event time base+b.
[[noreturn]] void WriterChild(const std::string& dir, int ack_fd, int64_t base) {
  auto repo = FeatureRepository::Open(dir);
  if (!repo.ok()) _exit(3);
  const auto& g = **(*repo)->FindGroup("g");
  for (int64_t b = 0;; ++b) {
    std::vector<FeatureRow> rows;
    for (int64_t i = 0; i < kBatch; ++i) rows.push_back(Row((b * kBatch + i) % kKeys, base + b, {b + 1}));
    if (!(*repo)->Write(g, rows).ok()) _exit(4);
    if (write(ack_fd, &b, sizeof(b)) != sizeof(b)) _exit(5);
  }
}

TEST(OnlineDurabilityTest, SigkillMidIngestLosesNoAcknowledgedWrite) {
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    TempDir dir;
    MakeRepo(dir, "entities:\n  user: {key: user_id}\nfeature_groups:\n  g:\n    entity: user\n    features: {v: int64}\n").reset();
    const int64_t base = NowMicros() - 3600 * kMicrosPerSecond;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      WriterChild(dir.str(), fds[1], base);
    }
    close(fds[1]);
    // Let the writer acknowledge a random number of batches, then kill it while it writes on.
    const int64_t wait_for = std::uniform_int_distribution<int64_t>(2, 25)(rng);
    int64_t acked = -1, b;
    while (acked + 1 < wait_for && read(fds[0], &b, sizeof(b)) == sizeof(b)) acked = b;
    usleep(std::uniform_int_distribution<int>(0, 3000)(rng));
    kill(pid, SIGKILL);
    while (read(fds[0], &b, sizeof(b)) == sizeof(b)) acked = b;  // acks sent before the kill count too
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited with " << WEXITSTATUS(status);
    ASSERT_GE(acked, 1);

    auto repo = FeatureRepository::Open(dir.str());
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    const auto& g = **(*repo)->FindGroup("g");
    EXPECT_GE((*repo)->last_write_seq(), static_cast<uint64_t>((acked + 1) * kBatch));
    std::vector<Value> keys;
    for (int64_t k = 0; k < kKeys; ++k) keys.push_back(k);
    auto cols = (*repo)->Read(g, keys, {&g.features[0]});
    ASSERT_TRUE(cols.ok());
    for (int64_t k = 0; k < kKeys; ++k) {
      // The newest acknowledged batch that wrote key k.
      int64_t want = 0;
      for (int64_t bb = acked; bb >= 0; --bb)
        if ((k - (bb * kBatch) % kKeys + kKeys) % kKeys < kBatch) {
          want = bb + 1;
          break;
        }
      const Value got = Cell(*(*cols)[0], k);
      if (IsNull(got)) {  // never written by an acknowledged batch: fine; otherwise lost
        ASSERT_EQ(want, 0) << "key " << k << " lost (acked batches 0.." << acked << ")";
        continue;
      }
      // At least the acknowledged value; at most the batch in flight when killed.
      EXPECT_GE(std::get<int64_t>(got), want) << "key " << k;
      EXPECT_LE(std::get<int64_t>(got), acked + 2) << "key " << k;
    }
    // The store takes writes again, continuing write_seq.
    const uint64_t before = (*repo)->last_write_seq();
    auto w = (*repo)->Write(g, std::vector<FeatureRow>{Row(int64_t{0}, base + 1000000, {int64_t{-1}})});
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ((*repo)->last_write_seq(), before + 1);
  }
}

}  // namespace
}  // namespace strata
