// The pipeline against an in-memory source whose pixels encode the index: order, determinism across
// thread counts, shuffling, shards, bad items and the tensor layout.
#include "datasets/pipeline.h"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::datasets {
namespace {

class CountingSource : public ImageSource {
 public:
  CountingSource(int64_t n, std::set<int64_t> bad = {}) : bad_(std::move(bad)) {
    info_.spec = "counting";
    info_.size = n;
    info_.attributes = {{"parity", {"even", "odd"}}};
  }
  const DatasetInfo& info() const override { return info_; }
  Example get(int64_t index) const override {
    check_index(*this, index);
    if (bad_.count(index)) fail("item" + std::to_string(index) + ".png", "cannot decode image");
    Example e;
    e.image.height = 2, e.image.width = 3;
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x)
        for (int c = 0; c < 3; ++c) e.image.pixels.push_back(static_cast<uint8_t>((index + 10 * y + 3 * x + c) % 251));
    e.label = index;
    e.attributes = {static_cast<int32_t>(index % 2)};
    e.key = "item" + std::to_string(index);
    return e;
  }

 private:
  DatasetInfo info_;
  std::set<int64_t> bad_;
};

std::vector<int64_t> drain(Pipeline& p) {
  std::vector<int64_t> out;
  while (auto b = p.next()) {
    for (int64_t i = 0; i < b->labels.size(0); ++i) out.push_back(b->labels[i].item<int64_t>());
    EXPECT_EQ(b->indices, std::vector<int64_t>(out.end() - b->labels.size(0), out.end()));
  }
  return out;
}

TEST(Pipeline, SequentialOrderWhateverTheThreadCount) {
  CountingSource source(103);
  std::vector<int64_t> expected(103);
  std::iota(expected.begin(), expected.end(), 0);
  for (int threads : {1, 2, 5})
    for (int prefetch : {1, 3}) {
      PipelineOptions o;
      o.batch_size = 10, o.threads = threads, o.prefetch = prefetch;
      Pipeline p(source, o);
      EXPECT_EQ(p.batches(), 11);
      EXPECT_EQ(drain(p), expected) << threads << " " << prefetch;
    }
}

TEST(Pipeline, TensorLayoutIsNchwUint8WithLabelsAndAttributes) {
  CountingSource source(5);
  PipelineOptions o;
  o.batch_size = 4;
  Pipeline p(source, o);
  const auto b = p.next();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->images.sizes(), (at::IntArrayRef{4, 3, 2, 3}));
  EXPECT_EQ(b->images.scalar_type(), at::kByte);
  // images[n][c][y][x] == pixel (y, x, c) of item n
  EXPECT_EQ(b->images[2][1][1][2].item<int>(), (2 + 10 * 1 + 3 * 2 + 1) % 251);
  EXPECT_EQ(b->attributes[3][0].item<int>(), 1);
  EXPECT_EQ(b->keys[1], "item1");
  EXPECT_EQ(p.next()->labels.size(0), 1);
  EXPECT_FALSE(p.next().has_value());
}

TEST(Pipeline, ShuffleIsSeededAndShardsPartitionIt) {
  CountingSource source(50);
  PipelineOptions o;
  o.batch_size = 7, o.shuffle = true, o.seed = 4;
  Pipeline a(source, o), b(source, o);
  const auto first = drain(a);
  EXPECT_EQ(first, drain(b));
  std::vector<int64_t> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> all(50);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(sorted, all);
  EXPECT_NE(first, all);
  o.seed = 5;
  Pipeline c(source, o);
  EXPECT_NE(drain(c), first);

  o.seed = 4;
  std::vector<int64_t> joined;
  for (int shard = 0; shard < 3; ++shard) {
    o.shard_index = shard, o.shard_count = 3;
    Pipeline s(source, o);
    const auto part = drain(s);
    for (size_t i = 0; i < part.size(); ++i) EXPECT_EQ(part[i], first[shard + 3 * i]);
    joined.insert(joined.end(), part.begin(), part.end());
  }
  std::sort(joined.begin(), joined.end());
  EXPECT_EQ(joined, all);
}

TEST(Pipeline, StartResumesTheShardOrderWhereAJobStopped) {
  CountingSource source(50);
  PipelineOptions o;
  o.batch_size = 4, o.shuffle = true, o.seed = 9, o.shard_index = 1, o.shard_count = 2;
  Pipeline whole(source, o);
  const auto all = drain(whole);
  for (int64_t start : {0, 8, 13, 25}) {
    o.start = start;
    Pipeline rest(source, o);
    EXPECT_EQ(drain(rest), std::vector<int64_t>(all.begin() + start, all.end())) << start;
  }
  o.start = 26;
  EXPECT_THROW(Pipeline(source, o), UserError);
}

TEST(Pipeline, BadItemStopsWithItsErrorOrIsSkippedAndCounted) {
  CountingSource source(30, {4, 17, 18});
  PipelineOptions o;
  o.batch_size = 8, o.threads = 3;
  {
    Pipeline p(source, o);
    try {
      drain(p);
      FAIL() << "no error";
    } catch (const UserError& e) {
      EXPECT_EQ(e.subject(), "item4.png");  // the first bad item in order, whichever thread met it
    }
  }
  o.skip_bad = true;
  Pipeline p(source, o);
  const auto got = drain(p);
  EXPECT_EQ(got.size(), 27u);
  ASSERT_EQ(p.skipped().size(), 3u);
  EXPECT_EQ(p.skipped()[0].index, 4);
  EXPECT_EQ(p.skipped()[2].index, 18);
  EXPECT_NE(p.skipped()[1].error.find("cannot decode"), std::string::npos);
}

TEST(Pipeline, DropLastAndEarlyDestructionDoNotHang) {
  CountingSource source(25);
  PipelineOptions o;
  o.batch_size = 10, o.drop_last = true;
  {
    Pipeline p(source, o);
    EXPECT_EQ(drain(p).size(), 20u);
  }
  o.drop_last = false, o.prefetch = 1;
  Pipeline p(source, o);
  EXPECT_TRUE(p.next().has_value());
  // destroyed with batches still pending
}

TEST(Pipeline, TransformsApplyAndMixedSizesNameTheItem) {
  CountingSource source(6);
  PipelineOptions o;
  o.batch_size = 3;
  Pipeline crop(source, o, [](const Image& im) {
    Image out;
    out.height = 1, out.width = 1;
    out.pixels.assign(im.pixels.begin(), im.pixels.begin() + 3);
    return out;
  });
  EXPECT_EQ(crop.next()->images.sizes(), (at::IntArrayRef{3, 3, 1, 1}));
  Pipeline mixed(source, o, [](const Image& im) {
    Image out = im;
    if (im.pixels[0] == 1) out.height = 1, out.pixels.resize(9);
    return out;
  });
  try {
    mixed.next();
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), "item1");
  }
}

TEST(Pipeline, ShardStringsAndBadOptions) {
  EXPECT_EQ(parse_shard("2/4", "--shard"), (std::pair<int, int>{2, 4}));
  for (const char* bad : {"4/4", "-1/2", "1", "a/b", "1/0", "1/2x"})
    EXPECT_THROW(parse_shard(bad, "--shard"), UserError);
  CountingSource source(3);
  PipelineOptions o;
  o.batch_size = 0;
  EXPECT_THROW(Pipeline(source, o), UserError);
}

}  // namespace
}  // namespace latentlab::datasets
