// SPDX-License-Identifier: Apache-2.0
// VersionEdit: the encoding round-trips every combination of fields, matches
// the bytes documented in docs/FORMATS.md, and decoding refuses every
// malformed input (truncations, trailing bytes, unknown tags, out-of-range
// levels and sequences, bad keys, random damage) without reading out of
// bounds: inputs are decoded from exact-size heap copies so ASan sees any
// over-read.
#include "mvcc/version/version_edit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "mvcc/util/coding.h"
#include "mvcc/util/dbformat.h"

namespace arenakv {
namespace {

Status DecodeExact(std::string_view encoded, VersionEdit* edit) {
  std::unique_ptr<char[]> copy(new char[encoded.size() + 1]);
  if (!encoded.empty()) std::memcpy(copy.get(), encoded.data(), encoded.size());
  return edit->DecodeFrom(std::string_view(copy.get(), encoded.size()));
}

std::string Encode(const VersionEdit& edit) {
  std::string encoded;
  edit.EncodeTo(&encoded);
  return encoded;
}

FileMetaData File(std::uint64_t number, std::string_view smallest_key, SequenceNumber smallest_seq,
                  std::string_view largest_key, SequenceNumber largest_seq) {
  FileMetaData file;
  file.number = number;
  file.file_size = number * 1000 + 7;
  file.smallest = InternalKey(smallest_key, smallest_seq, EntryKind::kPut);
  file.largest = InternalKey(largest_key, largest_seq, EntryKind::kDelete);
  file.smallest_sequence = std::min(smallest_seq, largest_seq);
  file.largest_sequence = std::max(smallest_seq, largest_seq);
  return file;
}

// An edit with every kind of field; bit i of `fields` turns field i on.
VersionEdit MakeEdit(unsigned fields) {
  VersionEdit edit;
  if (fields & 1) edit.SetComparatorName(kBytewiseComparatorName);
  if (fields & 2) edit.SetLogNumber(12);
  if (fields & 4) edit.SetNextFileNumber(300);
  if (fields & 8) edit.SetLastSequence(123456789);
  if (fields & 16) {
    edit.DeleteFile(0, 4);
    edit.DeleteFile(6, std::numeric_limits<std::uint64_t>::max());
  }
  if (fields & 32) {
    edit.AddFile(0, File(17, "apple", 9, "pear", 3));
    edit.AddFile(3, File(18, std::string("\0k\0", 3), 1, std::string("\xff\xfe", 2), 2));
  }
  return edit;
}

constexpr unsigned kAllFields = 63;

TEST(VersionEditTest, EveryCombinationOfFieldsRoundTrips) {
  for (unsigned fields = 0; fields <= kAllFields; ++fields) {
    const VersionEdit edit = MakeEdit(fields);
    VersionEdit decoded;
    ASSERT_TRUE(DecodeExact(Encode(edit), &decoded).ok()) << fields;
    EXPECT_EQ(decoded, edit) << fields;
    EXPECT_EQ(Encode(decoded), Encode(edit)) << fields;
  }
}

TEST(VersionEditTest, AccessorsReportWhatWasSet) {
  const VersionEdit empty;
  EXPECT_FALSE(empty.comparator_name().has_value());
  EXPECT_FALSE(empty.log_number().has_value());
  EXPECT_FALSE(empty.next_file_number().has_value());
  EXPECT_FALSE(empty.last_sequence().has_value());
  EXPECT_TRUE(empty.new_files().empty());
  EXPECT_TRUE(empty.deleted_files().empty());

  VersionEdit decoded;
  ASSERT_TRUE(DecodeExact(Encode(MakeEdit(kAllFields)), &decoded).ok());
  EXPECT_EQ(decoded.comparator_name(), std::string(kBytewiseComparatorName));
  EXPECT_EQ(decoded.log_number(), 12u);
  EXPECT_EQ(decoded.next_file_number(), 300u);
  EXPECT_EQ(decoded.last_sequence(), 123456789u);
  ASSERT_EQ(decoded.new_files().size(), 2u);
  EXPECT_EQ(decoded.new_files()[0].first, 0);
  EXPECT_EQ(decoded.new_files()[0].second, File(17, "apple", 9, "pear", 3));
  EXPECT_EQ(decoded.new_files()[1].first, 3);
  const std::set<std::pair<int, std::uint64_t>> deleted = {
      {0, 4}, {6, std::numeric_limits<std::uint64_t>::max()}};
  EXPECT_EQ(decoded.deleted_files(), deleted);
}

TEST(VersionEditTest, EmptyEditIsOneZeroByte) {
  EXPECT_EQ(Encode(VersionEdit()), std::string(1, '\0'));
  VersionEdit decoded;
  decoded.SetLogNumber(5);  // replaced by the decode
  ASSERT_TRUE(DecodeExact(std::string(1, '\0'), &decoded).ok());
  EXPECT_EQ(decoded, VersionEdit());
}

TEST(VersionEditTest, EncodingMatchesTheDocumentedBytes) {
  VersionEdit edit;
  edit.SetLogNumber(300);
  edit.DeleteFile(1, 7);
  edit.AddFile(2, File(9, "a", 5, "b", 6));
  const std::string_view expected(
      "\x03"                  // field_count = 3
      "\x02\xac\x02"          // log_number = 300
      "\x05\x01\x07"          // deleted_file L1 #7
      "\x06\x02\x09\xaf\x46"  // new_file L2 #9, file_size 9007
      "\x09"
      "a\x01\x05\x00\x00\x00\x00\x00\x00"  // smallest 'a' @5 put
      "\x09"
      "b\x00\x06\x00\x00\x00\x00\x00\x00"  // largest 'b' @6 delete
      "\x05\x06",                          // sequences 5..6
      34);
  EXPECT_EQ(Encode(edit), expected);
}

TEST(VersionEditTest, ExtremeValuesAndKeysRoundTrip) {
  VersionEdit edit;
  edit.SetLogNumber(std::numeric_limits<std::uint64_t>::max());
  edit.SetNextFileNumber(0);
  edit.SetLastSequence(kMaxSequenceNumber);
  FileMetaData file = File(1, "", 0, std::string(100000, 'k'), kMaxSequenceNumber);
  file.file_size = std::numeric_limits<std::uint64_t>::max();
  edit.AddFile(kNumLevels - 1, file);
  edit.AddFile(0, File(2, "same", 4, "same", 4));  // one-key file: smallest == largest

  VersionEdit decoded;
  ASSERT_TRUE(DecodeExact(Encode(edit), &decoded).ok());
  EXPECT_EQ(decoded, edit);
}

TEST(VersionEditTest, SettingAFieldTwiceKeepsTheLastValue) {
  VersionEdit edit;
  edit.SetLogNumber(1);
  edit.SetLogNumber(2);
  edit.DeleteFile(1, 5);
  edit.DeleteFile(1, 5);
  VersionEdit decoded;
  ASSERT_TRUE(DecodeExact(Encode(edit), &decoded).ok());
  EXPECT_EQ(decoded.log_number(), 2u);
  EXPECT_EQ(decoded.deleted_files().size(), 1u);
}

TEST(VersionEditTest, ClearForgetsEverything) {
  VersionEdit edit = MakeEdit(kAllFields);
  edit.Clear();
  EXPECT_EQ(edit, VersionEdit());
}

TEST(VersionEditTest, DebugStringShowsEveryField) {
  const std::string text = MakeEdit(kAllFields).DebugString();
  EXPECT_NE(text.find("comparator: arenakv.bytewise\n"), std::string::npos) << text;
  EXPECT_NE(text.find("log_number: 12\n"), std::string::npos) << text;
  EXPECT_NE(text.find("next_file_number: 300\n"), std::string::npos) << text;
  EXPECT_NE(text.find("last_sequence: 123456789\n"), std::string::npos) << text;
  EXPECT_NE(text.find("delete_file: L0 #4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("delete_file: L6 #18446744073709551615\n"), std::string::npos) << text;
  EXPECT_NE(text.find("add_file: L0 #17 17007 bytes ['apple' @9 put .. 'pear' @3 delete] "
                      "sequences 3..9\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("add_file: L3 #18 18007 bytes ['\\x00k\\x00' @1 put .. '\\xff\\xfe' @2 "
                      "delete] sequences 1..2\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(VersionEdit().DebugString(), "VersionEdit {\n}\n");
}

TEST(VersionEditTest, EveryTruncationIsCorruption) {
  const std::string encoded = Encode(MakeEdit(kAllFields));
  for (std::size_t length = 0; length < encoded.size(); ++length) {
    VersionEdit decoded;
    const Status s = DecodeExact(std::string_view(encoded).substr(0, length), &decoded);
    EXPECT_TRUE(s.IsCorruption()) << length << ": " << s.ToString();
    EXPECT_EQ(decoded, VersionEdit()) << length;
  }
}

TEST(VersionEditTest, TrailingBytesAreCorruption) {
  std::string encoded = Encode(MakeEdit(kAllFields));
  encoded.push_back('\x02');
  VersionEdit decoded;
  EXPECT_TRUE(DecodeExact(encoded, &decoded).IsCorruption());
}

// A one-field edit built by hand: field_count 1, then `field`.
Status DecodeField(const std::string& field) {
  std::string encoded;
  PutVarint32(&encoded, 1);
  encoded.append(field);
  VersionEdit decoded;
  return DecodeExact(encoded, &decoded);
}

std::string NewFileField(std::uint32_t level, std::string_view smallest, std::string_view largest,
                         std::uint64_t smallest_sequence, std::uint64_t largest_sequence) {
  std::string field;
  PutVarint32(&field, 6);
  PutVarint32(&field, level);
  PutVarint64(&field, 1);    // number
  PutVarint64(&field, 100);  // file_size
  PutLengthPrefixed(&field, smallest);
  PutLengthPrefixed(&field, largest);
  PutVarint64(&field, smallest_sequence);
  PutVarint64(&field, largest_sequence);
  return field;
}

TEST(VersionEditTest, MalformedFieldsAreCorruption) {
  const std::string a = InternalKey("a", 1, EntryKind::kPut);
  const std::string b = InternalKey("b", 2, EntryKind::kPut);
  EXPECT_TRUE(DecodeField(NewFileField(0, a, b, 1, 2)).ok());  // the control

  std::string unknown_tag;
  PutVarint32(&unknown_tag, 99);
  EXPECT_TRUE(DecodeField(unknown_tag).IsCorruption());
  EXPECT_TRUE(DecodeField(std::string(1, '\0')).IsCorruption());  // tag 0

  EXPECT_TRUE(DecodeField(NewFileField(kNumLevels, a, b, 1, 2)).IsCorruption());
  EXPECT_TRUE(DecodeField(NewFileField(1u << 31, a, b, 1, 2)).IsCorruption());
  EXPECT_TRUE(DecodeField(NewFileField(0, "short", b, 1, 2)).IsCorruption());
  EXPECT_TRUE(DecodeField(NewFileField(0, "", b, 1, 2)).IsCorruption());
  std::string bad_kind = a;
  bad_kind[1] = 7;  // the trailer's kind byte
  EXPECT_TRUE(DecodeField(NewFileField(0, bad_kind, b, 1, 2)).IsCorruption());
  EXPECT_TRUE(DecodeField(NewFileField(0, b, a, 1, 2)).IsCorruption());  // smallest > largest
  EXPECT_TRUE(DecodeField(NewFileField(0, a, b, 2, 1)).IsCorruption());
  EXPECT_TRUE(DecodeField(NewFileField(0, a, b, 1, kMaxSequenceNumber + 1)).IsCorruption());

  std::string deleted;
  PutVarint32(&deleted, 5);
  PutVarint32(&deleted, kNumLevels);
  PutVarint64(&deleted, 3);
  EXPECT_TRUE(DecodeField(deleted).IsCorruption());

  std::string sequence;
  PutVarint32(&sequence, 4);
  PutVarint64(&sequence, kMaxSequenceNumber + 1);
  EXPECT_TRUE(DecodeField(sequence).IsCorruption());

  std::string overlong_varint;
  PutVarint32(&overlong_varint, 2);
  overlong_varint.append(10, '\xff');
  overlong_varint.push_back('\x01');
  EXPECT_TRUE(DecodeField(overlong_varint).IsCorruption());

  std::string name_past_end;
  PutVarint32(&name_past_end, 1);
  PutVarint32(&name_past_end, 1000);
  name_past_end.append("arenakv.bytewise");
  EXPECT_TRUE(DecodeField(name_past_end).IsCorruption());
}

TEST(VersionEditTest, FieldGivenTwiceIsCorruption) {
  std::string encoded;
  PutVarint32(&encoded, 2);
  for (int i = 0; i < 2; ++i) {
    PutVarint32(&encoded, 2);  // log_number
    PutVarint64(&encoded, 5);
  }
  VersionEdit decoded;
  EXPECT_TRUE(DecodeExact(encoded, &decoded).IsCorruption());

  encoded.clear();
  PutVarint32(&encoded, 2);
  for (int i = 0; i < 2; ++i) {
    PutVarint32(&encoded, 5);  // deleted_file L1 #3
    PutVarint32(&encoded, 1);
    PutVarint64(&encoded, 3);
  }
  EXPECT_TRUE(DecodeExact(encoded, &decoded).IsCorruption());
}

TEST(VersionEditTest, ForeignComparatorIsRefused) {
  VersionEdit edit = MakeEdit(kAllFields);
  edit.SetComparatorName("someone.reverse");
  VersionEdit decoded;
  const Status s = DecodeExact(Encode(edit), &decoded);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("someone.reverse"), std::string::npos);
  EXPECT_EQ(decoded, VersionEdit());

  edit.SetComparatorName("");
  EXPECT_TRUE(DecodeExact(Encode(edit), &decoded).IsInvalidArgument());
}

TEST(VersionEditTest, RandomDamageIsRefusedOrDecodesToAValidEdit) {
  const std::string original = Encode(MakeEdit(kAllFields));
  std::mt19937 rng(20240601);
  int refused = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::string damaged = original;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    VersionEdit decoded;
    const Status s = DecodeExact(damaged, &decoded);
    if (s.ok()) {
      // Whatever it decoded to is a valid edit: it encodes and decodes again.
      VersionEdit again;
      ASSERT_TRUE(DecodeExact(Encode(decoded), &again).ok());
      EXPECT_EQ(again, decoded);
    } else {
      ASSERT_TRUE(s.IsCorruption() || s.IsInvalidArgument()) << s.ToString();
      EXPECT_EQ(decoded, VersionEdit());
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace arenakv
