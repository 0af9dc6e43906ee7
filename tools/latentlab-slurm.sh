#!/bin/sh
# Runs a command as one rank of a latentlab data-parallel job under Slurm (srun) or mpirun, by mapping
# the launcher's variables to torchrun's (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), which
# lib/distributed reads. Variables already set win, so it is harmless under torchrun. docs/distributed.md.
#
# Usage:  srun [srun options] tools/latentlab-slurm.sh latentlab train-ldm --config run.ini
#         mpirun -np 8 -x MASTER_ADDR=node1 tools/latentlab-slurm.sh latentlab train-vae ...
# e.g.:   srun --nodes=2 --ntasks-per-node=8 --gpus-per-task=1 tools/latentlab-slurm.sh latentlab train-ldm --config configs/paper/ldm-sit-xl1-repa.ini
set -eu

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]  (run under srun or mpirun; see docs/distributed.md)" >&2
  exit 2
fi

first_set() {  # the value of the first variable named that is set
  for name in "$@"; do
    eval "value=\${$name:-}"
    if [ -n "$value" ]; then
      echo "$value"
      return
    fi
  done
}

: "${RANK:=$(first_set SLURM_PROCID OMPI_COMM_WORLD_RANK PMI_RANK PMIX_RANK)}"
: "${WORLD_SIZE:=$(first_set SLURM_NTASKS OMPI_COMM_WORLD_SIZE PMI_SIZE)}"
: "${LOCAL_RANK:=$(first_set SLURM_LOCALID OMPI_COMM_WORLD_LOCAL_RANK MPI_LOCALRANKID)}"
if [ -z "$RANK" ] || [ -z "$WORLD_SIZE" ]; then
  echo "$0: error: no rank found (neither RANK/WORLD_SIZE nor Slurm's or mpirun's variables are set)" >&2
  exit 2
fi
: "${LOCAL_RANK:=0}"
if [ -z "${MASTER_ADDR:-}" ]; then
  if [ -n "${SLURM_JOB_NODELIST:-}" ] && command -v scontrol >/dev/null 2>&1; then
    MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)  # rank 0 runs on the first node
  elif [ "$WORLD_SIZE" -gt 1 ]; then
    echo "$0: error: MASTER_ADDR: not set and not derivable (set it to the host of rank 0)" >&2
    exit 2
  fi
fi
# One port per Slurm job, so that jobs sharing a node do not collide (29500 + the job id modulo 10000).
: "${MASTER_PORT:=$((29500 + ${SLURM_JOB_ID:-0} % 10000))}"
export RANK WORLD_SIZE LOCAL_RANK MASTER_ADDR MASTER_PORT
exec "$@"
