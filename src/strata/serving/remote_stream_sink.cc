#include "strata/serving/remote_stream_sink.h"

#include "strata/serving/push_encoding.h"

namespace strata::serving {

Result<std::unique_ptr<RemoteStreamSink>> RemoteStreamSink::Connect(const std::string& address,
                                                                    std::string stream, int64_t commit_rows,
                                                                    int64_t commit_interval_ms) {
  STRATA_ASSIGN_OR_RETURN(auto client, Client::Connect(address));
  std::unique_ptr<RemoteStreamSink> sink(new RemoteStreamSink(std::move(client), address, std::move(stream)));
  sink->commit_rows_ = commit_rows;
  sink->commit_interval_ms_ = commit_interval_ms;
  return sink;
}

Result<std::map<std::string, std::string>> RemoteStreamSink::Positions() {
  auto response = client_->StreamPositions(stream_);
  if (!response.ok()) return response.status().WithContext("asking " + Describe() + " for the positions of stream " + stream_);
  return std::map<std::string, std::string>(response->positions().begin(), response->positions().end());
}

Result<StreamSinkResult> RemoteStreamSink::Write(const std::vector<StreamRun>& runs,
                                                 const std::map<std::string, StreamSpan>& spans) {
  v1::StreamWriteRequest request;
  request.set_stream(stream_);
  request.set_commit_rows(commit_rows_);
  request.set_commit_interval_ms(commit_interval_ms_);
  for (const StreamRun& run : runs) {
    STRATA_RETURN_NOT_OK(EncodePush(*run.entity, *run.group, run.rows, request.add_batches()));
  }
  for (const auto& [source, span] : spans) {
    v1::StreamPosition* p = request.add_positions();
    p->set_source(source);
    p->set_start(span.start);
    p->set_next(span.next);
  }
  auto response = client_->StreamWrite(request);
  if (!response.ok()) return response.status().WithContext("writing a batch of stream " + stream_ + " to " + Describe());
  StreamSinkResult out;
  out.conflict = response->conflict();
  out.stored.insert(response->stored().begin(), response->stored().end());
  return out;
}

}  // namespace strata::serving
