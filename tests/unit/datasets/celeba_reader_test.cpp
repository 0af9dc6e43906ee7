// CelebA on a three-image copy of the published layout (img_align_celeba/ JPEGs written by OpenCV, the two
// list files in the official text formats with the real 40 attribute names): splits, attribute rows, order,
// the spec, and the refusals naming the file at fault.
#ifdef LATENTLAB_WITH_OPENCV  // decoding needs OpenCV: without it this file tests nothing
#include "datasets/readers/celeba_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/error.h"
#include "datasets/dataset_spec.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::datasets {
namespace {

using testing::problem_of;

namespace fs = std::filesystem;
using testing::ScratchDir;
using testing::write_bytes;

const char* kNames =
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair "
    "Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup "
    "High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose "
    "Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat "
    "Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young ";

// Attribute a of image n (1-based) is 1 when (n + a) % 3 == 0, else -1 (0 once read).
int32_t attribute(int n, int a) {
  return (n + a) % 3 == 0 ? 1 : 0;
}

std::string attr_row(int n) {
  std::string row = fmt::format("{:06d}.jpg", n);
  for (int a = 0; a < 40; ++a) row += attribute(n, a) ? "  1" : " -1";
  return row + "\n";
}

// Images 1..3 (colour n * 60 grey, 12 x 10), partitions 0, 1, 2.
void write_celeba(const ScratchDir& dir) {
  fs::create_directories(dir.file("img_align_celeba"));
  for (int n = 1; n <= 3; ++n)
    ASSERT_TRUE(cv::imwrite(dir.file(fmt::format("img_align_celeba/{:06d}.jpg", n)),
                            cv::Mat(12, 10, CV_8UC3, cv::Scalar::all(n * 60))));
  write_bytes(dir.file("list_attr_celeba.txt"),
              "3\n" + std::string(kNames) + "\n" + attr_row(1) + attr_row(2) + attr_row(3));
  write_bytes(dir.file("list_eval_partition.txt"), "000001.jpg 0\n000002.jpg 1\n000003.jpg 2\n");
}

std::vector<int32_t> attributes_of(int n) {
  std::vector<int32_t> values;
  for (int a = 0; a < 40; ++a) values.push_back(attribute(n, a));
  return values;
}

TEST(CelebaReaderTest, SplitsFollowThePartition) {
  ScratchDir dir;
  write_celeba(dir);
  const CelebaReader all(dir.path(), "all");
  ASSERT_EQ(all.size(), 3);
  EXPECT_EQ(all.files(), (std::vector<std::string>{"000001.jpg", "000002.jpg", "000003.jpg"}));
  ASSERT_EQ(all.info().attributes.size(), 40u);
  EXPECT_EQ(all.info().attributes[0].name, "5_o_Clock_Shadow");
  EXPECT_EQ(all.info().attributes[39].name, "Young");
  EXPECT_EQ(all.info().attributes[31].values, (std::vector<std::string>{"0", "1"}));
  EXPECT_TRUE(all.info().class_names.empty());
  for (int n = 1; n <= 3; ++n) {
    const Example e = all.get(n - 1);
    EXPECT_EQ(e.key, fmt::format("{:06d}.jpg", n));
    EXPECT_EQ(e.label, -1);
    EXPECT_EQ(e.attributes, attributes_of(n));
    ASSERT_EQ(e.image.height, 12);
    ASSERT_EQ(e.image.width, 10);
    for (uint8_t v : e.image.pixels) ASSERT_NEAR(v, n * 60, 3);  // flat grey survives JPEG almost exactly
  }
  const char* splits[] = {"train", "val", "test"};
  for (int s = 0; s < 3; ++s) {
    const CelebaReader one(dir.path(), splits[s]);
    ASSERT_EQ(one.size(), 1) << splits[s];
    EXPECT_EQ(one.get(0).key, fmt::format("{:06d}.jpg", s + 1));
    EXPECT_EQ(one.get(0).attributes, attributes_of(s + 1));
  }
  EXPECT_EQ(CelebaReader(dir.path(), "valid").files(), (std::vector<std::string>{"000002.jpg"}));
}

TEST(CelebaReaderTest, SpecRoundTrips) {
  ScratchDir dir;
  write_celeba(dir);
  const auto source = open_dataset("celeba:" + dir.path());
  EXPECT_EQ(source->info().spec, "celeba:" + dir.path() + ",split=train");
  EXPECT_EQ(source->size(), 1);
  EXPECT_EQ(open_dataset(source->info().spec)->info().spec, source->info().spec);
  EXPECT_EQ(open_dataset("celeba:" + dir.path() + ",split=all")->size(), 3);
  EXPECT_CONTAINS(source->info().description, "40 binary attributes");
  try {
    open_dataset("celeba:" + dir.path() + ",split=dev");
    ADD_FAILURE() << "split=dev accepted";
  } catch (const UserError& e) {
    EXPECT_EQ(e.kind(), UserError::Kind::Usage);
    EXPECT_CONTAINS(e.problem(), "train, val or test");
  }
}

TEST(CelebaReaderTest, RefusesMissingRowsFilesAndFolders) {
  ScratchDir dir;
  write_celeba(dir);
  // An image of the split without an attribute row.
  write_bytes(dir.file("list_attr_celeba.txt"), "2\n" + std::string(kNames) + "\n" + attr_row(1) + attr_row(3));
  EXPECT_CONTAINS(problem_of([&] { CelebaReader(dir.path(), "all"); }, dir.file("list_attr_celeba.txt")),
                  "has no row for '000002.jpg'");
  EXPECT_EQ(CelebaReader(dir.path(), "test").size(), 1);  // other splits do not need the row
  write_celeba(dir);
  // A listed image missing from img_align_celeba/.
  fs::remove(dir.file("img_align_celeba/000003.jpg"));
  EXPECT_CONTAINS(problem_of([&] { CelebaReader(dir.path(), "test"); }, dir.file("img_align_celeba/000003.jpg")),
                  "no such file");
  // Missing list files and image folder.
  fs::remove(dir.file("list_eval_partition.txt"));
  EXPECT_THROW(CelebaReader(dir.path(), "train"), UserError);
  fs::remove_all(dir.file("img_align_celeba"));
  EXPECT_CONTAINS(problem_of([&] { CelebaReader(dir.path(), "train"); }, dir.file("img_align_celeba")),
                  "no such directory");
}

TEST(CelebaReaderTest, CorruptImageFailsOnGetNamingIt) {
  ScratchDir dir;
  write_celeba(dir);
  write_bytes(dir.file("img_align_celeba/000002.jpg"), "\xFF\xD8\xFF");  // a JPEG signature and nothing else
  const CelebaReader reader(dir.path(), "val");
  EXPECT_CONTAINS(problem_of([&] { reader.get(0); }, dir.file("img_align_celeba") + "/000002.jpg"),
                  "cannot decode image");
}

}  // namespace
}  // namespace latentlab::datasets
#endif  // LATENTLAB_WITH_OPENCV
