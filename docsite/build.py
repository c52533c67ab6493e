"""Stage the documentation site's sources under ``build/docs`` for ``mkdocs build``.

``make docs`` runs this script, then ``mkdocs build`` (``mkdocs.yml`` reads
``build/docs`` and writes ``site/``). The staged folder holds

* ``docs/`` as it is (the hand-written pages; ``docs/index.md`` is the front page);
* ``lessons/NAME.ipynb``: every lesson, converted from its jupytext percent script and
  executed in quick mode (``TINYGEN_QUICK=1``, offline, embedded data), so that the page
  shows its printed outputs and pictures (``Lesson.saved`` displays each PNG in a kernel);
* ``api/*.md``: the API reference, generated from the numpydoc docstrings
  (``docsite/api.py``);
* ``assets/mathjax/``: MathJax 3, served with the site, so that the equations render
  without a network (taken once from the npm registry into ``build/mathjax``).

Usage: ``python docsite/build.py [--lesson NAME ...] [--skip-lessons]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / "build" / "docs"
MATHJAX_VERSION = "3.2.2"
# the npm registry's sha512 of mathjax-3.2.2.tgz ("integrity" in `npm view mathjax@3.2.2`)
MATHJAX_SHA512 = (
    "Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
)

sys.path.insert(0, str(ROOT))


def stage_pages(stage: Path) -> None:
    """Copy ``docs/`` into the staging folder."""
    shutil.copytree(ROOT / "docs", stage, dirs_exist_ok=True)


def execute_lesson(name: str, out_dir: Path, runs: Path, timeout: int = 900) -> Path:
    """Convert ``lessons/NAME.py`` to a notebook, run it in quick mode, write NAME.ipynb."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    nb = jupytext.read(ROOT / "lessons" / f"{name}.py")
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    env_before = {k: os.environ.get(k) for k in ("TINYGEN_QUICK", "TINYGEN_OUT", "MPLBACKEND")}
    os.environ.update(TINYGEN_QUICK="1", TINYGEN_OUT=str(runs / name), MPLBACKEND="Agg")
    try:
        with tempfile.TemporaryDirectory() as cwd:
            NotebookClient(
                nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": cwd}}
            ).execute()
    finally:  # the kernel inherited the settings; this process gets its own back
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.ipynb"
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_text(nbformat.writes(nb), encoding="utf-8")
    tmp.replace(path)
    return path


def _sha512_b64(path: Path) -> str:
    import base64

    return base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def fetch_mathjax(cache: Path) -> Path:
    """MathJax's ``es5`` folder, from ``cache`` or, once, from the npm registry (checked)."""
    es5 = cache / f"mathjax-{MATHJAX_VERSION}" / "es5"
    if (es5 / "tex-chtml.js").is_file():
        return es5
    cache.mkdir(parents=True, exist_ok=True)
    tgz = cache / f"mathjax-{MATHJAX_VERSION}.tgz"
    if not tgz.is_file():
        if shutil.which("npm") is None:
            raise SystemExit(
                "docs: MathJax is served with the site and comes from the npm registry; "
                f"install npm, or put mathjax-{MATHJAX_VERSION}.tgz into {cache}"
            )
        subprocess.run(
            ["npm", "pack", f"mathjax@{MATHJAX_VERSION}", "--pack-destination", str(cache)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    if _sha512_b64(tgz) != MATHJAX_SHA512:
        tgz.unlink()
        raise SystemExit(f"docs: {tgz.name} does not match its checksum; removed, run again")
    tmp = Path(tempfile.mkdtemp(dir=cache))
    with tarfile.open(tgz) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("package/es5/")]
        tar.extractall(tmp, members=members, filter="data")
    (tmp / "package").rename(es5.parent)
    shutil.rmtree(tmp)
    return es5


def stage_mathjax(stage: Path) -> None:
    es5 = fetch_mathjax(ROOT / "build" / "mathjax")
    dest = stage / "assets" / "mathjax"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5 / "tex-chtml.js", dest / "tex-chtml.js")
    fonts = es5 / "output" / "chtml" / "fonts" / "woff-v2"
    shutil.copytree(fonts, dest / "output" / "chtml" / "fonts" / "woff-v2", dirs_exist_ok=True)
    shutil.copy2(ROOT / "docsite" / "mathjax-config.js", stage / "assets" / "mathjax-config.js")


def main(argv=None) -> int:
    from docsite import api
    from tinygen.lessons import available_lessons

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lesson", action="append", help="only these lessons (repeatable)")
    p.add_argument("--skip-lessons", action="store_true", help="keep the executed lessons")
    args = p.parse_args(argv)

    lessons = args.lesson or available_lessons()
    keep = STAGE / "lessons"
    if STAGE.exists():  # a fresh stage, but the executed notebooks this run does not redo stay
        for p in STAGE.iterdir():
            if p != keep:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    stage_pages(STAGE)
    stage_mathjax(STAGE)
    pages = api.write_reference(STAGE / "api")
    print(f"docs: {len(pages)} API pages")
    if not args.skip_lessons:
        runs = ROOT / "build" / "docs-runs"
        for name in lessons:
            t0 = time.perf_counter()
            path = execute_lesson(name, keep, runs)
            print(f"docs: lesson {name} executed in {time.perf_counter() - t0:.0f} s -> {path}")
    missing = [n for n in available_lessons() if not (keep / f"{n}.ipynb").is_file()]
    if missing:
        raise SystemExit(f"docs: lessons not executed yet: {', '.join(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
