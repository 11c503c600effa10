# The two commands of the README, each complete on a fresh machine:
#   make lab    installs, finds the data, runs the lab's experiment into results/
#   make test   installs, runs the whole suite (fast tests, then slow ones), writes reports/ledger.md
# make docs rewrites the measured sections of README.md and docs/ from the saved outputs (scripts/measured.py).
PYTHON ?= python3
FASHION_MNIST := /usr/share/datasets/fashion-mnist

.PHONY: setup data sandbox lab test fast bench mutation flaky gradescope docs
# The primary torch: the newest release, what a new user's pip install gets (tox.ini runs the others)
setup:
	$(PYTHON) -m pip install --quiet torch==2.15.0 torchvision==0.29.2
	$(PYTHON) -m pip install --quiet -e ".[lab,test]"

# Debian's package holds the original Fashion-MNIST files; nnlab finds them there, no download.
data:
	@test -d $(FASHION_MNIST) || { apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; }

# Debian's bubblewrap: the sandbox nnlab check runs each submission in (tests/grading/test_sandbox.py tries it)
sandbox:
	@command -v bwrap > /dev/null || { apt-get update -qq && apt-get install -y -qq bubblewrap; }

lab: setup data
	$(PYTHON) -m nnlab lab

# One pytest worker per core (pytest-xdist); the slow Fashion-MNIST tests share one experiment, so they stay on
# one worker (their xdist_group), everything else is spread test by test.
PARALLEL := -n auto --dist loadgroup

# Two passes: the fast tests on a worker per core, then the slow ones in one process with every core's threads (the
# 20-seed experiment is one batched job, which a worker of its own would run on one thread).
# The second pass adds to the first's coverage and ledger; reports/ then holds both (make docs keeps them in docs/).
test: setup data sandbox
	$(PYTHON) -m pytest $(PARALLEL) -m "not slow" --cov=nnlab --cov-branch --cov-report=
	$(PYTHON) -m pytest -m slow --cov=nnlab --cov-branch --cov-append --cov-report=json:reports/coverage.json \
		--cov-report=term-missing:skip-covered --cov-fail-under=95

fast: setup
	$(PYTHON) -m pytest $(PARALLEL) -m "not slow"

# benchmarks/history keeps saved runs; this compares a new run with the last one and fails where a minimum
# time grew by more than 50% (minimums, with the warm-up in pyproject.toml: medians move more than that between
# runs of unchanged code; docs/performance.md gives the measurements)
bench: setup data
	$(PYTHON) -m pytest benchmarks --benchmark-autosave --benchmark-compare --benchmark-compare-fail=min:50%
	$(PYTHON) benchmarks/saved_runs.py --plot docs/tensor_dot_speed.png

# Mutation testing of nnlab/ with the fast suite, on a uniform random sample of mutants drawn for the commit
# (SAMPLE=N for another size, SAMPLE=all for every one: hours on 2 cores). scripts/mutation.py says how; make docs
# then lists the survivors in docs/mutation.md. mutmut pinned: the script reads its results and stops it after
# generating mutants.
mutation: setup
	$(PYTHON) -m pip install --quiet mutmut==3.8.1
	$(PYTHON) scripts/mutation.py $(if $(SAMPLE),--sample $(SAMPLE))

# The measured sections of README.md and docs/ from the saved outputs, after keeping in docs/ what the last whole
# make test and make mutation left in reports/ and mutants/ (scripts/measured.py says what it kept and what not,
# and why)
docs:
	$(PYTHON) scripts/measured.py --save

# The fast suite 20 times in a row, each with fresh hypothesis seeds; stops at the first failure.
flaky: setup
	for run in $$(seq 20); do echo "run $$run"; $(PYTHON) -m pytest $(PARALLEL) -m "not slow" -q -p no:cacheprovider || exit 1; done

# Gradescope's autograder: setup.sh, run_autograder and nnlab's wheel in one zip to upload (gradescope/README.md),
# with the course file it scores by, as course.toml: gradescope/course.toml if there is one, or COURSE=FILE
COURSE ?= $(wildcard gradescope/course.toml)
gradescope:
	rm -rf gradescope/build && mkdir -p gradescope/build
	$(PYTHON) -m pip wheel --quiet --no-deps --wheel-dir gradescope/build .
	cp gradescope/setup.sh gradescope/run_autograder gradescope/build/
	$(if $(COURSE),cp $(COURSE) gradescope/build/course.toml)
	cd gradescope/build && $(PYTHON) -m zipfile -c ../autograder.zip setup.sh run_autograder nnlab-*.whl \
		$(if $(COURSE),course.toml)
