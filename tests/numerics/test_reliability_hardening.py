"""Second reliability round (issue 22): each case of the fault audit is one clean error naming what is wrong.

Hangs, silent truncation, memory spent before a size check, and the smaller cases: every call here
used to hang, cut an array silently, raise MemoryError or name something the user never passed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from numerics.experiments.cluster import parse_scheduler
from numerics.experiments.runner import MAX_JOBS
from numerics.models import BidirectionalRNN, StackedRNN
from numerics.models.construction import assemble
from numerics.models.torch_io import from_torch
from numerics.train import train
from numerics.train.readout import Readout

ROOT = str(Path(__file__).resolve().parents[2])
NET = StackedRNN.random(2, [3, 2], cell="elman", seed=0)
PLAN = NET.to_delayed().plan


# --------------------------------------------------------------- huge layer indices: no hang, short message
@pytest.mark.parametrize("build, base", [
    (StackedRNN.from_state_dict, NET),
    (lambda sd: from_torch(sd, "RNN_TANH"), NET),
    (BidirectionalRNN.from_state_dict, BidirectionalRNN.random(2, [3, 2], seed=0)),
], ids=["StackedRNN.from_state_dict", "from_torch", "BidirectionalRNN.from_state_dict"])
@pytest.mark.parametrize("index", ["1000000", "1000000000000", "9" * 5000], ids=["1e6", "1e12", "5000 digits"])
def test_huge_layer_index_fails_fast_with_a_short_message(build, base, index):
    sd = base.state_dict()
    sd[f"weight_ih_l{index}"] = np.zeros((3, 2))
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"state_dict is missing \['bias_hh_l2', .*layers must be numbered"
                                         r" 0, 1, 2, … without gaps") as info:
        build(sd)
    assert time.perf_counter() - t0 < 1.0  # the index of 10^6 took 26 s before
    assert len(str(info.value)) < 600
    assert "weight_ih_l" in str(info.value)


def test_a_gap_in_the_layers_is_still_named_exactly():
    sd = NET.state_dict()
    del sd["weight_hh_l1"]
    with pytest.raises(ValueError, match=r"state_dict is missing \['weight_hh_l1'\]"):
        StackedRNN.from_state_dict(sd)


# --------------------------------------------------------------- assemble: exact shapes, named
@pytest.mark.parametrize("key, shape, message", [
    ("weight_ih_l0", (4, 2), r"state_dict\['weight_ih_l0'\] must have shape \(3, 2\) for this plan; got \(4, 2\)"),
    ("weight_hh_l1", (2, 3), r"state_dict\['weight_hh_l1'\] must have shape \(2, 2\) for this plan; got \(2, 3\)"),
    ("weight_ih_l0", (2, 2), r"state_dict\['weight_ih_l0'\] must have shape \(3, 2\) for this plan; got \(2, 2\)"),
    ("weight_ih_l1", (2,), r"state_dict\['weight_ih_l1'\] must have shape \(2, 3\) for this plan; got \(2,\)"),
    ("bias_hh_l0", (4,), r"state_dict\['bias_hh_l0'\] must have shape \(3,\) for this plan; got \(4,\)"),
    ("bias_ih_l1", (2, 1), r"state_dict\['bias_ih_l1'\] must have shape \(2,\) for this plan; got \(2, 1\)"),
])
def test_assemble_refuses_a_wrongly_shaped_array(key, shape, message):
    sd = NET.state_dict()
    sd[key] = np.zeros(shape)
    with pytest.raises(ValueError, match=message):
        assemble(PLAN, sd)


def test_assemble_still_accepts_the_exact_shapes():
    params = assemble(PLAN, NET.state_dict())
    assert params.weight_hh.shape == (5, 5)


# --------------------------------------------------------------- memory: size checks before any allocation
def test_a_huge_broadcast_input_view_is_refused_before_allocating():
    x = np.broadcast_to(np.zeros(3), (10**6, 10**4, 3))
    net = StackedRNN.random(3, [2], seed=0)
    for call in (net, net.forward, net.to_delayed(), BidirectionalRNN.random(3, [2], seed=0)):
        with pytest.raises(ValueError, match=r"^x: 30000000000 entries \(\d+ GiB\) do not fit"):
            call(x)


def test_a_huge_broadcast_view_in_float32_is_refused_before_the_cast():
    x = np.broadcast_to(np.zeros(3), (10**6, 10**4, 3))
    net = StackedRNN.random(3, [2], seed=0, dtype="float32")
    with pytest.raises(ValueError, match=r"^x: 30000000000 entries .* do not fit"):
        net(x)


def test_a_zero_stride_state_dict_array_declaring_4e12_entries_is_refused():
    sd = NET.state_dict()
    sd["weight_hh_l0"] = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2 * 10**6, 2 * 10**6), strides=(0, 0))
    for call in (StackedRNN.from_state_dict, lambda s: assemble(PLAN, s), lambda s: from_torch(s)):
        with pytest.raises(ValueError, match=r"state_dict\['weight_hh_l0'\]: 4000000000000 entries .* do not fit"):
            call(sd)


# --------------------------------------------------------------- smaller cases
@pytest.mark.parametrize("value, message", [
    ("inproc://x", r"scheduler address must be HOST:PORT or tcp://HOST:PORT \(tls, ucx, ws, wss\); got 'inproc://x'"),
    ("tcp://", r"scheduler address must be .*; got 'tcp://'"),
    ("tcp://host:port", r"scheduler address must be .*; got 'tcp://host:port'"),
    ("tcp://host:99999", r"scheduler address must be .*; got 'tcp://host:99999'"),
    ("local:100000", rf"'local:N' needs a number of worker processes from 1 to {MAX_JOBS}; got 'local:100000'"),
    ("local:0", rf"'local:N' needs a number of worker processes from 1 to {MAX_JOBS}; got 'local:0'"),
    ("local:" + "9" * 5000, r"'local:N' needs a number of worker processes from 1 to"),
])
def test_bad_scheduler_values_are_named(value, message):
    with pytest.raises(ValueError, match=message):
        parse_scheduler(value)


@pytest.mark.parametrize("value", ["tcp://10.0.0.5:8786", "tls://host.example:8786", "ucx://h:1", "host:8786",
                                   "tcp://[::1]:8786", "local:2", f"local:{MAX_JOBS}"])
def test_good_scheduler_values_pass(value):
    kind, target = parse_scheduler(value)
    assert (kind, target) == (("local", int(value[6:])) if value.startswith("local:") else ("address", value))


def test_training_on_zero_time_steps_names_x():
    model = Readout.random(StackedRNN.random(2, [3], seed=0), 2, seed=0)
    with pytest.raises(ValueError, match=r"x must have at least one time step \(axis 0\); got shape \(0, 4, 2\)"):
        train(model, np.zeros((0, 4, 2)), np.zeros((0, 4, 2)), epochs=1)


@pytest.mark.parametrize("lr", [1e300, float("inf"), float("nan"), -1.0, 0.0])
def test_a_bad_or_diverging_lr_is_reported_by_the_name_the_user_passed(lr):
    model = Readout.random(StackedRNN.random(2, [3], seed=0), 2, seed=0)
    x = np.random.default_rng(0).normal(size=(5, 4, 2))
    with pytest.raises((ValueError, FloatingPointError), match=r"\blr\b") as info:
        train(model, x, x, epochs=3, clip=None, lr=lr)
    assert "dy" not in str(info.value)


@pytest.mark.parametrize("clip", [True, "1.0", float("nan"), 0.0, -1.0])
def test_a_bad_clip_is_named_clip(clip):
    # clip=True once reached clip_grad_norm and was reported as "max_norm", a name the user never passed
    model = Readout.random(StackedRNN.random(2, [3], seed=0), 2, seed=0)
    x = np.random.default_rng(0).normal(size=(5, 4, 2))
    with pytest.raises((TypeError, ValueError), match=r"^clip must be a positive number or None"):
        train(model, x, x, epochs=1, clip=clip)


# --------------------------------------------------------------- "[Errno 27] File too large" names the file
def _under_file_size_limit(code: str, tmp_path) -> subprocess.CompletedProcess:
    limit = "import resource; resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000)); "
    return subprocess.run([sys.executable, "-c", limit + code], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": ROOT, "MPLBACKEND": "Agg"})


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE")
def test_a_record_too_large_for_the_file_size_limit_names_the_file(tmp_path):
    proc = _under_file_size_limit(
        "from pathlib import Path; from numerics.experiments.storage import write_json_atomic; "
        "write_json_atomic(Path('big.json'), list(range(5000)))", tmp_path)
    assert proc.returncode != 0
    assert "[Errno 27] File too large: 'big.json'" in proc.stderr, proc.stderr[-500:]
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary file left behind


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE")
def test_drnn_figures_says_which_file_is_too_large(tmp_path):
    proc = _under_file_size_limit(
        "import sys; from numerics.cli.main import main; "
        "sys.exit(main(['figures', '--out', 'figs', '--only', 'wavefront', '--format', 'svg']))", tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "drnn figures: error: [Errno 27] File too large: " + repr(
        str(Path("figs") / "wavefront.svg")), proc.stderr[-800:]


# --------------------------------------------------------------- whatever MPLBACKEND holds
def _drnn(args: list[str], tmp_path, backend: str) -> subprocess.CompletedProcess:
    code = "import sys; from numerics.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": ROOT, "MPLBACKEND": backend})


WARNING = "drnn: warning: MPLBACKEND='{}' is not a matplotlib backend; drawing with Agg"


@pytest.mark.parametrize("args, backend", [(["--help"], "garbage"), (["verify", "--list"], "garbage"),
                                           (["figures", "--list"], "garbage"), (["--help"], "module://")])
def test_drnn_works_whatever_mplbackend_holds(args, backend, tmp_path):
    proc = _drnn(args, tmp_path, backend)
    assert proc.returncode == 0, proc.stderr[-800:]
    assert proc.stderr.strip() in ("", WARNING.format(backend)), proc.stderr[-800:]
    assert proc.stdout.strip()


@pytest.mark.parametrize("backend", ["garbage", "tkagg"])
def test_figure_commands_fall_back_to_agg(backend, tmp_path):
    proc = _drnn(["figures", "--out", "figs", "--only", "wavefront", "--format", "png"], tmp_path, backend)
    assert proc.returncode == 0, proc.stderr[-800:]
    assert proc.stderr.strip() == ("" if backend == "tkagg" else WARNING.format(backend))
    assert (tmp_path / "figs" / "wavefront.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------- found by the extended API fuzz
def test_first_difference_refuses_a_huge_broadcast_view_before_allocating():
    from numerics.testing import first_difference

    a = np.broadcast_to(np.zeros(3), (10**6, 10**4, 3))
    with pytest.raises(ValueError, match=r"^a: 30000000000 entries .* do not fit"):
        first_difference(a, a, 0.0, 0.0)


def test_a_gif_resolution_too_small_to_draw_is_named(tmp_path):
    from numerics.figures.animation import save_wavefront_animation

    with pytest.raises(ValueError, match=r"dpi must be an int in \[10, 600\]; got 2"):
        save_wavefront_animation(tmp_path, dpi=2)
    assert list(tmp_path.iterdir()) == []


def test_a_loss_refuses_a_huge_broadcast_view_before_computing():
    # The 10,000-call fuzz spent minutes inside log_softmax on a (10^6, 10^4, 3) view of three numbers.
    from numerics.train.losses import log_softmax, mse

    huge = np.broadcast_to(np.zeros(3), (10**6, 10**4, 3))
    with pytest.raises(ValueError, match=r"^logits: 30000000000 entries"):
        log_softmax(huge)
    with pytest.raises(ValueError, match=r"^y: 30000000000 entries"):
        mse(huge, huge)
