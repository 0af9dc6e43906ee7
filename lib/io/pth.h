// PyTorch .pth / .pt files written by torch.save, read without Python and without torch, in both
// serialisations. Pickle details live in io/pickle.h (the machine) and io/torch_pickle.h (storages, tensors).
//
// Zip format (torch.save's default since torch 1.6): a zip archive whose entries all sit in one folder
// <prefix>/ (the file's stem when torch wrote it, "archive" for buffers):
//     <prefix>/data.pkl        the pickled object; storages are persistent ids (io/torch_pickle.h)
//     <prefix>/data/<key>      one entry per storage key ("0", "1", …): numel × element size raw bytes,
//                              little-endian, stored uncompressed (torch 2.x aligns them to 64 bytes)
//     <prefix>/version         format version ("3\n"); not needed to read
//     <prefix>/byteorder       "little" or "big" (torch >= 2.1; absent means little); big is rejected
//     <prefix>/.data/…, .format_version, .storage_alignment   (torch 2.x bookkeeping; ignored)
// Needs libzip: without it (io/zip_archive_unavailable.cpp) a zip-format file is refused with one line saying so
// and how to re-save it in the legacy format, which every build reads.
//
// Legacy format (torch < 1.6, or torch.save(..., _use_new_zipfile_serialization=False)): one file holding,
// back to back,
//     pickle  magic number 0x1950a86a20f9469cfc6c (an 80-bit LONG1)
//     pickle  protocol version 1001
//     pickle  sys_info dict {protocol_version, little_endian: bool, type_sizes}; little_endian False is rejected
//     pickle  the object; storage persistent ids may carry view metadata (io/torch_pickle.h)
//     pickle  list of storage keys (str), in the order their data follows
//     for each key in that list: int64 little-endian element count n, then n × element size raw bytes
// The file is memory-mapped; the older tar-based format (torch < 0.4) is rejected.
//
// Tensors are (storage, storage_offset, size, stride) views; reading one copies its elements out in C order
// into a contiguous io::Array, so transposes, slices with offsets, expand()ed tensors (stride 0) and tensors
// sharing a storage all come out as plain arrays. Every view was checked against its storage when the pickle
// was read, and every storage against the file's data when the file was opened.
//
// State dicts: the object is usually a dict of tensors, possibly nested ({'state_dict': {...}, 'epoch': 3},
// {'model': {...}, 'ema': {...}}). flatten() names every leaf by its keys joined with '.'
// ("model.encoder.conv.weight"; list and tuple items by index); select_tensors() picks the tensors a loader
// wants (see there). Errors are UserErrors naming the file, and the pickle's byte offset where there is one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/array.h"
#include "io/pickle.h"

namespace latentlab::io {

struct PthOptions {
  // A tensor can hold more bytes than its storage only through 0 or overlapping strides (expand()); copying
  // one out is capped at this many bytes, so that a few pickle bytes cannot claim terabytes.
  uint64_t max_expanded_bytes = uint64_t{1} << 30;
  PickleLimits limits;
};

class PthFile {
 public:
  enum class Format { Zip, Legacy };

  // Opens and unpickles `path`, checking every storage against the file. Throws UserError naming `path`.
  explicit PthFile(const std::string& path, const PthOptions& options = {});
  ~PthFile();
  PthFile(const PthFile&) = delete;
  PthFile& operator=(const PthFile&) = delete;

  const std::string& path() const;
  Format format() const;
  // The object torch.save pickled: dicts, lists, scalars, …; tensors are Kind::Tensor leaves whose shape and
  // dtype can be listed without reading their data. Lives as long as this PthFile.
  const PickleValue& root() const;
  // A contiguous C-order copy of `tensor` (a TensorRef from root()). `name` is for error messages.
  Array read(const TensorRef& tensor, const std::string& name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct PthItem {
  std::string name;          // dotted path: "model.encoder.conv.weight", "epoch", "optimizer.param_groups.0.lr"
  const PickleValue* value;  // a leaf: a tensor, a scalar, a string, an opaque object, …
};

// Every leaf reachable from `root` through dicts, lists and tuples, in order, named by their keys (str keys
// as they are, int keys in decimal, others as describe() prints them) joined with '.'. Empty containers
// have no leaves; a root that is itself a leaf is named "". Depth and count are bounded (errors name
// `subject`), which also stops self-referencing pickles.
std::vector<PthItem> flatten(const PickleValue& root, const std::string& subject);

// The tensors a model loader wants, with names relative to the chosen prefix:
//   prefix "" (auto): if the top level holds tensors directly (a plain state dict, or one tensor), all
//     tensors in the file; else those under the first of the keys state_dict, model, ema, module, net that
//     holds any (logged with log::info); else an error listing the top-level keys.
//   prefix "ema" (or "model.ema", …): the tensors whose dotted name starts with "ema.", with that part
//     removed; an error listing the top-level keys when there are none.
// Duplicate names (a dict with both "a.b" and {"a": {"b": …}}) are an error.
std::vector<PthItem> select_tensors(const PickleValue& root, const std::string& prefix, const std::string& subject);

// read_pth(path) = the selected tensors of a .pth/.pt file, read into contiguous arrays, in file order.
NamedArrays read_pth(const std::string& path, const std::string& prefix = "", const PthOptions& options = {});

}  // namespace latentlab::io
