// `latentlab probe` as a library call: which targets to probe, the linear probes of linear_probe.h on the
// training split (C by k-fold CV inside it) scored on the test split, optionally the MLP separability probe
// (mlp_probe.h: trained on the training split, early-stopped and threshold-tuned on the validation split),
// the linear/MLP ratio per target, one results JSON and a readable table.
// Targets:
//   labels      the class labels (rows with a negative label are unlabelled and left out): one multinomial probe;
//   attributes  every attribute column, all of which must be 0/1: independent logistic heads;
//   factors     every attribute column as a multi-valued factor: one multinomial probe per factor;
//   NAME        a named attribute column: 0/1 columns join the binary heads, the others are factors;
//   auto        labels when there are at least two classes, 0/1 columns as attributes, the rest as factors.
// Separability ratio: linear / MLP test accuracy for labels and factors, linear / MLP balanced accuracy per
// attribute (accuracy of an imbalanced attribute hides a probe that predicts the majority).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/probes/linear_probe.h"
#include "metrics/probes/mlp_probe.h"
#include "metrics/probes/probe_features.h"

namespace latentlab::metrics {

struct ProbeRunOptions {
  std::vector<std::string> targets = {"auto"};
  ProbeOptions linear;
  bool mlp = false;
  MlpOptions mlp_options;
  std::string device = "cpu";
};

struct ProbeReport {
  nlohmann::json protocol;  // split, standardisation, grid, folds, solver, seeds, MLP settings, targets
  nlohmann::json results;   // per target: linear, mlp, separability
  std::string table;        // the summary printed on stdout
};

ProbeReport run_probes(const ProbeData& data, const ProbeSplits& splits, const ProbeRunOptions& options);

}  // namespace latentlab::metrics
