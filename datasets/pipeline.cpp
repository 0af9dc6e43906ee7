#include "datasets/pipeline.h"

#include <algorithm>
#include <numeric>
#include <random>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/runtime.h"

namespace latentlab::datasets {

std::pair<int, int> parse_shard(const std::string& text, const std::string& option) {
  const auto slash = text.find('/');
  int index = -1, count = 0;
  try {
    if (slash != std::string::npos) {
      size_t a = 0, b = 0;
      index = std::stoi(text.substr(0, slash), &a);
      count = std::stoi(text.substr(slash + 1), &b);
      if (a != slash || b != text.size() - slash - 1) count = 0;
    }
  } catch (const std::exception&) {
    count = 0;
  }
  if (count < 1 || index < 0 || index >= count)
    fail_usage(option, "'{}' is not a shard i/n with 0 <= i < n (e.g. 0/4)", text);
  return {index, count};
}

Pipeline::Pipeline(const ImageSource& source, PipelineOptions options, Transform transform)
    : source_(source), options_(options), transform_(std::move(transform)) {
  if (options_.batch_size < 1) fail_usage("--batch-size", "must be >= 1, got {}", options_.batch_size);
  if (options_.prefetch < 1) fail_usage("--prefetch", "must be >= 1, got {}", options_.prefetch);
  if (options_.shard_count < 1 || options_.shard_index < 0 || options_.shard_index >= options_.shard_count)
    fail_usage("--shard", "{}/{} is not a shard i/n with 0 <= i < n", options_.shard_index, options_.shard_count);
  std::vector<int64_t> all(static_cast<size_t>(source_.size()));
  std::iota(all.begin(), all.end(), 0);
  if (options_.shuffle) {
    // Every shard draws the same permutation, so shards partition it.
    std::mt19937_64 rng(options_.seed);
    for (size_t i = all.size(); i > 1; --i) std::swap(all[i - 1], all[rng() % i]);
  }
  for (size_t i = static_cast<size_t>(options_.shard_index); i < all.size(); i += options_.shard_count)
    order_.push_back(all[i]);
  if (options_.start < 0 || options_.start > static_cast<int64_t>(order_.size()))
    fail_usage("start", "{} is outside this shard's {} positions", options_.start, order_.size());
  order_.erase(order_.begin(), order_.begin() + options_.start);
  const int threads = options_.threads > 0 ? options_.threads : available_cores();
  for (int t = 0; t < std::min<int64_t>(threads, std::max<int64_t>(batches(), 1)); ++t)
    workers_.emplace_back([this] { work(); });
}

Pipeline::~Pipeline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& w : workers_) w.join();
}

int64_t Pipeline::batches() const {
  const int64_t n = static_cast<int64_t>(order_.size()), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void Pipeline::work() {
  for (;;) {
    int64_t number;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] {
        return stopping_ || next_to_build_ >= batches() || next_to_build_ < next_to_deliver_ + options_.prefetch;
      });
      if (stopping_ || next_to_build_ >= batches()) return;
      number = next_to_build_++;
    }
    Built built = build(number);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(number, std::move(built));
    }
    changed_.notify_all();
  }
}

Pipeline::Built Pipeline::build(int64_t number) const {
  Built built;
  const int64_t first = number * options_.batch_size;
  const int64_t last = std::min<int64_t>(first + options_.batch_size, static_cast<int64_t>(order_.size()));
  std::vector<Example> examples;
  std::vector<int64_t> kept;  // dataset index of each example (skipped items leave gaps)
  for (int64_t p = first; p < last; ++p) {
    const int64_t index = order_[p];
    try {
      Example example = source_.get(index);
      if (transform_) example.image = transform_(example.image);
      if (!examples.empty() &&
          (example.image.height != examples[0].image.height || example.image.width != examples[0].image.width))
        fail(example.key, "image is {}x{} but its batch is {}x{}: give a resize or crop", example.image.height,
             example.image.width, examples[0].image.height, examples[0].image.width);
      examples.push_back(std::move(example));
      kept.push_back(index);
    } catch (const UserError& e) {
      if (!options_.skip_bad) {
        built.error = std::current_exception();
        return built;
      }
      built.skipped.push_back({index, source_.info().spec + "#" + std::to_string(index), e.what()});
    } catch (...) {
      built.error = std::current_exception();
      return built;
    }
  }
  if (examples.empty()) return built;
  const int64_t n = static_cast<int64_t>(examples.size()), h = examples[0].image.height, w = examples[0].image.width;
  const size_t attribute_count = examples[0].attributes.size();
  Batch batch;
  auto hwc = at::empty({n, h, w, 3}, at::kByte);
  batch.labels = at::empty({n}, at::kLong);
  if (attribute_count) batch.attributes = at::empty({n, static_cast<int64_t>(attribute_count)}, at::kInt);
  auto* pixels = hwc.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    const auto& e = examples[i];
    std::copy(e.image.pixels.begin(), e.image.pixels.end(), pixels + i * h * w * 3);
    batch.labels.data_ptr<int64_t>()[i] = e.label;
    if (attribute_count) {
      LATENTLAB_ASSERT(e.attributes.size() == attribute_count, "attribute count varies within {}", source_.info().spec);
      std::copy(e.attributes.begin(), e.attributes.end(), batch.attributes.data_ptr<int32_t>() + i * attribute_count);
    }
    batch.indices.push_back(kept[i]);
    batch.keys.push_back(e.key);
  }
  batch.images = hwc.permute({0, 3, 1, 2}).contiguous();
  built.batch = std::move(batch);
  return built;
}

std::optional<Batch> Pipeline::next() {
  for (;;) {
    Built built;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (next_to_deliver_ >= batches()) return std::nullopt;
      changed_.wait(lock, [&] { return ready_.count(next_to_deliver_) > 0; });
      auto it = ready_.find(next_to_deliver_);
      built = std::move(it->second);
      ready_.erase(it);
      ++next_to_deliver_;
    }
    changed_.notify_all();
    if (built.error) std::rethrow_exception(built.error);
    skipped_.insert(skipped_.end(), built.skipped.begin(), built.skipped.end());
    if (built.batch) return std::move(built.batch);
    // Every item of this batch was skipped: go on to the next one.
  }
}

}  // namespace latentlab::datasets
