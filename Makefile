# Two commands do all the set-up on a fresh clone: `make book` and `make test`.
# Both create .venv (Python 3.11) and install the exact versions in requirements.lock.

PYTHON ?= python3.11
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

# `book` is also the name of a folder: without .PHONY make would call it up to date.
.PHONY: book test check stress serve clean bench lock lint help new-chapter pdf

help:
	@echo "make book   build the site into $(HTML) (sets up .venv first)"
	@echo "make check  the one-minute check while you write: ruff, the chapter checks, the tests that need no build"
	@echo "make test   run every test: lesson_code, a clean build, the built HTML, the browser"
	@echo "make stress the fault, reproducibility and browser tests beside two busy processes (not in make test)"
	@echo "make pdf    print the built book into _build/pdf/ (builds the site first if there is none)"
	@echo "make serve  serve the built site on http://127.0.0.1:$(PORT)"
	@echo "make bench  measure build times and page weights (prints a table, writes _build/bench.json)"
	@echo "make new-chapter TITLE=\"...\"  start book/<slug>.md from the chapter template"
	@echo "make lock   re-resolve requirements.lock from pyproject.toml, with the hash of every file"
	@echo "make lint   ruff (checks and formatting, as pre-commit), the chapter checks and zizmor (the workflows' security)"
	@echo "make clean  remove the build and the execution cache"

# Every file pip installs must match a hash in requirements.lock (setuptools, the build backend, too);
# then lesson_code is installed in place with that setuptools, from no index: nothing unpinned is fetched.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-index --no-deps --no-build-isolation -e .
	@# Build matplotlib's font cache now, so that no chapter prints it to stderr.
	$(BIN)/python -c "import matplotlib.pyplot"
	@touch $@

book: $(STAMP)
	$(BIN)/python -m booktools.commands.strict .
	@echo
	@echo "The site is in $(HTML): open $(HTML)/index.html, or run 'make serve'."

test: $(STAMP)
	$(BIN)/python -m pytest

# The tests that need no build: not `build` (the built book), `browser` or `slow` (copies of the book).
# BOOK_TESTS_NO_BUILD makes any test that would build anyway fail at once, naming the marker it lacks.
UNIT_TESTS := not build and not browser and not slow

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

new-chapter: $(STAMP)
	$(BIN)/python -m booktools.commands.new_chapter --title-from-env TITLE

# pip-compile (pip-tools, in a throwaway venv) resolves pyproject.toml's dependencies, the book and
# test extras and the build backend, newest first, through pip's own settings (so torch is the CPU
# wheel on local disk), and writes every pin with the sha256 of every file of that version.
# The comment block at the top of requirements.lock is kept.
PIP_TOOLS := pip-tools==7.6.2
lock:
	rm -rf _build/lock-venv
	$(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check "$(PIP_TOOLS)"
	_build/lock-venv/bin/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --all-build-deps \
		--strip-extras --no-emit-index-url --no-emit-find-links --no-header --extra book --extra test \
		--output-file _build/requirements.lock.new pyproject.toml
	sed -n '/^[a-zA-Z]/q;p' requirements.lock > _build/requirements.lock.header
	cat _build/requirements.lock.header _build/requirements.lock.new > requirements.lock
	rm -rf _build/lock-venv _build/requirements.lock.new _build/requirements.lock.header
	@echo "requirements.lock updated: commit it with the change that needed it."

clean:
	rm -rf _build
