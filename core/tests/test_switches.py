"""On/off environment variables: one reading for every switch flavorkit has."""

from __future__ import annotations

import pytest

from flavorkit.switches import env_flag

NAME = "FLAVORKIT_TEST_SWITCH"


@pytest.mark.parametrize(
    ("value", "off_by_default", "on_by_default"),
    [
        (None, False, True),
        ("", False, True),
        ("1", True, True),
        (" TRUE ", True, True),
        ("yes", True, True),
        ("0", False, False),
        ("False", False, False),
        (" no", False, False),
        ("maybe", False, True),  # neither word: the default stands
    ],
)
def test_a_switch_reads_the_same_words_everywhere(
    monkeypatch: pytest.MonkeyPatch, value: str | None, off_by_default: bool, on_by_default: bool
) -> None:
    if value is None:
        monkeypatch.delenv(NAME, raising=False)
    else:
        monkeypatch.setenv(NAME, value)
    assert env_flag(NAME, default=False) is off_by_default
    assert env_flag(NAME, default=True) is on_by_default
