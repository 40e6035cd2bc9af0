# Two commands do all the set-up on a fresh clone: `make book` and `make test`.
# Both create .venv with the first of python3.11, python3.12 and python3.13 found (PYTHON=... names
# another) and install the exact versions in requirements.lock. Supported: Linux x86_64 and macOS 14+
# on Apple silicon; anything else stops at once with one message (booktools/commands/supported.py).

ifeq ($(origin PYTHON),undefined)
PYTHON := $(or $(shell for p in python3.11 python3.12 python3.13; do $$p -c '' >/dev/null 2>&1 && { echo $$p; break; }; done),python3)
endif
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HTML   := _build/html
PORT   ?= 8000

# The title of `make new-chapter TITLE=...`, exactly as typed: `$(value ...)` keeps make from
# expanding `$` in it, and the recipe reads it from the environment, so no shell parses it either.
# (Without this line make would expand a command-line TITLE such as '$(shell ...)' when it exports it.)
override TITLE := $(value TITLE)
export TITLE
# The same for `make diff BASE=...`: a git ref reaches Python through the environment, never through a shell.
override BASE := $(value BASE)
export BASE

# `book` is also the name of a folder: without .PHONY make would call it up to date.
.PHONY: book test check stress serve clean bench lock lint help new-chapter pdf venv diff

help:
	@echo "make book   build the site into $(HTML) (sets up .venv first)"
	@echo "make venv   only set up .venv: the first of python3.11, 3.12, 3.13 (or PYTHON=...) and requirements.lock"
	@echo "make check  the one-minute check while you write: ruff, the chapter checks, the tests that need no build"
	@echo "make test   run every test: lesson_code, a clean build, the built HTML, the browser"
	@echo "make stress the fault, reproducibility and browser tests beside two busy processes (not in make test)"
	@echo "make pdf    print the built book into _build/pdf/ (builds the site first if there is none)"
	@echo "make serve  serve the built site on http://127.0.0.1:$(PORT)"
	@echo "make bench  measure build times and page weights (prints a table, writes _build/bench.json)"
	@echo "make diff BASE=origin/main  build the book at that git ref and this one; list what changed in _build/diff/"
	@echo "make new-chapter TITLE=\"...\"  start book/<slug>.md from the chapter template"
	@echo "make lock   re-resolve requirements.lock for every supported platform and Python (UPGRADE=1: newest versions)"
	@echo "make lint   ruff (checks and formatting, as pre-commit), the chapter checks and zizmor (the workflows' security)"
	@echo "make clean  remove the build and the execution cache (refused while a build runs)"

# Every file pip installs must match a hash in requirements.lock (setuptools, the build backend, too);
# then lesson_code is installed in place with that setuptools, from no index: nothing unpinned is fetched.
# A failed install prints pip's last lines and what to do (on Linux, torch's CPU build comes from
# PyTorch's CPU index, which pip is given through its environment, never from here).
$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "No $(PYTHON) found: install CPython 3.11, 3.12 or 3.13, or name one with PYTHON=..." >&2; exit 1; }
	@$(PYTHON) -m booktools.commands.supported
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m booktools.commands.supported
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock > $(VENV)/pip.log 2>&1 \
		|| { $(BIN)/python -m booktools.commands.supported --pip-log $(VENV)/pip.log; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-index --no-deps --no-build-isolation -e .
	@# Build matplotlib's font cache now, so that no chapter prints it to stderr.
	$(BIN)/python -c "import matplotlib.pyplot"
	@touch $@

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/python -m booktools.commands.strict .
	@echo
	@echo "The site is in $(HTML): open $(HTML)/index.html, or run 'make serve'."

test: $(STAMP)
	$(BIN)/python -m pytest

# The tests that need no build: not `build` (the built book), `browser` or `slow` (copies of the book),
# nor `lock` (the lock resolved for every platform, which a change to the book does not touch).
# BOOK_TESTS_NO_BUILD makes any test that would build anyway fail at once, naming the marker it lacks.
UNIT_TESTS := not build and not browser and not slow and not lock

check: $(STAMP)
	$(BIN)/ruff check lesson_code booktools tests
	$(BIN)/ruff format --check lesson_code booktools tests
	$(BIN)/python -m booktools.commands.lint
	BOOK_TESTS_NO_BUILD=1 $(BIN)/python -m pytest -q -m "$(UNIT_TESTS)"

stress: $(STAMP)
	$(BIN)/python -m booktools.commands.stress

pdf: $(STAMP)
	@test -f $(HTML)/index.html || $(MAKE) book
	$(BIN)/python -m booktools.commands.pdf --site $(HTML) --out _build/pdf

serve:
	@test -f $(HTML)/index.html || { echo "No site in $(HTML): run 'make book' first."; exit 1; }
	@echo "Serving $(HTML) on http://127.0.0.1:$(PORT) (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory $(HTML)

bench: $(STAMP)
	$(BIN)/python -m booktools.commands.bench

lint: $(STAMP)
	$(BIN)/ruff check lesson_code booktools tests
	$(BIN)/ruff format --check lesson_code booktools tests
	$(BIN)/python -m booktools.commands.lint
	$(BIN)/zizmor --offline --no-progress --min-severity medium .github/workflows

# The base is built in a git work tree, _build/diff/base, kept for the next comparison.
diff: $(STAMP)
	$(BIN)/python -m booktools.commands.diff --base-from-env BASE

new-chapter: $(STAMP)
	$(BIN)/python -m booktools.commands.new_chapter --title-from-env TITLE

# uv (in a throwaway venv) resolves one lock for Linux x86_64 and macOS arm64 on CPython 3.11-3.13
# from PyPI, keeping the current pins where they fit (UPGRADE=1 takes the newest); torch's Linux CPU
# build gets its digests from booktools/lock/torch-cpu-wheels.toml (booktools/commands/lock.py).
UV := uv==0.13.9
PACKAGING := packaging==26.4
lock:
	rm -rf _build/lock-venv
	$(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check "$(UV)" "$(PACKAGING)"
	_build/lock-venv/bin/python -m booktools.commands.lock --uv _build/lock-venv/bin/uv $(if $(UPGRADE),--upgrade)
	rm -rf _build/lock-venv

# Never under a running build: the command takes the build lock first, and refuses while a build holds it.
# It needs only the standard library: before .venv exists, the Python that would make it runs it.
clean:
	@$(firstword $(wildcard $(BIN)/python) $(PYTHON)) -m booktools.commands.clean _build
