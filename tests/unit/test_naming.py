"""Natural keys: emails and domains match however they are typed (SPEC §1)."""

from __future__ import annotations

import pytest

from leadflow.domain.naming import (
    email_domain,
    is_email,
    is_slug,
    normalise_domain,
    normalise_email,
)


@pytest.mark.parametrize(("given", "expected"), [
    ("Ana@Acme.TEST", "ana@acme.test"), ("  ana@acme.test\n", "ana@acme.test"),
    ("ANA.LIMA+x@acme.test", "ana.lima+x@acme.test"),
])
def test_emails_are_trimmed_and_lowered(given: str, expected: str) -> None:
    assert normalise_email(given) == expected


@pytest.mark.parametrize(("given", "expected"), [
    ("acme.com", "acme.com"), ("ACME.com", "acme.com"), ("www.acme.com", "acme.com"),
    ("https://www.Acme.com/pricing", "acme.com"), ("http://acme.com?x=1", "acme.com"),
    ("  sub.acme.com  ", "sub.acme.com"), ("wwwacme.com", "wwwacme.com"),
])
def test_domains_are_reduced_to_the_host(given: str, expected: str) -> None:
    assert normalise_domain(given) == expected


@pytest.mark.parametrize(("value", "valid"), [
    ("ana@acme.test", True), ("a@b.c", True), ("ana@acme", False), ("ana", False),
    ("ana @acme.test", False), ("@acme.test", False), ("a@@acme.test", False),
])
def test_is_email(value: str, valid: bool) -> None:
    assert is_email(value) is valid


@pytest.mark.parametrize(("value", "valid"), [
    ("spring", True), ("spring-2025", True), ("q1_launch", True), ("1st", True),
    ("Spring", False), ("-x", False), ("a b", False), ("", False), ("a" * 64, True),
    ("a" * 65, False), ("ação", False),
])
def test_is_slug(value: str, valid: bool) -> None:
    assert is_slug(value) is valid


def test_email_domain() -> None:
    assert email_domain("ana@acme.test") == "acme.test"
    assert email_domain("ana") is None
