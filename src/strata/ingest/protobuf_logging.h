#pragma once
// Protobuf logs every string field with invalid UTF-8 it parses (and refuses): a client or a
// poison stream sending such messages would flood stderr. Whoever parses untrusted Protobuf
// (the feature server, Protobuf streams) keeps only fatal logs; the messages are refused or
// dead-lettered with the reason either way. Process-wide; idempotent.

#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <string>

namespace strata {

inline void KeepOnlyFatalProtobufLogs() {
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel level, const char* file, int line, const std::string& msg) {
    if (level >= google::protobuf::LOGLEVEL_FATAL) std::fprintf(stderr, "[protobuf %s:%d] %s\n", file, line, msg.c_str());
  });
}

}  // namespace strata
