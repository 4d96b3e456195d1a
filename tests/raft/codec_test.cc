#include "raft/codec.h"

#include <gtest/gtest.h>

#include <random>

#include "core/checksum.h"

namespace uq::raft {
namespace {

Message full_message() {
  Message m;
  m.type = MessageType::kApp;
  m.from = NodeId(1);
  m.to = NodeId(2);
  m.term = Term(7);
  m.log_term = Term(6);
  m.index = LogIndex(100);
  m.commit = LogIndex(99);
  m.reject_hint = LogIndex(42);
  m.reject = true;
  m.force = true;
  m.context = "ctx";
  m.entries = {Entry{Term(7), LogIndex(101), EntryType::kNormal, "hello"},
               Entry{Term(7), LogIndex(102), EntryType::kConfig, std::string(9, '\x01')},
               Entry{Term(7), LogIndex(103), EntryType::kNoop, ""}};
  return m;
}

TEST(RaftCodec, EveryMessageTypeRoundTrips) {
  for (uint8_t t = 0; t < kMessageTypeCount; ++t) {
    Message m = full_message();
    m.type = static_cast<MessageType>(t);
    if (m.type == MessageType::kSnapshot) {
      m.snapshot =
          SnapshotMeta{LogIndex(50), Term(3), ConfState{{NodeId(1), NodeId(2)}, {NodeId(9)}}};
    }
    std::string bytes;
    encode_message(m, &bytes);
    Result<Message> back = decode_message(bytes);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(*back, m) << message_type_name(m.type);
  }
}

TEST(RaftCodec, EntryRoundTrips) {
  Entry e{Term(3), LogIndex(4), EntryType::kNormal, std::string("a\0b", 3)};
  std::string bytes;
  encode_entry(e, &bytes);
  Result<Entry> back = decode_entry(bytes);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(*back, e);
}

TEST(RaftCodec, EveryTruncationIsRejected) {
  std::string bytes;
  encode_message(full_message(), &bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    Result<Message> r = decode_message(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(r.is_ok()) << "prefix " << n;
    EXPECT_EQ(r.status().code(), Code::kCorruption);
  }
}

TEST(RaftCodec, EveryFlippedByteIsRejected) {
  std::string bytes;
  encode_message(full_message(), &bytes);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    EXPECT_FALSE(decode_message(bad).is_ok()) << "byte " << i;
  }
}

// Re-seals a body so that structural checks (not the checksum) must catch the damage.
std::string reseal(std::string body) {
  uint64_t sum = checksum(ChecksumDomain::kRaftMessage, body);
  for (int i = 0; i < 8; ++i) {
    body.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
  }
  return body;
}

TEST(RaftCodec, StructurallyBadInputsWithValidChecksumAreRejected) {
  std::string good;
  encode_message(full_message(), &good);
  std::string body = good.substr(0, good.size() - 8);
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::vector<Case> cases;
  {
    std::string b = body;
    b[0] = 2;  // version
    cases.push_back({"version", reseal(b)});
  }
  {
    std::string b = body;
    b[1] = static_cast<char>(kMessageTypeCount);  // type
    cases.push_back({"type", reseal(b)});
  }
  {
    std::string b = body;
    b[2] = 4;  // unknown flag
    cases.push_back({"flags", reseal(b)});
  }
  {
    std::string b = body;
    b[3] = 1;  // reserved
    cases.push_back({"reserved", reseal(b)});
  }
  {
    std::string b = body;
    b[60] = '\xff';  // context length high byte: runs past the end
    b[61] = '\xff';
    cases.push_back({"context length", reseal(b)});
  }
  {
    std::string b = body + "x";
    cases.push_back({"trailing", reseal(b)});
  }
  {
    // Entry count claims far more entries than bytes remain.
    std::string b = body;
    size_t count_pos = 4 + 7 * 8 + 4 + 3;
    b[count_pos + 3] = '\x7f';
    cases.push_back({"entry count", reseal(b)});
  }
  for (const Case& c : cases) {
    Result<Message> r = decode_message(c.bytes);
    EXPECT_FALSE(r.is_ok()) << c.name;
  }
}

TEST(RaftCodec, RandomBytesNeverDecodeOrCrash) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 200, '\0');
    for (char& c : s) {
      c = static_cast<char>(rng());
    }
    if (!s.empty()) {
      s[0] = static_cast<char>(kCodecVersion);
    }
    EXPECT_FALSE(decode_message(s).is_ok());
  }
}

TEST(RaftConfChange, ContextRoundTripsAndShortInputIsRejected) {
  ConfChange change{ConfChangeType::kAddLearner, NodeId(7), "node 7 at 127.0.0.1:4002"};
  ConfChange out;
  ASSERT_TRUE(decode_conf_change(encode_conf_change(change), &out));
  EXPECT_EQ(out, change);
  ConfChange bare{ConfChangeType::kRemoveNode, NodeId(3), ""};
  ASSERT_TRUE(decode_conf_change(encode_conf_change(bare), &out));
  EXPECT_EQ(out, bare);
  std::string encoded = encode_conf_change(change);
  EXPECT_FALSE(decode_conf_change(std::string_view(encoded).substr(0, 8), &out));
  encoded[0] = 3;  // unknown type
  EXPECT_FALSE(decode_conf_change(encoded, &out));
}

}  // namespace
}  // namespace uq::raft
