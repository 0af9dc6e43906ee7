// A leaderboard table: the entries of one protocol group ranked by the first column of their kind that
// they have (gFID for fid, rFID for recon, attribute macro-F1 for probes; result_kinds.h), best first;
// entries without that number come last. Used by `report` and by `leaderboard show`.
#pragma once

#include <string>
#include <vector>

#include "report/entry.h"
#include "report/grouping.h"
#include "report/result_kinds.h"
#include "report/table.h"

namespace latentlab::report {

// Best first by `by`; ties keep the given order.
std::vector<const Entry*> rank_entries(std::vector<const Entry*> entries, const Column& by);

// Columns: #, the label, the kind's columns present, the file. A note says what ranks and the protocol.
Table leaderboard_table(const ProtocolGroup& group, const std::string& title);

}  // namespace latentlab::report
