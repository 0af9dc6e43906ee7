// Training logs: JSON Lines, one object per logged step, e.g. {"step": 100, "loss": 0.31, "lr": 1e-4}.
// The x axis is the first of step, iteration, iter, epoch that the records hold; every other numeric field
// becomes a curve. Blank lines are skipped; a line that is not a JSON object is an error naming the line.
#pragma once

#include <string>

#include "report/entry.h"

namespace latentlab::report {

// Fills curves, curve_x and kind "train-log"; `label` as given (empty: the file's stem).
Entry read_training_log(const std::string& path, const std::string& label);

}  // namespace latentlab::report
