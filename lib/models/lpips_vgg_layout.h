// The fixed shape of LPIPS-VGG (models/lpips_vgg.h): VGG16's 13 convolutions with their torchvision
// `features` indices and the lpips slice each belongs to, the five layer widths and the scaling constants.
#pragma once

#include <cstdint>

namespace latentlab::models::lpips_vgg {

struct Conv {
  int index;  // position in torchvision's vgg16().features
  int slice;  // lpips net.slice<K> (1-based)
  int64_t in, out;
};

inline constexpr Conv kConvs[13] = {{0, 1, 3, 64},     {2, 1, 64, 64},    {5, 2, 64, 128},   {7, 2, 128, 128},
                                    {10, 3, 128, 256}, {12, 3, 256, 256}, {14, 3, 256, 256}, {17, 4, 256, 512},
                                    {19, 4, 512, 512}, {21, 4, 512, 512}, {24, 5, 512, 512}, {26, 5, 512, 512},
                                    {28, 5, 512, 512}};
inline constexpr int kConvsPerLayer[5] = {2, 2, 3, 3, 3};
inline constexpr int64_t kLayerChannels[5] = {64, 128, 256, 512, 512};
inline constexpr float kShift[3] = {-.030f, -.088f, -.188f};
inline constexpr float kScale[3] = {.458f, .448f, .450f};

}  // namespace latentlab::models::lpips_vgg
