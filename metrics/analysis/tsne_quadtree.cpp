#include "metrics/analysis/tsne_quadtree.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

constexpr double kDuplicate = 1e-6;  // scikit-learn's EPSILON: closer points share one leaf
constexpr int kMaxStack = 512;       // 3 per level: depth stays < 100 since duplicates stop splitting

}  // namespace

TsneQuadTree::TsneQuadTree(const double* points, int64_t n) {
  LATENTLAB_ASSERT(n >= 1, "a quadtree needs points");
  Box box;
  for (int a = 0; a < 2; ++a) {
    double lo = points[a], hi = points[a];
    for (int64_t i = 1; i < n; ++i) lo = std::min(lo, points[2 * i + a]), hi = std::max(hi, points[2 * i + a]);
    const double sign = hi > 0 ? 1.0 : (hi < 0 ? -1.0 : 0.0);
    box.low[a] = lo;
    box.high[a] = std::max(hi * (1.0 + 1e-3 * sign), hi + 1e-3);  // every point strictly inside
    box.centre[a] = 0.5 * (box.low[a] + box.high[a]);
  }
  Cell root;
  root.squared_max_width = std::max(std::pow(box.high[0] - box.low[0], 2), std::pow(box.high[1] - box.low[1], 2));
  cells_.reserve(static_cast<size_t>(2 * n + 1));
  boxes_.reserve(static_cast<size_t>(2 * n + 1));
  cells_.push_back(root);
  boxes_.push_back(box);
  for (int64_t i = 0; i < n; ++i) insert(points + 2 * i);
}

bool TsneQuadTree::duplicate(const double* a, const double* b) const {
  return std::abs(a[0] - b[0]) <= kDuplicate && std::abs(a[1] - b[1]) <= kDuplicate;
}

int TsneQuadTree::child_slot(int32_t cell, const double* point) const {
  const Box& box = boxes_[cell];
  return (point[0] >= box.centre[0] ? 2 : 0) + (point[1] >= box.centre[1] ? 1 : 0);
}

int32_t TsneQuadTree::new_child(int32_t parent, const double* point, int64_t size) {
  Cell child;
  Box box;
  const Box& p = boxes_[parent];
  for (int a = 0; a < 2; ++a) {
    const bool upper = point[a] >= p.centre[a];
    box.low[a] = upper ? p.centre[a] : p.low[a];
    box.high[a] = upper ? p.high[a] : p.centre[a];
    box.centre[a] = 0.5 * (box.low[a] + box.high[a]);
    child.barycenter[a] = point[a];
  }
  child.squared_max_width = std::max(std::pow(box.high[0] - box.low[0], 2), std::pow(box.high[1] - box.low[1], 2));
  child.size = size;
  const int slot = child_slot(parent, point);
  const auto id = static_cast<int32_t>(cells_.size());
  cells_.push_back(child);
  boxes_.push_back(box);  // invalidates `p`
  cells_[parent].children[slot] = id;
  cells_[parent].leaf = false;
  return id;
}

void TsneQuadTree::insert(const double* point) {
  int32_t id = 0;
  for (;;) {
    Cell& cell = cells_[id];
    if (cell.size == 0) {  // an empty leaf (only the root before the first point)
      cell.size = 1;
      cell.barycenter[0] = point[0], cell.barycenter[1] = point[1];
      return;
    }
    if (!cell.leaf) {
      const double n = static_cast<double>(cell.size);
      for (int a = 0; a < 2; ++a) cell.barycenter[a] = (n * cell.barycenter[a] + point[a]) / (n + 1.0);
      ++cell.size;
      const int32_t next = cell.children[child_slot(id, point)];
      if (next < 0) {
        new_child(id, point, 1);
        return;
      }
      id = next;
      continue;
    }
    if (duplicate(point, cell.barycenter)) {
      ++cell.size;
      return;
    }
    // A leaf holding another point: push that point (and its duplicates) down, then insert again here.
    const double held[2] = {cell.barycenter[0], cell.barycenter[1]};
    new_child(id, held, cell.size);
  }
}

double TsneQuadTree::repulsion(const double* point, double squared_angle, double force[2]) const {
  double z = 0.0, fx = 0.0, fy = 0.0;
  int32_t stack[kMaxStack];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const Cell& cell = cells_[stack[--top]];
    const double dx = point[0] - cell.barycenter[0], dy = point[1] - cell.barycenter[1];
    const double d2 = dx * dx + dy * dy;
    if (cell.leaf) {
      if (std::abs(dx) <= kDuplicate && std::abs(dy) <= kDuplicate) continue;  // itself or a duplicate
    } else if (!(cell.squared_max_width / d2 < squared_angle)) {
      LATENTLAB_ASSERT(top + 4 <= kMaxStack, "quadtree deeper than expected");
      for (int s = 3; s >= 0; --s)  // children visited in scikit-learn's order
        if (cell.children[s] >= 0) stack[top++] = cell.children[s];
      continue;
    }
    const double w = 1.0 / (1.0 + d2);
    const double sw = static_cast<double>(cell.size) * w;
    z += sw;
    fx += sw * w * dx;
    fy += sw * w * dy;
  }
  force[0] += fx;
  force[1] += fy;
  return z;
}

}  // namespace latentlab::metrics
