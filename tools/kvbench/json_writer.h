// SPDX-License-Identifier: Apache-2.0
// JsonWriter: builds one JSON document into a string, escaping strings per
// RFC 8259 (quote, backslash and control characters; other bytes are passed
// through, so UTF-8 stays UTF-8). Commas between members are inserted
// automatically; the caller balances Begin/End calls.
//
// Thread safety: none; one writer per document. Owns its output string.
#ifndef ARENAKV_TOOLS_KVBENCH_JSON_WRITER_H_
#define ARENAKV_TOOLS_KVBENCH_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace arenakv::kvbench {

class JsonWriter {
 public:
  // Inside an object, Key must precede each value.
  JsonWriter& Key(std::string_view key);
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(std::int64_t value);
  JsonWriter& Uint(std::uint64_t value);
  JsonWriter& Double(double value);  // NaN and infinities become null
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Key(key) followed by an array of `values` as strings.
  JsonWriter& StringArray(std::string_view key, const std::vector<std::string>& values);

  const std::string& str() const { return out_; }

  // Appends `value` as a quoted, escaped JSON string.
  static void AppendQuoted(std::string_view value, std::string* out);

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open container: whether it already holds a member.
  std::vector<bool> has_member_;
  bool after_key_ = false;
};

}  // namespace arenakv::kvbench

#endif  // ARENAKV_TOOLS_KVBENCH_JSON_WRITER_H_
