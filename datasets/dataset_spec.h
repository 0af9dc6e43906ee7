// Dataset specs: one string names a dataset everywhere (command lines, configs, results JSON).
//
//   shapes[:key=value,...]     procedural shapes (datasets/procedural/shapes.h); keys: seed, n, res, grid
//   dsprites[:key=value,...]   the dSprites-equivalent grid; keys: seed, n, grid (64 x 64 only)
//   fashion-mnist[:split=S]    Debian's dataset-fashion-mnist (train or test), the embedded labelled set
//   idx:PREFIX                 MNIST-style IDX files PREFIX-images-idx3-ubyte[.gz] + PREFIX-labels-idx1-ubyte[.gz]
//   cifar10:DIR[,split=S]      CIFAR-10 binary batches in DIR (cifar-10-batches-bin), train or test
//   images:DIR[,attributes=F]  an image folder: class sub-folders or flat, optional CSV attribute sidecar F
//                              (datasets/readers/image_folder.h)
//   celeba:DIR[,split=S]       CelebA in DIR: img_align_celeba/ + list files; train, val, test or all
//   npz:FILE                   ADM-style image batch: arr_0 N x H x W x 3 uint8, optional arr_1 labels
//
// `grid` takes no value (or true/false). Printing an opened dataset's info().spec gives a canonical spec
// that opens the same data. Errors name the failing token and list the accepted forms.
#pragma once

#include <memory>
#include <string>

#include "datasets/image_source.h"

namespace latentlab::datasets {

std::unique_ptr<ImageSource> open_dataset(const std::string& spec);

// The accepted forms, for help texts and error messages.
const char* dataset_spec_forms();

}  // namespace latentlab::datasets
