"""render(appendices=...): bench-only config appended to the rendered files, the production templates untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from ec112.lab.render import new_lab_config, render


def test_appendix_is_rendered_with_the_same_placeholders_after_the_production_file(tmp_path: Path) -> None:
    config = new_lab_config(tmp_path / "lab")
    plain = (render(config).parent / "extensions.conf").read_text()

    render(config, appendices={"extensions.conf": "[bench-bare]\nexten => 112,1,Queue(${queue},r)\n"})

    text = (config.directory / "etc" / "extensions.conf").read_text()
    assert text.startswith(plain)  # the 112 path exactly as without the appendix
    assert text.endswith("[bench-bare]\nexten => 112,1,Queue(112,r)\n")


def test_an_appendix_for_a_file_that_is_not_rendered_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"not rendered: extension\.conf"):
        render(new_lab_config(tmp_path / "lab"), appendices={"extension.conf": "[x]\n"})
