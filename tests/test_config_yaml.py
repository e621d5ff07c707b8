"""config.yaml is read with libyaml's parser when PyYAML has it (bot.config._read_yaml): the same data as
the pure-Python parser, and the same error text (with the offending line) for a broken file."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, _read_yaml, load_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", [ROOT / "config.yaml", ROOT / "config_fragments" / "jakarta_catalogue.yaml"])
def test_shipped_files_read_as_the_pure_python_parser_reads_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _read_yaml(text) == yaml.safe_load(text)


def test_yaml_1_1_scalars_keep_their_types() -> None:
    text = "a: yes\nb: '007'\nc: 1_000\nd: 2026-12-01\ne: ~\nf: 0o17\ng: 3.5\nh: on\n"
    assert _read_yaml(text) == yaml.safe_load(text)


def test_a_broken_file_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("http:\n  port: [8080\ninstance: x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(str(bad))
    message = str(err.value)
    assert message.startswith(f"{bad}: not valid YAML: ")
    try:
        yaml.safe_load(bad.read_text(encoding="utf-8"))
    except yaml.YAMLError as expected:
        assert message.endswith(str(expected))  # the pure-Python parser's text, snippet included
        assert "^" in message
    else:
        pytest.fail("the file should not parse")
