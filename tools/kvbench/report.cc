// SPDX-License-Identifier: Apache-2.0
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
double Mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// "1.23" (then `suffix`), or "n/a" for a figure that could not be measured.
std::string Fixed2(std::optional<double> value, const char* suffix = "") {
  if (!value) return "n/a";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.2f%s", *value, suffix);
  return buffer;
}

// "12.3 MiB", or "n/a".
std::string MibText(std::optional<std::uint64_t> bytes) {
  if (!bytes) return "n/a";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.1f MiB", Mib(*bytes));
  return buffer;
}

void OptionalUint(std::optional<std::uint64_t> value, JsonWriter* j) {
  if (value) {
    j->Uint(*value);
  } else {
    j->Null();
  }
}

void OptionalDouble(std::optional<double> value, JsonWriter* j) {
  if (value) {
    j->Double(*value);
  } else {
    j->Null();
  }
}

}  // namespace

std::optional<double> ArenakvVsRocksdb(const ResultsByEngine& results, std::size_t w) {
  const WorkloadResult* a = Find(results, w, "arenakv");
  const WorkloadResult* r = Find(results, w, "rocksdb");
  if (a == nullptr || r == nullptr || r->ops_per_sec() <= 0) return std::nullopt;
  return a->ops_per_sec() / r->ops_per_sec();
}

void PrintEngineSummary(const EngineSummary& summary, std::FILE* out) {
  std::fprintf(out,
               "%s: db %.1f MiB, user writes %.1f MiB, disk writes %s, write amplification %s, "
               "space amplification %s\n",
               summary.engine.c_str(), Mib(summary.db_bytes), Mib(summary.user_bytes_written),
               MibText(summary.disk_bytes_written).c_str(),
               Fixed2(summary.write_amplification()).c_str(),
               Fixed2(summary.space_amplification()).c_str());
  for (const auto& [label, value] : summary.stats) {
    std::fprintf(out, "  %-22s %s\n", label.c_str(), value.c_str());
  }
}

void PrintWriteAmplificationComparison(const std::vector<EngineSummary>& summaries,
                                       std::FILE* out) {
  const EngineSummary* arenakv = nullptr;
  const EngineSummary* rocksdb = nullptr;
  for (const EngineSummary& s : summaries) {
    if (s.engine == "arenakv") arenakv = &s;
    if (s.engine == "rocksdb") rocksdb = &s;
  }
  if (arenakv == nullptr || rocksdb == nullptr) return;
  const std::optional<double> a = arenakv->write_amplification();
  const std::optional<double> r = rocksdb->write_amplification();
  const std::string ratio = a && r && *r > 0 ? Fixed2(*a / *r, "x") : std::string("n/a");
  std::fprintf(out, "write amplification arenakv / rocksdb: %s / %s = %s\n", Fixed2(a).c_str(),
               Fixed2(r).c_str(), ratio.c_str());
}

void PrintTable(const ResultsByEngine& results, std::FILE* out) {
  // The ratio column only when both engines ran.
  bool arenakv = false, rocksdb = false;
  for (const auto& runs : results) {
    for (const WorkloadResult& r : runs) {
      arenakv = arenakv || r.engine == "arenakv";
      rocksdb = rocksdb || r.engine == "rocksdb";
    }
  }
  const bool compare = arenakv && rocksdb;
  std::fprintf(out, "%-17s %-8s %12s %9s %9s %9s %10s %10s %10s %9s%s\n", "workload", "engine",
               "ops/s", "MB/s", "p50 us", "p99 us", "p99.9 us", "max us", "found", "peak MiB",
               compare ? " vs rocksdb" : "");
  const std::size_t workloads = results.empty() ? 0 : results.front().size();
  for (std::size_t w = 0; w < workloads; ++w) {
    const std::optional<double> ratio = ArenakvVsRocksdb(results, w);
    for (const auto& runs : results) {
      if (w >= runs.size()) continue;
      const WorkloadResult& r = runs[w];
      if (r.workload == "waitforcompaction") {
        std::fprintf(out, "%-17s %-8s waited %.2f s%s\n", r.workload.c_str(), r.engine.c_str(),
                     r.seconds, r.settled ? "" : ", still busy");
        continue;
      }
      char ratio_text[32] = "";
      if (ratio && r.engine == "arenakv")
        std::snprintf(ratio_text, sizeof(ratio_text), "%.2fx", *ratio);
      char peak_text[32] = "n/a";
      if (r.peak_rss_bytes)
        std::snprintf(peak_text, sizeof(peak_text), "%.0f", Mib(*r.peak_rss_bytes));
      char ratio_column[40] = "";
      if (compare) std::snprintf(ratio_column, sizeof(ratio_column), " %10s", ratio_text);
      std::fprintf(out, "%-17s %-8s %12.0f %9.1f %9.2f %9.2f %10.2f %10.2f %10llu %9s%s\n",
                   r.workload.c_str(), r.engine.c_str(), r.ops_per_sec(), r.mb_per_sec(),
                   Micros(r.latency.Percentile(0.50)), Micros(r.latency.Percentile(0.99)),
                   Micros(r.latency.Percentile(0.999)),
                   Micros(static_cast<double>(r.latency.max())),
                   static_cast<unsigned long long>(r.found), peak_text, ratio_column);
    }
  }
  // Transactions: how many commits found a conflict and were retried.
  for (const auto& runs : results) {
    for (const WorkloadResult& r : runs) {
      if (r.workload != "txn-transfer") continue;
      std::fprintf(out, "%-17s %-8s %llu commits, %llu aborts (%.2f%% of attempts)\n",
                   r.workload.c_str(), r.engine.c_str(), static_cast<unsigned long long>(r.ops),
                   static_cast<unsigned long long>(r.aborts), 100.0 * r.abort_rate());
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
  j.StringArray("benchmarks", options.benchmarks);
  j.StringArray("engines", options.engines);
  j.Key("num").Uint(options.num);
  j.Key("reads").Uint(options.read_ops());
  j.Key("threads").Int(options.threads);
  j.Key("key_size").Uint(options.key_size);
  j.Key("value_size").Uint(options.value_size);
  j.Key("distribution").String(options.distribution);
  j.Key("zipf_theta").Double(options.zipf_theta);
  j.Key("write_buffer_size").Uint(options.write_buffer_size);
  j.Key("cache_size").Uint(options.cache_size);
  j.Key("max_open_files").Int(options.max_open_files);
  j.Key("memory_budget").Uint(options.memory_budget);
  j.Key("level0_file_num_compaction_trigger").Int(options.level0_file_num_compaction_trigger);
  j.Key("delayed_write_rate").Uint(options.delayed_write_rate);
  j.Key("target_file_size_base").Uint(options.target_file_size_base);
  j.Key("max_bytes_for_level_base").Uint(options.max_bytes_for_level_base);
  j.Key("max_bytes_for_level_multiplier").Double(options.max_bytes_for_level_multiplier);
  j.Key("compression").String(options.compression);
  j.Key("seek_nexts").Int(options.seek_nexts);
  j.Key("hold_iterators").Int(options.hold_iterators);
  j.Key("sync").Bool(options.sync);
  j.Key("disable_wal").Bool(options.disable_wal);
  j.Key("recycle_memtables").Bool(options.recycle_memtables);
  j.Key("memtable_huge_pages").Bool(options.memtable_huge_pages);
  j.Key("lower_background_priority").Bool(options.lower_background_priority);
  j.Key("db").String(options.db);
  j.Key("use_existing_db").Bool(options.use_existing_db);
  j.Key("seed").Uint(options.seed);
  j.Key("duration").Double(options.duration);
  j.Key("report_interval").Double(options.report_interval);
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
      j.Key("aborts").Uint(r.aborts);
      j.Key("abort_rate").Double(r.abort_rate());
      j.Key("peak_rss_bytes");
      OptionalUint(r.peak_rss_bytes, &j);
      j.Key("start_rss_bytes");
      OptionalUint(r.start_rss_bytes, &j);
      j.Key("latency_us").BeginObject();
      j.Key("p50").Double(Micros(r.latency.Percentile(0.50)));
      j.Key("p95").Double(Micros(r.latency.Percentile(0.95)));
      j.Key("p99").Double(Micros(r.latency.Percentile(0.99)));
      j.Key("p99.9").Double(Micros(r.latency.Percentile(0.999)));
      j.Key("p99.99").Double(Micros(r.latency.Percentile(0.9999)));
      j.Key("max").Double(Micros(static_cast<double>(r.latency.max())));
      j.Key("mean").Double(Micros(r.latency.Mean()));
      j.EndObject();
      if (ratio) j.Key("arenakv_vs_rocksdb").Double(*ratio);
      if (r.workload == "waitforcompaction") j.Key("settled").Bool(r.settled);
      if (!r.intervals.empty()) {
        j.Key("intervals").BeginArray();
        for (const IntervalSample& s : r.intervals) {
          j.BeginObject();
          j.Key("end_seconds").Double(s.end_seconds);
          j.Key("ops").Uint(s.ops);
          j.Key("ops_per_sec").Double(s.ops_per_sec);
          j.Key("mean_latency_us").Double(s.mean_latency_us);
          j.Key("max_latency_us").Double(s.max_latency_us);
          j.EndObject();
        }
        j.EndArray();
      }
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
    j.Key("disk_bytes_written");
    OptionalUint(s.disk_bytes_written, &j);
    j.Key("disk_write_bytes");
    OptionalUint(s.disk_write_bytes, &j);
    j.Key("write_amplification");
    OptionalDouble(s.write_amplification(), &j);
    j.Key("space_amplification");
    OptionalDouble(s.space_amplification(), &j);
    j.Key("settle_seconds").Double(s.settle_seconds);
    j.Key("settled").Bool(s.settled);
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
