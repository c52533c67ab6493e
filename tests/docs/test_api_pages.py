"""docsite/api.py: the API pages turn numpydoc docstrings into Markdown and equations into TeX."""

from docsite.api import render_docstring, to_tex


def test_unicode_equations_become_tex():
    tex = to_tex("log p(x) = Σ_i [x_i ℓ_i − softplus(ℓ_i)],  W ⊙ Mᵀ, aᵇ⁻¹, vᵢ")
    assert r"\log" in tex and r"\sum" in tex and r"\ell" in tex and r"\operatorname{softplus}" in tex
    assert "-" in tex and "−" not in tex
    assert r"\odot" in tex and r"^\top" in tex and "a^{b-1}" in tex and "v_{i}" in tex


def test_a_transpose_after_a_superscript_is_one_superscript():
    tex = to_tex("𝓛 = c¹ᵀμ¹ + h¹ᵀW²h² + vᵀW¹")
    assert r"c^{1\top }" in tex and r"h^{1\top }" in tex and "}^" not in tex
    assert r"\mathcal{L}" in tex and r"\mu" in tex and r"v^\top" in tex


def test_prose_words_in_an_equation_are_text_and_subscripts_stay():
    tex = to_tex("F(v) = −vᵀb for every v_ij")
    assert r"\text{for}" in tex and r"\text{every}" in tex and "v_ij" in tex


def test_sections_and_math_blocks():
    doc = '''Summary line.

    .. math::

        a &= b \\\\
        c &= d

    An indented equation:

        ℓ = b + W x

    Parameters
    ----------
    n_hidden : int, default 500
        H, the number of hidden units.

    References
    ----------
    Frey, B. J. (1998). Graphical Models.
        MIT Press.
    '''
    md = "\n".join(render_docstring(doc))
    assert md.count("$$") == 4  # the reST block (aligned) and the indented equation
    assert r"\begin{aligned}" in md and r"\ell" in md
    assert "- **n_hidden** (int, default 500) — H, the number of hidden units." in md
    assert "- Frey, B. J. (1998). Graphical Models. MIT Press." in md
