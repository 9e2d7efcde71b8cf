"""Sphinx configuration of the drnn-toolkit documentation.

Build with (warnings are errors, as in CI)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

At start-up this file copies the notebooks from ``../notebooks`` into
``tutorials/notebooks`` (rendered by myst-nb; executed once and cached in
``_build/.jupyter_cache``, or not at all with ``DRNN_DOCS_EXECUTE=off``) and
the labs' student copies into ``course/notebooks`` (never executed), and
draws the figure gallery into ``_generated/gallery`` with
:func:`numerics.cli.figures.write_figures`, writing the page ``gallery.md``
(the theory chapters show some of these figures too), and the wavefront
animation as an HTML5 fragment into ``_generated/animation``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

# -- project ----------------------------------------------------------------
project = "drnn-toolkit"
author = "the drnn-toolkit authors"
copyright = "the drnn-toolkit authors"
release = "0.1.0"

# -- general ----------------------------------------------------------------
extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_design",  # {dropdown}: the exercise solutions, collapsed
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static: formulas render without a network
]
exclude_patterns = ["_build", "_generated", "README.md", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# Notebooks: stored without outputs; executed at build time and cached (or "off" for a quick build).
nb_execution_mode = os.environ.get("DRNN_DOCS_EXECUTE", "cache")
# DRNN_DOCS_CACHE gives a build its own cache: two builds sharing one race on its database.
nb_execution_cache_path = os.environ.get("DRNN_DOCS_CACHE", str(DOCS / "_build" / ".jupyter_cache"))
nb_execution_timeout = 180
nb_execution_raise_on_error = True
# The labs' student copies are shown as handed out: blanks that raise NotImplementedError, not executed.
nb_execution_excludepatterns = ["course/notebooks/*"]
nb_merge_streams = True
# Widgets are shown as their static text: the default would load require.js and the widget manager from a CDN.
nb_ipywidgets_js: dict = {}

# API reference from the docstrings (NumPy style).
autosummary_generate = True
autosummary_imported_members = False
# "ignore-module-all": packages re-export names in __all__; document each object once, where it is defined.
autodoc_default_options = {"members": True, "show-inheritance": False, "ignore-module-all": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Parameter types such as "tuple of (name, start, stop)" are prose, not cross-references.
napoleon_use_param = False
# Attribute types such as "shape (output_size, N)" are prose too: Sphinx would try to link every word and
# warn where a word names several attributes (ref.python "more than one target"). Only that is silenced.
suppress_warnings = ["ref.python"]

# -- HTML -------------------------------------------------------------------
html_theme = "sphinx_rtd_theme"
html_title = "drnn-toolkit"
html_static_path = ["_static"]
html_css_files = ["drnn.css"]  # wide code, outputs and tables scroll instead of being cut off


# -- generated sources --------------------------------------------------------
def _copy_notebooks() -> None:
    _copy(sorted((ROOT / "notebooks").glob("*.ipynb")), DOCS / "tutorials" / "notebooks")
    _copy(sorted((ROOT / "notebooks" / "labs" / "student").glob("*.ipynb")), DOCS / "course" / "notebooks")


def _copy(sources: list[Path], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.ipynb"):
        if old.name not in {nb.name for nb in sources}:
            old.unlink(missing_ok=True)  # a notebook removed from notebooks/
    for nb in sources:
        dest = target / nb.name
        if not dest.exists() or dest.read_bytes() != nb.read_bytes():
            shutil.copy(nb, dest)  # a fresh mtime: Sphinx rebuilds a page only if its source is newer


def _draw_gallery() -> None:
    from numerics.cli.figures import write_figures
    from numerics.figures.catalogue import FIGURE_CAPTIONS, FIGURES

    out = DOCS / "_generated" / "gallery"
    out.mkdir(parents=True, exist_ok=True)
    write_figures(out, ["png", "svg"], dpi=110, log=False)
    lines = ["# Figure gallery", "",
             "Every figure below is drawn when this documentation is built, by the same code as",
             "`drnn figures --out DIR` ({mod}`numerics.figures`); each has an SVG version. No text is",
             "smaller than 12 px when a figure is shown 1024 px wide. For projection,",
             "`drnn figures --style slide --out DIR` draws 16:9 slide versions (one idea each, text of at",
             "least 18 px at 1024 px wide) and `drnn slides --out DIR` the lecture deck as one PDF.", ""]
    for name in FIGURES:
        title, caption = FIGURE_CAPTIONS[name]
        lines += [f"## {title}", "", f"```{{figure}} /_generated/gallery/{name}.png", f":alt: {title}",
                  ":width: 100%", "", caption, "```", "",
                  f"`drnn figures --only {name}` · {{download}}`SVG </_generated/gallery/{name}.svg>`", ""]
    (DOCS / "gallery.md").write_text("\n".join(lines), encoding="utf-8")


def _draw_animation() -> None:
    """The wavefront animation as an HTML5 fragment (no network), for a raw-html block in theorem1.md."""
    from numerics.figures.animation import offline_jshtml, wavefront_animation

    out = DOCS / "_generated" / "animation"
    out.mkdir(parents=True, exist_ok=True)
    anim = wavefront_animation(4, 6)
    anim._fig.set_dpi(72)  # 576 x 324 px frames: small enough to embed in the page
    (out / "wavefront_animation.html").write_text(offline_jshtml(anim), encoding="utf-8")


def _viewcode_keep_alias_module(app, modname: str, attribute: str) -> str | None:
    """Type aliases such as ``ActGroup = tuple[str, int, int]`` report ``__module__ == "builtins"``.

    viewcode would then list a module "builtins" in ``_modules/index.html`` and link to a page it
    never writes; keep such names in the module that documents them.
    """
    obj = sys.modules.get(modname or "")  # autodoc has imported every documented module by now
    for part in (attribute or "").split("."):
        obj = getattr(obj, part, None)
    return modname if getattr(obj, "__module__", None) == "builtins" else None


def setup(app) -> None:
    app.connect("viewcode-follow-imported", _viewcode_keep_alias_module)


_copy_notebooks()
_draw_gallery()
_draw_animation()
