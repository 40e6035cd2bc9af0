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
.PHONY: book test serve clean bench lock lint help new-chapter

help:
	@echo "make book   build the site into $(HTML) (sets up .venv first)"
	@echo "make test   run every test: lesson_code, a clean build, the built HTML, the browser"
	@echo "make serve  serve the built site on http://127.0.0.1:$(PORT)"
	@echo "make bench  measure build times and page weights (prints a table, writes _build/bench.json)"
	@echo "make new-chapter TITLE=\"...\"  start book/<slug>.md from the chapter template"
	@echo "make lock   re-resolve requirements.lock from pyproject.toml"
	@echo "make clean  remove the build and the execution cache"

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@# Build matplotlib's font cache now, so that no chapter prints it to stderr.
	$(BIN)/python -c "import matplotlib.pyplot"
	@touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	@echo
	@echo "The site is in $(HTML): open $(HTML)/index.html, or run 'make serve'."

test: $(STAMP)
	$(BIN)/python -m pytest

serve:
	@test -f $(HTML)/index.html || { echo "No site in $(HTML): run 'make book' first."; exit 1; }
	@echo "Serving $(HTML) on http://127.0.0.1:$(PORT) (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory $(HTML)

bench: $(STAMP)
	$(BIN)/python -m booktools.bench

lint: $(STAMP)
	$(BIN)/ruff check lesson_code booktools tests
	$(BIN)/python -m booktools.lint

new-chapter: $(STAMP)
	$(BIN)/python -m booktools.new_chapter --title-from-env TITLE

lock:
	rm -rf _build/lock-venv
	$(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0" ".[book,test]"
	_build/lock-venv/bin/python -m pip freeze --exclude-editable --disable-pip-version-check \
		| grep -v '^lesson-code' | sed 's/^torch==2.13.0+cpu$$/torch==2.13.0/' > requirements.lock
	rm -rf _build/lock-venv
	@echo "requirements.lock updated: commit it with the change that needed it."

clean:
	rm -rf _build
