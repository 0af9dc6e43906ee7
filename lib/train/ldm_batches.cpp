#include "train/ldm_batches.h"

#include <random>

#include <ATen/ATen.h>

#include "core/error.h"
#include "diffusion/sample_plan.h"
#include "store/reader.h"

namespace latentlab::train {
namespace {

constexpr uint64_t kFlipStream = 0xF11B5EEDull;

// One preprocessed image as uint8 (3, H, W), mirrored left-right when `flip`.
at::Tensor image_tensor(const datasets::ImageSource& source, const datasets::Pipeline::Transform& transform,
                        int64_t index, bool flip) {
  datasets::Image image = source.get(index).image;
  if (transform) image = transform(image);
  at::Tensor t = at::from_blob(image.pixels.data(), {image.height, image.width, 3}, at::kByte).permute({2, 0, 1});
  return flip ? t.flip({2}).clone() : t.clone();
}

}  // namespace

LdmBatchSource::LdmBatchSource(const store::StoreReader& reader, LdmBatchOptions options,
                               const datasets::ImageSource* images, datasets::Pipeline::Transform transform)
    : reader_(reader), options_(std::move(options)), images_(images), transform_(std::move(transform)) {
  distributed::validate(options_.plan, options_.world_size, "--batch-size");
  if (options_.random_flip && !reader.info().header.identity.flip)
    fail_usage("--random-flip", "needs a store cached with flips; {} has none (cache it with --flip)", reader.path());
  if (options_.teacher_tokens && !reader.info().header.identity.has_teacher_tokens())
    fail(reader.path(), "holds no teacher tokens (cache it with --teacher)");
  if (images_ && reader.info().header.identity.key_width != 0)
    fail(reader.path(), "has string keys; reading its images needs the dataset-index keys `latentlab cache` writes");
}

LdmBatchSource::~LdmBatchSource() {
  if (pending_.valid()) pending_.wait();
}

std::vector<int64_t> LdmBatchSource::permutation(int64_t epoch) const {
  std::lock_guard<std::mutex> lock(permutation_mutex_);
  if (permutation_epoch_ != epoch) {
    permutation_ = distributed::epoch_permutation(options_.plan.dataset_size, options_.plan.seed, epoch);
    permutation_epoch_ = epoch;
  }
  return permutation_;
}

std::vector<uint8_t> LdmBatchSource::global_flips(int64_t step) const {
  std::vector<uint8_t> flips(static_cast<size_t>(options_.plan.global_batch), 0);
  if (!options_.random_flip) return flips;
  std::mt19937_64 random(diffusion::sample_seed(options_.plan.seed ^ kFlipStream, step));
  for (auto& f : flips) f = static_cast<uint8_t>(random() >> 63);
  return flips;
}

LdmBatch LdmBatchSource::read(int64_t step) const {
  const auto& plan = options_.plan;
  const int64_t per_epoch = plan.steps_per_epoch();
  const std::vector<int64_t> order = permutation(step / per_epoch);
  const int64_t first = step % per_epoch * plan.global_batch;
  const std::vector<uint8_t> flips = global_flips(step);
  LdmBatch batch;
  batch.step = step;
  std::vector<uint8_t> flipped;
  for (int64_t j = options_.rank; j < plan.global_batch; j += options_.world_size) {
    batch.positions.push_back(j);
    batch.rows.push_back(order[static_cast<size_t>(first + j)]);
    flipped.push_back(flips[static_cast<size_t>(j)]);
  }
  store::LatentBatch latents = reader_.read(batch.rows, options_.random_flip ? flipped : std::vector<uint8_t>{});
  batch.mean = latents.mean;
  batch.std = latents.std;
  batch.labels = latents.labels;
  if (options_.teacher_tokens)
    batch.teacher_tokens =
        reader_.read_teacher_tokens(batch.rows, options_.random_flip ? flipped : std::vector<uint8_t>{});
  if (images_) {
    std::vector<at::Tensor> images;
    for (size_t i = 0; i < batch.rows.size(); ++i)
      images.push_back(image_tensor(*images_, transform_, std::stoll(latents.keys[i]), flipped[i] != 0));
    batch.images = at::stack(images);
  }
  return batch;
}

LdmBatch LdmBatchSource::get(int64_t step) {
  LdmBatch batch;
  if (pending_.valid() && pending_step_ == step) {
    batch = pending_.get();  // rethrows a read error here, on the training thread
  } else {
    if (pending_.valid()) pending_.wait();
    batch = read(step);
  }
  pending_step_ = step + 1;
  pending_ = std::async(std::launch::async, [this, next = step + 1] { return read(next); });
  return batch;
}

}  // namespace latentlab::train
