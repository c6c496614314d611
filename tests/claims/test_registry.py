"""Choosing claims by letter, and the errors for bad choices (one line, an LrkitError)."""

from __future__ import annotations

import pytest

from lrkit.claims import CLAIMS, ClaimError, run_claims
from lrkit.claims._registry import select
from lrkit.errors import LrkitError


def test_every_claim_a_to_h_states_a_rule_and_plans_runs():
    assert list(CLAIMS) == list("abcdefgh")
    for claim in CLAIMS.values():
        assert claim.statement and "Supported" in claim.rule
        assert claim.plan()


def test_letters_select_claims_in_their_own_order():
    assert [c.id for c in select("c, B")] == ["b", "c"]
    assert [c.id for c in select(["h", "a"])] == ["a", "h"]
    assert len(select(None)) == len(CLAIMS)


@pytest.mark.parametrize(("only", "fragment"), [("z", "'z'"), ("a,zz", "'zz'"), (",", "(none given)")])
def test_an_unknown_letter_is_one_line_naming_it_and_the_choices(only, fragment):
    with pytest.raises(ClaimError) as error:
        select(only)
    message = str(error.value)
    assert fragment in message and "a,b,c,d,e,f,g,h" in message and "\n" not in message
    assert isinstance(error.value, LrkitError)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_a_bad_number_of_workers_is_refused_before_any_run(workers):
    with pytest.raises(ClaimError, match="workers must be"):
        run_claims("b", workers=workers)
