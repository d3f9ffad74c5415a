#pragma once
// Whole-file reads and durable writes, with errors that name the file.

#include <string>

#include "strata/core/status.h"

namespace strata {

Result<std::string> ReadFileToString(const std::string& path);

// Writes `path` atomically: a temporary file beside it, fsync, rename (creating parent directories).
Status WriteFileAtomic(const std::string& path, const std::string& data);

// Writes a file that must not exist yet, and fsyncs it (kAlreadyExists if it does).
Status WriteNewFile(const std::string& path, const std::string& data);

// Strips a file:// or file: scheme from a URI; plain paths are returned as they are.
std::string PathFromUri(const std::string& uri);
std::string UriFromPath(const std::string& path);

// A random version-4 UUID, as text.
std::string RandomUuid();

}  // namespace strata
