"""The API reference pages of the docs site, generated from the numpydoc docstrings.

Each page lists the public names (``__all__``) of a few modules: the signature, then the
docstring with its numpydoc sections (Parameters, Attributes, Returns, References, ...)
as Markdown lists. Equations become math for MathJax:

* a ``.. math::`` block is LaTeX already and is displayed as it is;
* an indented block, or a paragraph of one line, that contains ``=`` (or ≈, ∝, ←) is an
  equation written in Unicode (``log p(x) = Σ_i [x_i ℓ_i − softplus(ℓ_i)]``) and is
  transliterated to TeX by :func:`to_tex` (Σ → \\sum, ᵀ → ^\\top, words → \\text{…}).
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

# page -> (title, intro, modules whose __all__ it lists)
PAGES = {
    "models": ("Models", "The generative models, their objectives and scores.",
               ["tinygen.models", "tinygen.models.gan", "tinygen.models.gan_theory"]),
    "autograd": ("Autograd", "Tensors, the Function base class and the gradient checker.",
                 ["tinygen.autograd", "tinygen.testing"]),
    "nn": ("Neural-network layers", "Modules and initialisers.", ["tinygen.nn"]),
    "functional": ("Functional", "Differentiable functions with PyTorch names.",
                   ["tinygen.functional"]),
    "optim": ("Optimisers", "Optimisers and learning-rate schedules.", ["tinygen.optim"]),
    "data": ("Data", "Real and embedded datasets, minibatches.", ["tinygen.data"]),
    "tools": ("Tools", "Numerics, pictures, checkpoints, lessons and exercises.",
              ["tinygen.numerics", "tinygen.viz", "tinygen.io", "tinygen.lessons",
               "tinygen.exercises", "tinygen.backend"]),
}

SECTIONS = {"Parameters", "Attributes", "Returns", "Yields", "Raises", "Other Parameters",
            "References", "Notes", "Examples", "See Also", "Warns"}
_FUNCTIONS = {"log", "exp", "tanh", "sin", "cos", "max", "min", "det", "arg"}
_OPERATORS = {"softplus", "sigmoid", "mean", "diag", "logsumexp", "KL", "JSD", "ReLU", "std",
              "var", "tr", "clip", "sign", "round"}
_CHARS = {
    "−": "-", "·": r"\cdot ", "×": r"\times ", "⊙": r"\odot ", "Σ": r"\sum ", "Π": r"\prod ",
    "∂": r"\partial ", "√": r"\sqrt ", "≈": r"\approx ", "≤": r"\le ", "≥": r"\ge ",
    "≠": r"\ne ", "‖": r"\|", "∈": r"\in ", "→": r"\to ", "←": r"\leftarrow ",
    "∞": r"\infty ", "∝": r"\propto ", "∼": r"\sim ", "½": r"\tfrac12 ", "…": r"\dots ",
    "∇": r"\nabla ", "ℓ": r"\ell ", "ᵀ": r"^\top ", "%": r"\%", "#": r"\#", "&": r"\&",
    "⌊": r"\lfloor ", "⌋": r"\rfloor ", "∘": r"\circ ", "⊗": r"\otimes ",
    "𝓛": r"\mathcal{L} ", "μ": r"\mu ",
}
_SUP = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ᵇⁱʲᵏⁿᵐˣ", "0123456789-+bijknmx"))
_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉₋₊ᵢⱼₖₙₘₜ", "0123456789-+ijknmt"))
_WORD = re.compile(r"(?<![\\_A-Za-z^])([A-Za-z]{2,})(?![A-Za-z])")
_ROLE = re.compile(r":(?:func|meth|class|attr|mod|data):`~?([^`]+)`")


def to_tex(line: str) -> str:
    """A Unicode equation as TeX: ``ℓ_i = b_i + Σ_{j<i} W_ij x_j`` → ``\\ell _i = ...``."""
    s = re.sub(r"``([^`]+)``", lambda m: r"\texttt{" + m.group(1).replace("_", r"\_") + "}", line)

    def word(m):
        w = m.group(1)
        if w in _FUNCTIONS:
            return "\\" + w + " "
        if w in _OPERATORS:
            return r"\operatorname{" + w + "}"
        return r"\text{" + w + "}"

    parts = re.split(r"(\\texttt\{[^}]*\})", s)
    s = "".join(p if p.startswith(r"\texttt") else _WORD.sub(word, p) for p in parts)
    # runs of ⁻¹ or ᵢⱼ as ^{-1}, _{ij}; a transpose right after a superscript joins it
    # (c¹ᵀ → c^{1\top}: TeX refuses the double superscript c^{1}^\top)
    sup_t = {**_SUP, "ᵀ": r"\top "}
    for chars, table, mark, tail in ((_SUP, sup_t, "^", "ᵀ?"), (_SUB, _SUB, "_", "")):
        s = re.sub(
            "[" + "".join(chars) + "]+" + tail,
            lambda m, t=table, k=mark: k + "{" + "".join(t[c] for c in m.group()) + "}",
            s,
        )
    s = re.sub(r"_+_\{", "_{", s)  # "v_₋ᵢ": the subscript was marked twice
    return "".join(_CHARS.get(c, c) for c in s)


def _text(s: str) -> str:
    """reST inline markup as Markdown: ``x`` → `x`, :func:`f` → `f`."""
    s = _ROLE.sub(lambda m: f"`{m.group(1)}`", s)
    return re.sub(r"``([^`]+)``", r"`\1`", s)


def _is_equation(s: str) -> bool:
    return any(c in s for c in "=≈∝←")


def _math(lines) -> list:
    return ["", "$$", *lines, "$$", ""]


def _description(lines) -> list:
    """The free text of a docstring (before its sections) as Markdown."""
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == ".. math::":
            i += 1
            block = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                block.append(lines[i].strip())
                i += 1
            for eq in "\n".join(block).strip().split("\n\n"):  # one display per equation group
                eq = eq.splitlines()
                if any("&" in e for e in eq) and not any("\\begin{align" in e for e in eq):
                    eq = ["\\begin{aligned}", *eq, "\\end{aligned}"]  # reST math aligns at &
                out += _math(eq)
            continue
        if line.startswith(" ") and line.strip():
            block = []
            while i < len(lines) and lines[i].startswith(" ") and lines[i].strip():
                block.append(lines[i].strip())
                i += 1
            if all(_is_equation(b) or "(" in b for b in block) and any(map(_is_equation, block)):
                for b in block:
                    out += _math([to_tex(b)])
            else:
                out += ["", "```text", *block, "```", ""]
            continue
        before = i == 0 or not lines[i - 1].strip()
        alone = before and (i + 1 >= len(lines) or not lines[i + 1].strip())
        prose = len(re.findall(r"\b[a-z]{4,}\b", line))
        if alone and _is_equation(line) and prose <= 2 and i > 0:
            out += _math([to_tex(line.strip())])
        else:
            out.append(_text(line))
        i += 1
    return out


def _entries(lines) -> list:
    """numpydoc 'name : type' entries with indented descriptions, as a Markdown list."""
    out, head, desc = [], None, []

    def flush():
        if head is None:
            return
        name, _, typ = head.partition(" : ")
        item = f"- **{_text(name.strip())}**"
        if typ:
            item += f" ({_text(typ.strip())})"
        if desc:
            item += " — " + _text(" ".join(desc))
        out.append(item)

    for line in lines:
        if not line.strip():
            continue
        if not line.startswith(" "):
            flush()
            head, desc = line.strip(), []
        else:
            desc.append(line.strip())
    flush()
    return [*out, ""]


def _references(lines) -> list:
    out = []
    for line in lines:
        if not line.strip():
            continue
        if line.startswith(" ") and out:
            out[-1] += " " + line.strip()
        else:
            out.append("- " + line.strip())
    return [_text(o) for o in out] + [""]


def render_docstring(doc: str) -> list:
    """A numpydoc docstring as Markdown lines."""
    lines = inspect.cleandoc(doc).splitlines()
    cut = [j for j in range(len(lines) - 1)
           if lines[j].strip() in SECTIONS and set(lines[j + 1].strip()) == {"-"}]
    out = _description(lines[: cut[0]] if cut else lines)
    for n, j in enumerate(cut):
        title = lines[j].strip()
        body = lines[j + 2 : cut[n + 1] if n + 1 < len(cut) else len(lines)]
        out += ["", f"**{title}**", ""]
        if title in ("References",):
            out += _references(body)
        elif title in ("Notes", "See Also"):
            out += _description(body)
        elif title == "Examples":
            out += ["```python", *body, "```", ""]
        else:
            out += _entries(body)
    return out


def _signature(name, obj) -> str:
    try:
        sig = str(inspect.signature(obj))
    except (TypeError, ValueError):
        sig = ""
    return f"{name}{sig}"


def _methods(cls) -> list:
    out = []
    for name, member in cls.__dict__.items():
        if name.startswith("_") or not callable(member) or not getattr(member, "__doc__", None):
            continue
        out += [f"#### `{_signature(name, member)}`", "", *render_docstring(member.__doc__), ""]
    return out


def render_object(qualname: str, obj) -> list:
    kind = "class" if inspect.isclass(obj) else "function" if callable(obj) else "data"
    out = [f"## {qualname.rsplit('.', 1)[-1]}", "", f"`{qualname}` ({kind})", ""]
    if callable(obj):
        out += ["```python", _signature(qualname.rsplit(".", 1)[-1], obj), "```", ""]
    doc = inspect.getdoc(obj) if callable(obj) or inspect.ismodule(obj) else None
    if doc:
        out += render_docstring(doc)
    if inspect.isclass(obj):
        methods = _methods(obj)
        if methods:
            out += ["", "### Methods", "", *methods]
    return out + [""]


def write_reference(out_dir: Path) -> list:
    """Write ``out_dir/index.md`` and one page per entry of :data:`PAGES`; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written, index = [], ["# API reference", "",
                          "Generated from the docstrings (numpydoc) of the public names.", ""]
    for page, (title, intro, modules) in PAGES.items():
        lines = [f"# {title}", "", intro, ""]
        seen = set()
        for modname in modules:
            mod = importlib.import_module(modname)
            first = inspect.getdoc(mod)
            summary = f": {_text(first.splitlines()[0])}" if first else ""
            lines += [f"Module `{modname}`{summary}", ""]
            for name in getattr(mod, "__all__", []):
                obj = getattr(mod, name)
                if id(obj) in seen or inspect.ismodule(obj):
                    continue
                seen.add(id(obj))
                lines += render_object(f"{modname}.{name}", obj)
        path = out_dir / f"{page}.md"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
        index.append(f"- [{title}]({page}.md): {intro}")
    (out_dir / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return [out_dir / "index.md", *written]
