# The two commands of the README, each complete on a fresh machine:
#   make lab    installs, finds the data, runs the lab's experiment into results/
#   make test   installs, runs the whole suite (slow tests included), writes reports/ledger.md
PYTHON ?= python3
FASHION_MNIST := /usr/share/datasets/fashion-mnist

.PHONY: setup data lab test fast
setup:
	$(PYTHON) -m pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(PYTHON) -m pip install --quiet -e ".[test]"

# Debian's package holds the original Fashion-MNIST files; nnlab finds them there, no download.
data:
	@test -d $(FASHION_MNIST) || { apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; }

lab: setup data
	$(PYTHON) -m nnlab lab

test: setup data
	$(PYTHON) -m pytest

fast: setup
	$(PYTHON) -m pytest -m "not slow"
