"""The command line parses a command with that command's parser alone (issue 21: ``rsnprop
power``'s start imported and described the 18 other commands first, 5-8 ms of CPU); the help,
the parsed options and the usage errors are those of the whole parser."""

from __future__ import annotations

import argparse

import pytest

from rsnprop import cli

NAMES = [m.NAME for m in cli._command_modules()]


def _sub(parser, name):
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices.get(name), sorted(action.choices)


@pytest.mark.parametrize("name", NAMES)
def test_a_command_alone_has_the_same_parser(name):
    alone, names = _sub(cli.build_parser(name), name)
    whole, _ = _sub(cli.build_parser(), name)
    assert names == [name]
    assert alone.format_help() == whole.format_help()
    assert alone.format_usage() == whole.format_usage()


def test_unknown_or_no_command_builds_every_command():
    for only in (None, "powr", "", "--json"):
        assert _sub(cli.build_parser(only), "power")[1] == sorted(NAMES)


@pytest.mark.parametrize("argv", [
    ["power", "--plan", "analysis/study.yaml", "--n", "100,200", "--reps", "5", "--jobs", "2",
     "--no-analytic", "--seed", "7", "--json"],
    ["power", "--plan", "p.yaml", "--panel", "--attrition", "0.3", "--change", "none"],
    ["clean", "export.csv", "--instrument", "i.yaml", "-o", "c.parquet"],
])
def test_the_same_options_parsed(argv):
    a, b = cli.build_parser(argv[0]).parse_args(argv), cli.build_parser().parse_args(argv)
    assert vars(a) == vars(b)


def test_main_builds_only_the_named_command(monkeypatch):
    seen = []
    real = cli.build_parser

    def spy(*only):
        seen.append(only)
        return real(*only)

    monkeypatch.setattr(cli, "build_parser", spy)
    with pytest.raises(SystemExit):
        cli.main(["power", "--bogus"])
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert seen == [("power",), ()]
