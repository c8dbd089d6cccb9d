// OpenEngine: picks the adapter by name.
#include "tools/kvbench/engine.h"

namespace arenakv::kvbench {

Status OpenEngine(const std::string& name, const BenchOptions& options, const std::string& path,
                  std::unique_ptr<Engine>* engine) {
  if (name == "arenakv") return OpenArenakvEngine(options, path, engine);
  if (name == "rocksdb") return OpenRocksdbEngine(options, path, engine);
  return Status::InvalidArgument("unknown engine: " + name);
}

bool EngineBuiltIn(const std::string& name) {
#ifdef ARENAKV_KVBENCH_WITH_ROCKSDB
  if (name == "rocksdb") return true;
#endif
  return name == "arenakv";
}

#ifndef ARENAKV_KVBENCH_WITH_ROCKSDB
Status OpenRocksdbEngine(const BenchOptions&, const std::string&, std::unique_ptr<Engine>*) {
  return Status::NotSupported(
      "kvbench was built without RocksDB (install librocksdb-dev and reconfigure with "
      "-DARENAKV_WITH_ROCKSDB=ON)");
}
#endif

}  // namespace arenakv::kvbench
