"""Text-form inputs that once escaped as a Python error instead of a syntax error."""

from __future__ import annotations

import pytest

from leadflow.scoring.errors import TextFormError
from leadflow.scoring.schema import BUILTIN_SCHEMA
from leadflow.scoring.text import parse_text


def test_a_misplaced_keyword_in_the_header_is_a_syntax_error() -> None:
    with pytest.raises(TextFormError) as caught:
        parse_text('MODEL "m" KEY \'m\' LEAD SCOPE account\nRULE "r" +1 WHEN EmailOpened\n',
                   BUILTIN_SCHEMA)
    assert "line 1" in str(caught.value)
