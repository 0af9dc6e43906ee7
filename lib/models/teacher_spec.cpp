// make_teacher (models/teacher.h): the `teacher` option's spec strings.
#include <cerrno>
#include <cstdlib>
#include <vector>

#include "core/error.h"
#include "models/teacher.h"
#include "models/teacher_dinov2.h"
#include "models/teacher_grid.h"
#include "models/teacher_procedural.h"
#include "models/teacher_torchscript.h"

namespace latentlab::models {
namespace {

bool is_count(const std::string& text) {
  return !text.empty() && text.size() < 7 && text.find_first_not_of("0123456789") == std::string::npos;
}

// torchscript:<file>[:<size>][:<normalisation>], read from the right so that a file name may hold ':'.
TorchScriptTeacherOptions parse_torchscript(std::string rest) {
  TorchScriptTeacherOptions options;
  auto last_item = [&]() { return rest.substr(rest.rfind(':') + 1); };
  if (rest.find(':') != std::string::npos) {
    const std::string item = last_item();
    if (item == "imagenet" || item == "unit" || item == "signed") {
      options.normalization = parse_teacher_normalization(item, "teacher");
      rest.resize(rest.rfind(':'));
    }
  }
  if (rest.find(':') != std::string::npos && is_count(last_item())) {
    options.size = std::strtol(last_item().c_str(), nullptr, 10);
    if (options.size < 1) fail_usage("teacher", "the TorchScript input size must be positive, got {}", options.size);
    rest.resize(rest.rfind(':'));
  }
  if (rest.empty()) fail_usage("teacher", "'torchscript:' needs a file ({})", teacher_spec_forms());
  options.path = rest;
  return options;
}

}  // namespace

const char* teacher_spec_forms() {
  return "dinov2:<preset>:<weights>, torchscript:<file>[:<size>][:<normalisation>], procedural:<weights>";
}

std::unique_ptr<Teacher> make_teacher(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (kind == "dinov2") {
    const auto second = rest.find(':');
    if (second == std::string::npos || second == 0 || second + 1 == rest.size())
      fail_usage("teacher", "'{}': write dinov2:<preset>:<weights>, e.g. dinov2:vitb14:dinov2_vitb14_pretrain.pth",
                 spec);
    return DinoV2Teacher::load(rest.substr(0, second), rest.substr(second + 1));
  }
  if (kind == "torchscript") return std::make_unique<TorchScriptTeacher>(parse_torchscript(rest));
  if (kind == "procedural") {
    if (rest.empty()) fail_usage("teacher", "'{}': write procedural:<weights> (from `latentlab train-teacher`)", spec);
    return ProceduralTeacher::load(rest);
  }
  fail_usage("teacher", "unknown teacher '{}' (known forms: {})", spec, teacher_spec_forms());
}

}  // namespace latentlab::models
