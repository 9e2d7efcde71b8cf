"""Every matplotlib drawing of the toolkit: ``ax=`` (or ``fig=``) in, Axes (or Figure) out.

Modules: :mod:`~numerics.figures.architecture` (wavefront, block matrices,
sparsity patterns), :mod:`~numerics.figures.gru` (the GRU counterexample),
:mod:`~numerics.figures.receptive` (receptive fields),
:mod:`~numerics.figures.catalogue` (the named lecture figures and their
captions), :mod:`~numerics.figures.experiments` (plots of the reproduced
experiments), :mod:`~numerics.figures.slides` and :mod:`~numerics.figures.deck`
(16:9 slide figures and the lecture deck of ``drnn slides``); :mod:`~numerics.figures._style` holds the shared look.
"""

from numerics.figures.architecture import plot_block_matrices, plot_sparsity_patterns, plot_wavefront
from numerics.figures.catalogue import FIGURE_CAPTIONS, FIGURES
from numerics.figures.experiments import plot_reversal, plot_runtime, plot_sine, save_plots
from numerics.figures.gru import plot_gru_counterexample
from numerics.figures.receptive import (
    jacobian_magnitude,
    plot_receptive_field,
    plot_receptive_spectrum,
    receptive_spectrum,
)

__all__ = [
    "FIGURES",
    "FIGURE_CAPTIONS",
    "jacobian_magnitude",
    "plot_block_matrices",
    "plot_gru_counterexample",
    "plot_receptive_field",
    "plot_receptive_spectrum",
    "plot_reversal",
    "plot_runtime",
    "plot_sine",
    "plot_sparsity_patterns",
    "plot_wavefront",
    "receptive_spectrum",
    "save_plots",
]
