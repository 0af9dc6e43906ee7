// FIPS 180-4 test vectors, and agreement with coreutils' sha256sum on a file.
#include "io/sha256.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, StreamingInPiecesEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 5000; ++i) data += static_cast<char>(i * 7 + 3);
  for (size_t piece : {1, 3, 63, 64, 65, 1000}) {
    Sha256 h;
    for (size_t i = 0; i < data.size(); i += piece) h.update(data.data() + i, std::min(piece, data.size() - i));
    EXPECT_EQ(h.hex_digest(), sha256_hex(data)) << piece;
  }
}

TEST(Sha256, FileAgreesWithSha256sum) {
  testing::ScratchDir dir;
  std::string data;
  for (int i = 0; i < 3'000'000; ++i) data += static_cast<char>((i * 131) >> 3);
  testing::write_bytes(dir.file("blob"), data);
  const auto r = testing::run_command("sha256sum " + dir.file("blob"));
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(sha256_file(dir.file("blob")), r.out.substr(0, 64));
  EXPECT_THROW(sha256_file(dir.file("missing")), UserError);
}

}  // namespace
}  // namespace latentlab::io
