// Paper-style tables: the layouts of the Send-VAE paper's Table 1 (system level), Table 7
// (reconstruction vs generation) and Table 8 (attribute probe F1) filled from whatever results were
// given, with the paper's own numbers (paper_numbers.h) beside them. Results are matched to the paper's
// models by label (paper::paper_model). A paper number counts as comparable only when every result in the
// table was measured under the paper's protocol (paper_protocol_differences is empty); otherwise the paper
// rows are marked † and a note lists what differs.
#pragma once

#include <string>
#include <vector>

#include "report/entry.h"
#include "report/table.h"

namespace latentlab::report {

std::vector<Table> paper_tables(const std::vector<Entry>& entries);

// How an entry's protocol differs from the paper's for its kind, one short phrase each; empty when it matches.
std::vector<std::string> paper_protocol_differences(const Entry& entry);

// The paper's dataset a probe result was measured on (CelebA, DeepFashion, AwA), or "".
std::string paper_dataset(const Entry& entry);

}  // namespace latentlab::report
