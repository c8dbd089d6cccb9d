#include "tools/kvbench/report.h"

#include "tools/kvbench/json_writer.h"

namespace arenakv::kvbench {

namespace {

const WorkloadResult* Find(const ResultsByEngine& results, std::size_t w, std::string_view engine) {
  for (const auto& runs : results) {
    if (w < runs.size() && runs[w].engine == engine) return &runs[w];
  }
  return nullptr;
}

double Micros(double nanos) { return nanos / 1000.0; }

}  // namespace

std::optional<double> ArenakvVsRocksdb(const ResultsByEngine& results, std::size_t w) {
  const WorkloadResult* a = Find(results, w, "arenakv");
  const WorkloadResult* r = Find(results, w, "rocksdb");
  if (a == nullptr || r == nullptr || r->ops_per_sec() <= 0) return std::nullopt;
  return a->ops_per_sec() / r->ops_per_sec();
}

void PrintEngineSummary(const EngineSummary& summary, std::FILE* out) {
  std::fprintf(out, "%s: db %.1f MiB, user writes %.1f MiB, write amplification %.2f\n",
               summary.engine.c_str(), static_cast<double>(summary.db_bytes) / (1 << 20),
               static_cast<double>(summary.user_bytes_written) / (1 << 20),
               summary.write_amplification());
  for (const auto& [label, value] : summary.stats) {
    std::fprintf(out, "  %-22s %s\n", label.c_str(), value.c_str());
  }
}

void PrintTable(const ResultsByEngine& results, std::FILE* out) {
  std::fprintf(out, "%-17s %-8s %12s %9s %9s %9s %10s %10s %10s %10s\n", "workload", "engine",
               "ops/s", "MB/s", "p50 us", "p99 us", "p99.9 us", "max us", "found", "vs rocksdb");
  const std::size_t workloads = results.empty() ? 0 : results.front().size();
  for (std::size_t w = 0; w < workloads; ++w) {
    const std::optional<double> ratio = ArenakvVsRocksdb(results, w);
    for (const auto& runs : results) {
      if (w >= runs.size()) continue;
      const WorkloadResult& r = runs[w];
      char ratio_text[32] = "";
      if (ratio && r.engine == "arenakv")
        std::snprintf(ratio_text, sizeof(ratio_text), "%.2fx", *ratio);
      std::fprintf(out, "%-17s %-8s %12.0f %9.1f %9.2f %9.2f %10.2f %10.2f %10llu %10s\n",
                   r.workload.c_str(), r.engine.c_str(), r.ops_per_sec(), r.mb_per_sec(),
                   Micros(r.latency.Percentile(0.50)), Micros(r.latency.Percentile(0.99)),
                   Micros(r.latency.Percentile(0.999)),
                   Micros(static_cast<double>(r.latency.max())),
                   static_cast<unsigned long long>(r.found), ratio_text);
    }
  }
}

std::string ReportJson(const BenchOptions& options, const MachineInfo& machine,
                       const std::string& commit, const ResultsByEngine& results,
                       const std::vector<EngineSummary>& summaries) {
  JsonWriter j;
  j.BeginObject();
  j.Key("tool").String("kvbench");
  j.Key("commit").String(commit);
#ifdef NDEBUG
  j.Key("build").String("release");
#else
  j.Key("build").String("debug");
#endif
  j.Key("machine").BeginObject();
  j.Key("cpu_model").String(machine.cpu_model);
  j.Key("cores").Uint(machine.cores);
  j.Key("memory_bytes").Uint(machine.memory_bytes);
  j.Key("kernel").String(machine.kernel);
  j.EndObject();

  j.Key("options").BeginObject();
  j.Key("benchmarks").BeginArray();
  for (const std::string& b : options.benchmarks) j.String(b);
  j.EndArray();
  j.Key("engines").BeginArray();
  for (const std::string& e : options.engines) j.String(e);
  j.EndArray();
  j.Key("num").Uint(options.num);
  j.Key("reads").Uint(options.read_ops());
  j.Key("threads").Int(options.threads);
  j.Key("key_size").Uint(options.key_size);
  j.Key("value_size").Uint(options.value_size);
  j.Key("distribution").String(options.distribution);
  j.Key("zipf_theta").Double(options.zipf_theta);
  j.Key("write_buffer_size").Uint(options.write_buffer_size);
  j.Key("cache_size").Uint(options.cache_size);
  j.Key("seek_nexts").Int(options.seek_nexts);
  j.Key("sync").Bool(options.sync);
  j.Key("disable_wal").Bool(options.disable_wal);
  j.Key("db").String(options.db);
  j.Key("use_existing_db").Bool(options.use_existing_db);
  j.Key("seed").Uint(options.seed);
  j.Key("duration").Double(options.duration);
  j.EndObject();

  j.Key("results").BeginArray();
  const std::size_t workloads = results.empty() ? 0 : results.front().size();
  for (std::size_t w = 0; w < workloads; ++w) {
    const std::optional<double> ratio = ArenakvVsRocksdb(results, w);
    for (const auto& runs : results) {
      if (w >= runs.size()) continue;
      const WorkloadResult& r = runs[w];
      j.BeginObject();
      j.Key("workload").String(r.workload);
      j.Key("engine").String(r.engine);
      j.Key("ops").Uint(r.ops);
      j.Key("seconds").Double(r.seconds);
      j.Key("ops_per_sec").Double(r.ops_per_sec());
      j.Key("mb_per_sec").Double(r.mb_per_sec());
      j.Key("found").Uint(r.found);
      j.Key("bytes").Uint(r.bytes);
      j.Key("bytes_written").Uint(r.bytes_written);
      j.Key("background_ops").Uint(r.background_ops);
      j.Key("latency_us").BeginObject();
      j.Key("p50").Double(Micros(r.latency.Percentile(0.50)));
      j.Key("p99").Double(Micros(r.latency.Percentile(0.99)));
      j.Key("p99.9").Double(Micros(r.latency.Percentile(0.999)));
      j.Key("max").Double(Micros(static_cast<double>(r.latency.max())));
      j.Key("mean").Double(Micros(r.latency.Mean()));
      j.EndObject();
      if (ratio) j.Key("arenakv_vs_rocksdb").Double(*ratio);
      j.EndObject();
    }
  }
  j.EndArray();

  j.Key("engines").BeginArray();
  for (const EngineSummary& s : summaries) {
    j.BeginObject();
    j.Key("engine").String(s.engine);
    j.Key("db_bytes").Uint(s.db_bytes);
    j.Key("user_bytes_written").Uint(s.user_bytes_written);
    j.Key("write_amplification").Double(s.write_amplification());
    j.Key("stats").BeginObject();
    for (const auto& [label, value] : s.stats) j.Key(label).String(value);
    j.EndObject();
    j.EndObject();
  }
  j.EndArray();
  j.EndObject();
  return j.str() + "\n";
}

}  // namespace arenakv::kvbench
