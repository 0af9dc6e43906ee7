// The quadtree of Barnes–Hut t-SNE (van der Maaten 2014), built as scikit-learn 1.2 builds it
// (sklearn/neighbors/_quad_tree.pyx) so the approximation makes the same choices:
//  - root box: the points' [min, max] per axis with max pushed out to max(M·(1 + 1e-3·sign M), M + 1e-3);
//  - one point per leaf; a point within 1e-6 of a leaf's point on every axis is a duplicate and only adds
//    to the leaf's size; a cell splits at its centre, a coordinate >= the centre going to the upper half;
//  - each cell keeps its points' barycenter, their count and the square of its widest side.
// Used for t-SNE's repulsive forces (tsne.h); points are 2-D, row-major (n, 2) doubles.
#pragma once

#include <cstdint>
#include <vector>

namespace latentlab::metrics {

class TsneQuadTree {
 public:
  TsneQuadTree(const double* points, int64_t n);

  // Repulsion on `point` with Student-t (one degree of freedom) kernels w = 1 / (1 + ‖y − b‖²): walks the
  // tree from the root and takes a cell whole (its size times the kernel at its barycenter b) when it is a
  // leaf or when (widest side)² / ‖y − b‖² < angle². Leaves within 1e-6 of `point` (the point itself and
  // its duplicates) are skipped. Returns Σ size·w (the point's share of the normaliser Z) and adds
  // Σ size·w²·(y − b) to force[0..1].
  double repulsion(const double* point, double squared_angle, double force[2]) const;

  int64_t cell_count() const { return static_cast<int64_t>(cells_.size()); }

 private:
  struct Cell {  // what the walk reads, kept small for the cache
    double barycenter[2];
    double squared_max_width;
    int64_t size = 0;
    int32_t children[4] = {-1, -1, -1, -1};
    bool leaf = true;
  };
  struct Box {  // only needed while building
    double centre[2], low[2], high[2];
  };

  void insert(const double* point);
  int32_t new_child(int32_t parent, const double* point, int64_t size);
  int child_slot(int32_t cell, const double* point) const;
  bool duplicate(const double* a, const double* b) const;

  std::vector<Cell> cells_;
  std::vector<Box> boxes_;
};

}  // namespace latentlab::metrics
