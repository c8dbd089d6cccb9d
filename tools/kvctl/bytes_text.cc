// SPDX-License-Identifier: Apache-2.0
#include "tools/kvctl/bytes_text.h"

namespace arenakv::kvctl {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void AppendHexByte(std::string* out, unsigned char byte) {
  out->push_back(kHexDigits[byte >> 4]);
  out->push_back(kHexDigits[byte & 0xf]);
}

void AppendEscaped(std::string* out, std::string_view bytes, bool escape_quote) {
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\' && !(escape_quote && c == '\'')) {
      out->push_back(c);
    } else {
      out->append("\\x");
      AppendHexByte(out, byte);
    }
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string EscapeBytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  AppendEscaped(&out, bytes, /*escape_quote=*/false);
  return out;
}

std::string QuoteBytes(std::string_view bytes) {
  std::string out = "'";
  AppendEscaped(&out, bytes, /*escape_quote=*/true);
  out.push_back('\'');
  return out;
}

std::string HexBytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) AppendHexByte(&out, static_cast<unsigned char>(c));
  return out;
}

std::string ShowBytes(std::string_view bytes, bool hex, bool quoted) {
  if (hex) return HexBytes(bytes);
  return quoted ? QuoteBytes(bytes) : EscapeBytes(bytes);
}

bool DecodeHex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  out->reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

}  // namespace arenakv::kvctl
