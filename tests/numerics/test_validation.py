"""Bad input gets a clear ValueError/TypeError naming the argument; the command line prints one line."""

import subprocess
import sys

import numpy as np
import pytest

from numerics import DelayedRNN, StackedRNN
from numerics.cli.main import main
from theory.layout import relaxed_plan, stacked_plan

NET = StackedRNN.random(3, [4, 2], seed=0)


@pytest.mark.parametrize(
    ("x", "exc", "message"),
    [
        (np.zeros((5, 3)), ValueError, r"x must be a 3-D time-major array \(T, B, 3\)"),
        (np.zeros((5, 2, 4)), ValueError, "x must have 3 features"),
        (np.zeros((5, 0, 3)), ValueError, "batch of at least 1"),
        (np.full((2, 1, 3), np.inf), ValueError, "x must be finite"),
        (np.array([[["a", "b", "c"]]]), TypeError, "x must be a numeric array"),
        ("hello", TypeError, "x must be a numeric array"),
        (np.zeros((2, 1, 3), dtype=complex), TypeError, "x must be real"),
    ],
)
def test_bad_inputs(x, exc, message):
    for model in (NET, NET.to_delayed()):
        with pytest.raises(exc, match=message):
            model(x)


def test_finiteness_check_is_not_fooled_by_the_sum():
    from numerics._validate import as_float_array

    # Finite entries whose sum overflows are accepted; a NaN among them, or infinities that cancel to
    # NaN in the sum, are refused with the index of the first bad entry.
    big = np.full(4, 3e38, np.float32)
    np.testing.assert_array_equal(as_float_array(big, "w"), big)
    with pytest.raises(ValueError, match=r"w must be finite; got nan at index \(2,\)"):
        as_float_array(np.array([3e38, 3e38, np.nan, 1.0], np.float32), "w")
    with pytest.raises(ValueError, match=r"w must be finite; got -inf at index \(1,\)"):
        as_float_array(np.array([1.0, -np.inf, np.inf]), "w")


def test_bad_initial_states():
    x = np.zeros((3, 2, 3))
    with pytest.raises(ValueError, match="one entry per layer"):
        NET(x, [np.zeros(4)])
    with pytest.raises(ValueError, match=r"h0\[1\] must have shape \(2,\) or \(2, 2\)"):
        NET(x, [np.zeros(4), np.zeros(3)])
    with pytest.raises(TypeError, match="h0 must be None, an array"):
        NET(x, "zeros")
    with pytest.raises(ValueError, match=r"h0 must have shape \(6,\)"):
        NET.to_delayed()(x, np.zeros(5))
    lstm = StackedRNN.random(3, [4], cell="lstm")
    with pytest.raises(TypeError, match=r"pair \(h0, c0\)"):
        lstm(x, [np.zeros(4)])


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match=r"activations\[0\] must be one of .*got .softplus."):
        StackedRNN.random(3, [4], activations="softplus")
    with pytest.raises(TypeError, match="activation"):
        StackedRNN.random(3, [4], activations=[3])
    with pytest.raises(ValueError, match="cell must be one of"):
        StackedRNN.random(3, [4], cell="transformer")
    with pytest.raises(ValueError, match="hidden_sizes must be a non-empty"):
        StackedRNN.random(3, [])
    with pytest.raises(ValueError, match=r"hidden_sizes\[1\] must be an int >= 1; got 0"):
        StackedRNN.random(3, [4, 0])
    with pytest.raises(TypeError, match="input_size must be an int"):
        StackedRNN.random(2.5, [4])
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        StackedRNN.random(3, [4], dtype=np.int32)
    with pytest.raises(ValueError, match="start must be one of"):
        NET.to_delayed("late")
    with pytest.raises(ValueError, match="delay must be an int >= 0; got -1"):
        DelayedRNN.from_weights(np.ones((2, 1)), np.eye(2), delay=-1)
    with pytest.raises(ValueError, match="widths must sum to N = 2"):
        DelayedRNN.from_weights(np.ones((2, 1)), np.eye(2), delay=0, widths=[1, 2])
    with pytest.raises(ValueError, match="bias_ih and bias_hh must be given together"):
        DelayedRNN.from_weights(np.ones((2, 1)), np.eye(2), np.zeros(2), delay=0)
    with pytest.raises(ValueError, match="non-zero entries outside the plan's block mask"):
        DelayedRNN.from_weights(np.ones((2, 1)), np.ones((2, 2)), delay=1, widths=[1, 1],
                          recurrent_mask=np.eye(2, dtype=bool))
    with pytest.raises(ValueError, match=r"recurrent_mask must be a bool array of shape \(2, 2\)"):
        relaxed_plan("elman", 1, [1, 1], np.ones((3, 3), bool), np.ones(2, bool), delay=0)
    with pytest.raises(ValueError, match="activations must be one str or 2"):
        stacked_plan("elman", 1, [1, 1], ["tanh"])


def test_cli_bad_input_is_one_line_and_nonzero(tmp_path, capsys):
    assert main(["verify", "no-such-claim"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown claim id" in err[0]
    assert main(["verify", "--json", str(tmp_path / "missing" / "out.json"), "elman-roundtrip"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not exist" in err[0]


def test_console_script_usage_error_exits_nonzero():
    r = subprocess.run([sys.executable, "-m", "numerics.cli.main", "frobnicate"], capture_output=True, text=True)
    assert r.returncode != 0 and "invalid choice" in r.stderr
