// SPDX-License-Identifier: Apache-2.0
// How kvctl shows bytes (keys and values may hold any byte, NUL included) and
// reads them back from the command line. Pure functions, any thread.
//
// Text form: printable ASCII (0x20..0x7e) as is, every other byte and the
// backslash as \xNN (lowercase hex), so the output is one line per item and
// unambiguous. The quoted form ('...', used by the dump commands like
// VersionEdit::DebugString) also escapes the single quote.
// Hex form (--hex): two lowercase hex digits per byte, nothing else.
#ifndef ARENAKV_TOOLS_KVCTL_BYTES_TEXT_H_
#define ARENAKV_TOOLS_KVCTL_BYTES_TEXT_H_

#include <string>
#include <string_view>

namespace arenakv::kvctl {

std::string EscapeBytes(std::string_view bytes);
// "'" + bytes escaped (the quote too) + "'".
std::string QuoteBytes(std::string_view bytes);
std::string HexBytes(std::string_view bytes);

// --hex output: HexBytes; otherwise EscapeBytes (or QuoteBytes if quoted).
std::string ShowBytes(std::string_view bytes, bool hex, bool quoted = false);

// Decodes an even number of hex digits (either case) into *out. False, with
// *out unspecified, for an odd length or a non-hex character.
bool DecodeHex(std::string_view hex, std::string* out);

}  // namespace arenakv::kvctl

#endif  // ARENAKV_TOOLS_KVCTL_BYTES_TEXT_H_
