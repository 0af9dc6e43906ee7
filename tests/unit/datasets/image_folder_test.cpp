// Image folders on tiny generated trees: the class and flat layouts (order, labels, keys, exact PNG pixels),
// the CSV attribute sidecar matched by relative path and by file name, the dataset spec, and every refusal
// naming the file or folder at fault.
#ifdef LATENTLAB_WITH_OPENCV  // decoding needs OpenCV: without it this file tests nothing
#include "datasets/readers/image_folder.h"

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

// Writes a 3 x 2 image whose every pixel is RGB (tag, tag + 1, tag + 2), in the format `name`'s extension
// names (the extension is lower-cased for OpenCV, which picks the encoder by it).
void write_image(const std::string& path, int tag) {
  fs::create_directories(fs::path(path).parent_path());
  std::string ext = fs::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<uint8_t> bytes;
  const cv::Mat mat(2, 3, CV_8UC3, cv::Scalar(tag + 2, tag + 1, tag));  // B, G, R
  ASSERT_TRUE(cv::imencode(ext, mat, bytes));
  write_bytes(path, std::string(bytes.begin(), bytes.end()));
}

// cat/ (2 images), dog/ (one nested), and files to ignore: hidden entries and non-images.
void write_class_tree(const ScratchDir& dir) {
  write_image(dir.file("dog/b.PNG"), 10);
  write_image(dir.file("dog/sub/a.png"), 20);
  write_image(dir.file("cat/z.bmp"), 30);
  write_image(dir.file("cat/a.JPEG"), 40);
  write_bytes(dir.file("cat/notes.txt"), "not an image");
  write_image(dir.file("cat/.hidden.png"), 50);
  write_image(dir.file(".cache/x.png"), 60);
}

TEST(ImageFolderTest, ClassLayout) {
  ScratchDir dir;
  write_class_tree(dir);
  const ImageFolder folder(dir.path());
  EXPECT_TRUE(folder.has_classes());
  EXPECT_EQ(folder.info().class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(folder.files(), (std::vector<std::string>{"cat/a.JPEG", "cat/z.bmp", "dog/b.PNG", "dog/sub/a.png"}));
  EXPECT_EQ(folder.info().spec, "images:" + dir.path());
  EXPECT_TRUE(folder.info().attributes.empty());
  EXPECT_CONTAINS(folder.info().description, "4 images in 2 class folders");
  const std::vector<int64_t> labels = {0, 0, 1, 1};
  const std::vector<int> tags = {40, 30, 10, 20};
  for (int64_t i = 0; i < 4; ++i) {
    const Example e = folder.get(i);
    EXPECT_EQ(e.label, labels[i]);
    EXPECT_EQ(e.key, folder.files()[i]);
    EXPECT_TRUE(e.attributes.empty());
    ASSERT_EQ(e.image.height, 2);
    ASSERT_EQ(e.image.width, 3);
    const int tag = tags[i];
    if (i == 0) {  // JPEG: approximately
      EXPECT_NEAR(e.image.pixels[0], tag, 6);
      EXPECT_NEAR(e.image.pixels[2], tag + 2, 6);
    } else {  // BMP, PNG: exactly
      for (size_t p = 0; p < e.image.pixels.size(); ++p) ASSERT_EQ(e.image.pixels[p], tag + p % 3) << i;
    }
  }
  EXPECT_THROW(folder.get(4), UserError);
}

TEST(ImageFolderTest, FlatLayoutAndSpec) {
  ScratchDir dir;
  write_image(dir.file("b.png"), 1);
  write_image(dir.file("a.webp"), 2);
  write_image(dir.file("C.png"), 3);                      // byte order: upper case first
  write_bytes(dir.file("list.csv"), "filename,smile\n");  // not an image: ignored
  const auto source = open_dataset("images:" + dir.path());
  EXPECT_TRUE(source->info().class_names.empty());
  ASSERT_EQ(source->size(), 3);
  EXPECT_EQ(source->get(0).key, "C.png");
  EXPECT_EQ(source->get(1).key, "a.webp");
  EXPECT_EQ(source->get(2).key, "b.png");
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(source->get(i).label, -1);
  EXPECT_EQ(source->get(0).image.pixels[0], 3);
  EXPECT_EQ(open_dataset(source->info().spec)->info().spec, source->info().spec);
  EXPECT_THROW(open_dataset("images:" + dir.path() + ",split=train"), UserError);
  EXPECT_THROW(open_dataset("images:"), UserError);
}

TEST(ImageFolderTest, AttributesByRelativePathOrFileName) {
  ScratchDir dir;
  write_class_tree(dir);
  // Rows by relative path and by bare file name, in another order than the images.
  write_bytes(dir.file("attrs.csv"), "file,smile,pose\ndog/sub/a.png,1,3\nz.bmp,0,0\ncat/a.JPEG,1,1\nb.PNG,0,2\n");
  const std::string spec = "images:" + dir.path() + ",attributes=" + dir.file("attrs.csv");
  const auto source = open_dataset(spec);
  EXPECT_EQ(source->info().spec, spec);
  ASSERT_EQ(source->info().attributes.size(), 2u);
  EXPECT_EQ(source->info().attributes[0].name, "smile");
  EXPECT_EQ(source->info().attributes[0].values, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(source->info().attributes[1].values, (std::vector<std::string>{"0", "1", "2", "3"}));
  const std::vector<std::vector<int32_t>> expected = {{1, 1}, {0, 0}, {0, 2}, {1, 3}};
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(source->get(i).attributes, expected[i]) << i;
}

TEST(ImageFolderTest, RefusesAttributeMismatches) {
  ScratchDir dir;
  write_class_tree(dir);
  const std::string csv = dir.file("attrs.csv");
  write_bytes(csv, "file,smile\ncat/a.JPEG,1\nz.bmp,0\nb.PNG,0\n");
  EXPECT_CONTAINS(problem_of([&] { ImageFolder(dir.path(), csv); }, csv), "has no row for 'dog/sub/a.png'");
  write_bytes(csv, "file,smile\ncat/a.JPEG,1\nz.bmp,0\nb.PNG,0\na.png,1\ngone.png,1\n");
  EXPECT_CONTAINS(problem_of([&] { ImageFolder(dir.path(), csv); }, csv), "lists 'gone.png', which is not an image");
  // "a.png" would match both cat/a.png and dog/sub/a.png by file name.
  write_image(dir.file("cat/a.png"), 70);
  write_bytes(csv, "file,smile\ncat/a.JPEG,1\nz.bmp,0\nb.PNG,0\na.png,1\n");
  EXPECT_CONTAINS(problem_of([&] { ImageFolder(dir.path(), csv); }, csv), "matches both 'cat/a.png'");
  EXPECT_CONTAINS(problem_of([&] { ImageFolder(dir.path(), dir.file("none.csv")); }, dir.file("none.csv")), "");
}

TEST(ImageFolderTest, RefusesEmptyMixedAndMissingFolders) {
  ScratchDir dir;
  fs::create_directories(dir.file("empty"));
  write_bytes(dir.file("empty/readme.txt"), "no images here");
  EXPECT_CONTAINS(problem_of([&] { ImageFolder{dir.file("empty")}; }, dir.file("empty")), "holds no .jpg");
  EXPECT_CONTAINS(problem_of([&] { ImageFolder{dir.file("nope")}; }, dir.file("nope")), "no such directory");
  // A class folder without images.
  fs::create_directories(dir.file("tree/cat"));
  write_image(dir.file("tree/dog/a.png"), 1);
  EXPECT_CONTAINS(problem_of([&] { ImageFolder{dir.file("tree")}; }, dir.file("tree/cat")), "class folder holds no");
  // Images next to class folders.
  write_image(dir.file("tree/cat/b.png"), 2);
  write_image(dir.file("tree/loose.png"), 3);
  EXPECT_CONTAINS(problem_of([&] { ImageFolder{dir.file("tree")}; }, dir.file("tree/loose.png")),
                  "next to class sub-folders");
}

TEST(ImageFolderTest, UndecodableFileFailsOnGetNamingIt) {
  ScratchDir dir;
  write_image(dir.file("a.png"), 1);
  write_bytes(dir.file("b.jpg"), "plain text, not a JPEG");
  const ImageFolder folder(dir.path());
  ASSERT_EQ(folder.size(), 2);
  EXPECT_EQ(folder.get(0).image.pixels[1], 2);
  EXPECT_CONTAINS(problem_of([&] { folder.get(1); }, dir.path() + "/b.jpg"), "cannot decode image");
}

TEST(ImageFolderTest, ImageExtensions) {
  for (const char* yes : {"a.jpg", "a.JPG", "b.jpeg", "c.Png", "d.webp", "e.BMP", "x.y.png"})
    EXPECT_TRUE(is_image_file_name(yes)) << yes;
  for (const char* no : {"a.gif", "a.tif", "png", ".png", "a.png.txt", "a."})
    EXPECT_FALSE(is_image_file_name(no)) << no;
}

}  // namespace
}  // namespace latentlab::datasets
#endif  // LATENTLAB_WITH_OPENCV
