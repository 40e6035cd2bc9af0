"""The explorer: its runs are lesson_code's runs, it fits the size budget, bad input fails clearly."""

from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from checkout import ROOT

from booktools.extensions import explorer as ext
from lesson_code import epoch_batches, explorer_data, explorer_html, gradient_descent, make_line, train
from lesson_code.losses import linear_mse

SCRIPT = ROOT / "lesson_code" / "static" / "explorer.js"  # package data of lesson_code
DATA = re.compile(r'<script type="application/json" class="sgd-explorer-data">(.*?)</script>', re.DOTALL)
# The grid the book shows (book/explorer.md).
GRID = dict(lrs=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0), batch_sizes=(1, 10, 100), seeds=(0, 1, 2), steps=100, a0=(-1.0, 1.0))
RTOL = 5.01e-4  # four significant digits: the rounding moves a number by at most half a unit of the 4th


@pytest.fixture(scope="module")
def line():
    return make_line(n=100, a=(3.0, 2.0), seed=0)


@pytest.fixture(scope="module")
def page_html(line) -> str:
    return explorer_html(*line, **GRID).data


@pytest.fixture(scope="module")
def embedded(page_html) -> dict:
    """The data as the browser reads it: the JSON inside the page's ``<script>`` element."""
    (text,) = DATA.findall(page_html)
    return json.loads(text.replace("<\\/", "</"))


def close(stored: float | None, exact: float) -> bool:
    if stored is None:
        return not math.isfinite(exact)
    return math.isfinite(exact) and abs(stored - exact) <= RTOL * abs(exact) + 1e-30


def independent_run(x, y, lr, batch_size, seed, steps, a0):
    """The run as a chapter would make it: gradient descent for a full batch, else `train` on
    the first ``steps`` mini-batches of `epoch_batches`."""
    n = len(y)
    if batch_size == n:
        return gradient_descent(linear_mse, a0, x, y, lr=lr, steps=steps, raise_on_divergence=False), None
    epochs = -(-steps * batch_size // n)  # enough epochs for `steps` batches (batch_size divides n here)
    batches = epoch_batches(n, batch_size, epochs, seed=seed)[:steps]
    return train(linear_mse, a0, x, y, lr=lr, batches=batches, raise_on_divergence=False), batches


def test_grid_is_complete(embedded):
    n = embedded["n"]
    keys = {(r["lr"], r["batch_size"], r["seed"]) for r in embedded["runs"]}
    expected = {
        (lr, b, None if b == n else s) for lr in GRID["lrs"] for b in GRID["batch_sizes"] for s in GRID["seeds"]
    }
    assert keys == expected
    assert len(embedded["runs"]) == len(expected)


def test_embedded_runs_equal_lesson_code_runs(line, embedded):
    x, y = line
    a0 = torch.tensor(GRID["a0"])
    assert embedded["x"] == pytest.approx(x[:, 0].tolist(), rel=RTOL)
    assert embedded["y"] == pytest.approx(y.tolist(), rel=RTOL)
    for run in embedded["runs"]:
        seed = run["seed"] if run["seed"] is not None else 0
        history, batches = independent_run(x, y, run["lr"], run["batch_size"], seed, GRID["steps"], a0)
        where = f"run lr={run['lr']} batch_size={run['batch_size']} seed={run['seed']}"
        assert run["diverged_at"] == history.diverged_at, where
        assert len(run["a1"]) == len(run["a2"]) == len(run["loss"]) == len(history.params), where
        assert len(run["batch_loss"]) == len(history.losses_before), where
        for k, a in enumerate(history.params.tolist()):
            assert close(run["a1"][k], a[0]) and close(run["a2"][k], a[1]), f"{where}, step {k}"
            full_loss = float(((x.double() @ torch.tensor(a, dtype=torch.float64) - y.double()) ** 2).mean())
            # the page's loss was computed in float32: compare with a float32 tolerance on top
            stored = run["loss"][k]
            assert (stored is None and not math.isfinite(float(linear_mse(torch.tensor(a), x, y)))) or abs(
                stored - full_loss
            ) <= RTOL * full_loss + 1e-5 * full_loss, f"{where}, loss at step {k}"
        for k, loss in enumerate(history.losses_before.tolist()):
            assert close(run["batch_loss"][k], loss), f"{where}, batch loss at step {k}"
        if batches is not None:
            stored = embedded["batches"][str(run["batch_size"])][str(run["seed"])]
            assert stored[: history.steps] == [b.tolist() for b in batches[: history.steps]], where


def test_diverged_run_is_marked(line, embedded):
    x, y = line
    diverged = [r for r in embedded["runs"] if r["diverged_at"] is not None]
    assert diverged, "the grid must show at least one learning rate that diverges"
    assert max(GRID["lrs"]) in {r["lr"] for r in diverged}
    for run in diverged:
        k = run["diverged_at"]
        assert len(run["a1"]) == k + 1 and len(run["batch_loss"]) == k
        assert all(v is not None for v in run["batch_loss"])  # the finite steps are all there


def test_batches_are_the_shuffled_epochs(embedded):
    n = embedded["n"]
    for b, by_seed in embedded["batches"].items():
        for seed, batches in by_seed.items():
            assert all(len(batch) == int(b) for batch in batches)
            per_epoch = n // int(b)
            for start in range(0, len(batches), per_epoch):  # each epoch visits every example once
                epoch = [i for batch in batches[start : start + per_epoch] for i in batch]
                assert sorted(epoch) == list(range(n)), f"batch size {b}, seed {seed}"


def test_contour_ellipses_are_level_sets_of_the_loss(line, embedded):
    x, y = line
    x64, y64 = x.double(), y.double()
    c = embedded["contour"]
    best = torch.linalg.lstsq(x64, y64.unsqueeze(1)).solution.squeeze(1)
    assert c["center"] == pytest.approx(best.tolist(), rel=RTOL)
    assert c["floor"] == pytest.approx(float(((x64 @ best - y64) ** 2).mean()), rel=RTOL)
    m = torch.tensor(c["inverse_root"], dtype=torch.float64)
    centre = torch.tensor(c["center"], dtype=torch.float64)
    for level in c["levels"]:
        for t in torch.linspace(0, 2 * math.pi, 13, dtype=torch.float64):
            a = centre + math.sqrt(level - c["floor"]) * m @ torch.stack([t.cos(), t.sin()])
            loss = float(((x64 @ a - y64) ** 2).mean())
            assert loss == pytest.approx(level, rel=3e-3, abs=2e-4), f"level {level}, angle {float(t):.2f}"
    view = embedded["view"]
    for a, name in ((GRID["a0"], "start"), (c["center"], "minimum")):
        assert view["a1"][0] < a[0] < view["a1"][1] and view["a2"][0] < a[1] < view["a2"][1], name


def test_size_budget(page_html):
    (text,) = DATA.findall(page_html)
    data_bytes = len(gzip.compress(text.encode("utf-8")))
    script_bytes = len(gzip.compress(SCRIPT.read_bytes()))
    assert data_bytes + script_bytes <= 60_000, f"data {data_bytes} + script {script_bytes} gzipped bytes"


def test_page_markup(page_html):
    assert "data-sgd-explorer" in page_html
    assert page_html.count("</script>") == 1  # the JSON cannot close its element early
    still = r'<img class="sgd-explorer-still" src="data:image/png;base64,[^"]+" alt="([^"]+)"'
    alt = re.search(still, page_html)
    assert alt and len(alt.group(1)) > 40
    assert "<figcaption>" in page_html
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", page_html)  # nothing fetched from elsewhere


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        (dict(lrs=()), ValueError, "lrs must be a non-empty sequence"),
        (dict(lrs=0.1), TypeError, "lrs must be a non-empty sequence"),
        (dict(lrs=(0.1, 0.01)), ValueError, "increasing order"),
        (dict(lrs=(0.0, 0.1)), ValueError, "learning rate must be a finite number above 0"),
        (dict(batch_sizes=(1, 200)), ValueError, "batch size must be 1..100"),
        (dict(batch_sizes=(1.5,)), TypeError, "batch size must be an int"),
        (dict(seeds=(-1, 0)), ValueError, "seed must be at least 0"),
        (dict(steps=0), ValueError, "steps must be at least 1"),
        (dict(a0=(1.0, 2.0, 3.0)), ValueError, "a0 must be two numbers (a1, a2), got 3"),
        (dict(a0="ab"), TypeError, "a0 must be two numbers"),
        (dict(initial_lr=0.2), ValueError, "initial_lr must be one of"),
        (dict(initial_batch_size=50), ValueError, "initial_batch_size must be one of"),
    ],
)
def test_bad_input_raises_clearly(line, change, error, words):
    x, y = line
    with pytest.raises(error, match=re.escape(words)):
        explorer_data(x, y, **{**GRID, **change})


def test_bad_data_raises_clearly(line):
    x, y = line
    bad = y.clone()
    bad[3] = float("nan")
    with pytest.raises(ValueError, match="y must be finite"):
        explorer_data(x, bad)
    with pytest.raises(ValueError, match="two columns"):
        explorer_data(torch.ones(100, 3), y)
    with pytest.raises(ValueError, match="caption"):
        explorer_html(x, y, caption="  ")


def test_initial_settings(line, embedded):
    assert embedded["initial"] == {"lr": 2, "batch_size": 1, "seed": 0}  # the middle of each grid
    chosen = explorer_data(*line, **{**GRID, "steps": 2, "initial_lr": 3.0, "initial_batch_size": 100})
    assert chosen["lrs"][chosen["initial"]["lr"]] == 3.0
    assert chosen["batch_sizes"][chosen["initial"]["batch_size"]] == 100


def test_the_page_holds_the_data_of_its_settings_and_says_them_in_the_alt_text(line, embedded, page_html):
    assert embedded == json.loads(json.dumps(explorer_data(*line, **GRID)))  # every setting reaches explorer_data
    (alt,) = re.findall(r'alt="([^"]*)"', page_html)
    assert "learning rate 0.1, batch size 10" in alt and "after 100 steps" in alt and "from (-1, 1)" in alt
    with pytest.raises(TypeError, match="'lr'"):  # a misspelt setting is refused, not ignored
        explorer_html(*line, lr=0.1)


def test_grid_over_budget_is_refused(line):
    x, y = line
    with pytest.raises(ValueError, match="over the budget of 60000"):
        explorer_html(x, y, **{**GRID, "seeds": tuple(range(5))})  # 90 runs, about 67 kB gzipped


def test_script_is_linked_only_where_an_explorer_is():
    added: list[tuple[str, str]] = []
    app = SimpleNamespace(
        add_js_file=lambda name, **kw: added.append(("js", name)),
        add_css_file=lambda name, **kw: added.append(("css", name)),
    )
    ext.add_where_used(app, "book/regression", "page.html", {"body": "<p>no explorer here</p>"}, None)
    assert added == []
    ext.add_where_used(app, "book/explorer", "page.html", {"body": '<figure data-sgd-explorer="1">'}, None)
    assert added == [("css", "explorer.css"), ("js", "explorer.js")]


@pytest.mark.build
def test_built_site_loads_the_script_on_explorer_pages_only(site: Path):
    assert (site / "_static" / "explorer.js").is_file()
    pages = [p for p in site.rglob("*.html") if "_static" not in p.parts]
    with_explorer = [p for p in pages if "data-sgd-explorer" in p.read_text(encoding="utf-8")]
    assert site / "book" / "explorer.html" in with_explorer
    for page in pages:
        text = page.read_text(encoding="utf-8")
        loads = re.search(r'<script[^>]+src="[^"]*_static/explorer\.js', text) is not None
        assert loads == (page in with_explorer), page.relative_to(site)


def test_a_bowl_without_a_single_minimum_is_refused_saying_why(line):
    _, y = line
    x = torch.stack([torch.full((100,), 0.25), torch.ones(100)], dim=1)  # every input equal
    assert float(torch.linalg.eigvalsh(x.double().T @ x.double())[0]) < 1e-9  # singular: no single minimum
    with pytest.raises(
        ValueError, match=r"x must hold inputs that are not all equal, got every input x\[:, 0\] equal to 0.25"
    ):
        explorer_data(x, y, batch_sizes=(10, 100))
