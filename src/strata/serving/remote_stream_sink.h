#pragma once
// A stream consumer's sink that is a `strata serve` (`strata stream --server ADDR`): each poll
// batch is one StreamWrite call, fenced by the partitions' positions (stream_sink.h).

#include <memory>
#include <string>

#include "strata/ingest/stream_sink.h"
#include "strata/serving/client.h"

namespace strata::serving {

class RemoteStreamSink final : public StreamSink {
 public:
  // `stream`: the stream's name (its positions in the server's store are under it); commits:
  // the offline commit settings the server applies to the stream (0: its defaults).
  static Result<std::unique_ptr<RemoteStreamSink>> Connect(const std::string& address,
                                                           std::string stream, int64_t commit_rows, int64_t commit_interval_ms);

  Result<std::map<std::string, std::string>> Positions() override;
  Result<StreamSinkResult> Write(const std::vector<StreamRun>& runs, const std::map<std::string, StreamSpan>& spans) override;
  std::string Describe() const override { return "server " + address_; }

 private:
  RemoteStreamSink(std::unique_ptr<Client> client, std::string address, std::string stream)
      : client_(std::move(client)), address_(std::move(address)), stream_(std::move(stream)) {}

  std::unique_ptr<Client> client_;
  std::string address_;
  std::string stream_;
  int64_t commit_rows_ = 0;
  int64_t commit_interval_ms_ = 0;
};

}  // namespace strata::serving
