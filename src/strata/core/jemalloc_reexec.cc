#include "strata/core/jemalloc_reexec.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>

namespace strata {

const char* CurrentAllocatorName() {
  const char* preload = std::getenv("LD_PRELOAD");
  return preload && std::string(preload).find("jemalloc") != std::string::npos ? "jemalloc" : "glibc";
}

void MaybeReexecWithJemalloc(int argc, char** argv, JemallocPurging purging) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  (void)argc, (void)purging;
  return;  // a sanitizer's runtime must own malloc
#else
  (void)argc;
  const char* choice = std::getenv("STRATA_ALLOCATOR");
  if (choice && std::string(choice) != "jemalloc") return;  // "system", or already re-executed
  if (std::string_view(CurrentAllocatorName()) == "jemalloc") return;
  const char* preload = std::getenv("LD_PRELOAD");
  for (const char* lib : {"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2",
                          "/usr/lib64/libjemalloc.so.2", "/usr/local/lib/libjemalloc.so.2"}) {
    if (access(lib, R_OK) != 0) continue;
    std::string value = lib;
    if (preload && *preload) value += std::string(":") + preload;
    setenv("LD_PRELOAD", value.c_str(), 1);
    setenv("STRATA_ALLOCATOR", "jemalloc-loaded", 1);  // no second re-exec, whatever happens
    // Transparent huge pages for the heap (where the kernel's THP mode is `madvise`, the
    // Debian default): the latest-row cache is read at random over GBs, and 4 KiB pages made
    // every lookup a TLB miss too. Measured on bench/serving: +12% requests/s. A user's own
    // MALLOC_CONF wins.
    //
    // A bulk ingest never purges: each commit frees and allocates again hundreds of MB (a
    // million rows' encodings, sort buffers, SST blocks), and jemalloc handed the big blocks
    // back at once (its "oversize" arena) and the rest after its decay, so the next commit
    // faulted them in again, each huge page zeroed: a tenth of the ingest's CPU time. A 20M-row
    // `strata ingest`: 15.2-18.3 s -> 14.6-15.3 s, CPU -4 to -13%, page faults -42%, peak RSS
    // 3.7 -> 4.6 GB (three alternated pairs; two more, binary against binary, agreed).
    const char* conf = purging == JemallocPurging::kNever
                           ? "thp:always,metadata_thp:auto,oversize_threshold:0,dirty_decay_ms:-1,muzzy_decay_ms:-1"
                           : "thp:always,metadata_thp:auto";
    if (!std::getenv("MALLOC_CONF")) setenv("MALLOC_CONF", conf, 1);
    // Arrow's buffers from this jemalloc too, not from the mimalloc bundled in pyarrow's
    // libarrow: one heap, one set of huge pages. A 20M-row `strata ingest`: peak RSS 4.2-4.3 ->
    // 3.9 GB in three alternated pairs; its time did not change beyond this machine's noise.
    if (!std::getenv("ARROW_DEFAULT_MEMORY_POOL")) setenv("ARROW_DEFAULT_MEMORY_POOL", "system", 1);
    execv("/proc/self/exe", argv);
    return;  // exec failed: go on with glibc
  }
#endif
}

}  // namespace strata
