#!/usr/bin/env bash
# What to run first when a GPU is lent (one `run` call of at most 10 minutes; logs land in $OUT, or ./gpu_logs):
#   bash benchmarks/gpu_check.sh            # all three steps, about 6-8 minutes on an H100
#   bash benchmarks/gpu_check.sh cells      # or some steps: cells | h2d | store
# 1. cells: the tiered store's and MoE layer's notebook cells, GPU-only cells included (batched fetch under a busy
#    stream, asynchronous copies), through tools/run_cells.py (no nbdev needed there);
# 2. h2d: the raw host->GPU paths for batches of 100 KB and 1 MB experts (benchmarks/h2d_batched.py);
# 3. store: the store's fetch bandwidth per tier, and its host tier with k experts a get, one copy each against batched.
# Each step has its own time limit, so a slow one does not take the others' logs with it.
set -u
out=${OUT:-gpu_logs}; mkdir -p "$out"
export PYTHONPATH=.${PYTHONPATH:+:$PYTHONPATH}
python -c "import torch; print(torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name())" | tee "$out/device.log"
steps=" ${*:-cells h2d store} "
status=0
step() {   # step NAME SECONDS COMMAND...: run COMMAND if NAME was asked for, its output to $out/NAME.log
  local name=$1 limit=$2; shift 2
  [[ "$steps" == *" $name "* ]] || return 0
  timeout "$limit" "$@" 2>&1 | tee "$out/$name.log"; status=$((status | PIPESTATUS[0]))
}
step cells 240 python tools/run_cells.py nbs/20_tiered_store.ipynb nbs/21_moe_layers.ipynb
step h2d 120 python benchmarks/h2d_batched.py
step store 240 python benchmarks/tiered_store.py --repeats 1 --checksums xxh3 --disk-mb 512 --batch 8 32
exit $status
