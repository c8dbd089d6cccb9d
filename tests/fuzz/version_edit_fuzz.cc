// SPDX-License-Identifier: Apache-2.0
// version_edit_fuzz: VersionEdit::DecodeFrom on arbitrary bytes.
//
// Feeds: the input, as one manifest record (docs/FORMATS.md, "Manifest
// (version edits)").
// Checks: DecodeFrom returns OK, Corruption or InvalidArgument (an unknown
// comparator), and on failure leaves the edit empty; a decoded edit encodes to
// bytes that decode to an equal edit, and encoding that gives the same bytes
// again (the encoding is stable; the input itself may order its fields
// differently); DebugString works on every decoded edit.
// A crash means the decoder reads outside its input, accepts a malformed
// edit, or EncodeTo writes something DecodeFrom does not read back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mvcc/version/version_edit.h"
#include "tests/fuzz/fuzz_util.h"

namespace arenakv {
namespace {

void FuzzVersionEdit(std::string_view input) {
  VersionEdit edit;
  edit.SetLogNumber(7);  // DecodeFrom must replace it, also on failure
  const Status s = edit.DecodeFrom(input);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption() || s.IsInvalidArgument(), s.ToString());
    FUZZ_CHECK(edit == VersionEdit(), "a failed DecodeFrom left fields set");
    return;
  }
  FUZZ_CHECK(!edit.DebugString().empty(), "empty DebugString");

  std::string encoded;
  edit.EncodeTo(&encoded);
  FUZZ_CHECK(encoded.size() <= input.size(), "the encoding grew past the decoded input");
  VersionEdit decoded;
  const Status s2 = decoded.DecodeFrom(encoded);
  FUZZ_CHECK(s2.ok(), "re-encoded edit does not decode: " + s2.ToString());
  FUZZ_CHECK(decoded == edit, "re-encoded edit decodes to another edit");
  std::string encoded_again;
  decoded.EncodeTo(&encoded_again);
  FUZZ_CHECK(encoded_again == encoded, "encoding is not stable");
}

}  // namespace
}  // namespace arenakv

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  arenakv::FuzzVersionEdit(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
