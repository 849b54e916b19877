"""The command a run records is the one it was given: rebuilt from click's parse, it parses back the same."""

from __future__ import annotations

import shlex

import click
import pytest

from metastasim.cli._common import invoked_command


@click.command(name="demo")
@click.argument("model", required=False)
@click.argument("extra", nargs=-1)
@click.option("--pt", type=(str, int), help="a typed pair")
@click.option("--pair", nargs=2, multiple=True)
@click.option("--ko", multiple=True)
@click.option("-v", "--verbose", count=True)
@click.option("--plain", "fancy", flag_value=False, default=True)
@click.option("--shout/--no-shout", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.option("--store", default="x.sqlite")
@click.option("--cells", type=int, default=10)
def demo(**params):
    ctx = click.get_current_context()
    ctx.obj["command"] = invoked_command(ctx)
    ctx.obj["params"] = params


def _run(args: list[str]) -> dict:
    obj: dict = {}
    demo.main(args=args, obj=obj, standalone_mode=False)
    return obj


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["model.bnd", "a", "b c"],
        ["--pt", "x", "3", "--pair", "a", "b", "--pair", "c", "d"],
        ["--ko", "ATF4", "--ko", "GLS", "-vv", "--plain", "--no-shout", "--json"],
        ["--shout", "--store", "/tmp/a b/x.sqlite", "--cells", "10"],  # a default given explicitly is recorded
        ["--cells=20", "--store=s.sqlite"],
    ],
)
def test_the_recorded_command_parses_back_to_the_same_parameters(args):
    first = _run(args)
    words = shlex.split(first["command"])
    assert words[:2] == ["metastasim", "demo"]
    assert _run(words[2:])["params"] == first["params"]


def test_only_what_was_given_is_recorded():
    assert _run(["--cells", "10"])["command"] == "metastasim demo --cells 10"
    assert _run([])["command"] == "metastasim demo"
