"""The spec language: every schedule written by hand, its canonical form, and malformed specs."""

from __future__ import annotations

import math

import pytest

from lrkit import schedules as S
from lrkit.schedules import ALIASES, Join, Scaled, SpecError, Warmup, catalogue, parse

# One spec per row of the table, and the schedule it must build.
TABLE = [
    ("constant(0.1)", S.constant(0.1)),
    ("step(0.1, 30)", S.step(0.1, 30, gamma=0.1)),
    ("step(0.1, 30, gamma=0.5)", S.step(0.1, 30, gamma=0.5)),
    ("multistep(0.1, milestones=[30, 60, 90], gamma=0.1)", S.multistep(0.1, (30, 60, 90))),
    ("exponential(0.1, 0.95)", S.exponential(0.1, gamma=0.95)),
    ("polynomial(0.1, 1000, power=1.0, end_lr=0)", S.polynomial(0.1, 1000)),
    ("polynomial(0.1, 1000, power=2.0, end_lr=0.001)", S.polynomial(0.1, 1000, power=2.0, end_lr=1e-3)),
    ("linear(0.0, 0.1, 100)", S.linear(0.0, 0.1, 100)),
    ("cosine(0.1, 1000, min_lr=0)", S.cosine(0.1, 1000)),
    ("cosine_restarts(0.1, 100, mult=1, min_lr=0, decay=1.0)", S.cosine_restarts(0.1, 100)),
    ("cosine_restarts(0.1, 100, mult=2, min_lr=1e-4, decay=0.5)",
     S.cosine_restarts(0.1, 100, mult=2, min_lr=1e-4, decay=0.5)),
    ('cyclic(0.001, 0.1, 200, down=200, mode="triangular", gamma=1.0)', S.cyclic(0.001, 0.1, 200)),
    ('cyclic(0.001, 0.1, 200, down=50, mode="exp_range", gamma=0.99)',
     S.cyclic(0.001, 0.1, 200, down=50, mode="exp_range", gamma=0.99)),
    ('one_cycle(0.1, 1000, pct_start=0.3, anneal="cos", div_factor=25, final_div_factor=1e4, '
     "three_phase=false)", S.one_cycle(0.1, 1000)),
    ('one_cycle(0.1, 1000, pct_start=0.25, anneal="linear", three_phase=true)',
     S.one_cycle(0.1, 1000, pct_start=0.25, anneal="linear", three_phase=True)),
    ("warmup(100, start=0.0) >> cosine(0.1, 1000)", Warmup(S.cosine(0.1, 1000), 100)),
    ("warmup(100, start=0.1) >> cosine(0.1, 1000)", S.warmup(100, start=0.1) >> S.cosine(0.1, 1000)),
    ("cosine(0.1, 1000) >> constant(0.001)", Join((S.cosine(0.1, 1000), S.constant(0.001)))),
    ('wsd(0.1, 1000, 100, 200, shape="linear", min_lr=0)', S.wsd(0.1, 1000, 100, 200)),
    ('wsd(0.1, 1000, 100, 200, shape="1-sqrt", min_lr=0.001)',
     S.wsd(0.1, 1000, 100, 200, shape="1-sqrt", min_lr=0.001)),
    ("inverse_sqrt(0.1, 100)", S.inverse_sqrt(0.1, 100)),
    ("piecewise(values=[0.1, 0.01, 0.001], boundaries=[100, 200])",
     S.piecewise((0.1, 0.01, 0.001), (100, 200))),
    ("exponential(0.1, decay_rate=0.5, decay_steps=100, staircase=false)",
     S.exponential(0.1, decay_rate=0.5, decay_steps=100)),
    ("exponential(0.1, decay_rate=0.5, decay_steps=100, staircase=true)",
     S.exponential(0.1, decay_rate=0.5, decay_steps=100, staircase=True)),
    ("inverse_time(0.1, 0.5, 100)", S.inverse_time(0.1, 0.5, 100)),
]


@pytest.mark.parametrize(("spec", "expected"), TABLE, ids=[spec for spec, _ in TABLE])
def test_table_specs_build_their_schedule_and_round_trip(spec: str, expected: S.Schedule) -> None:
    schedule = parse(spec)
    assert schedule == expected
    assert parse(str(schedule)) == schedule
    assert str(parse(str(schedule))) == str(schedule)


# The same schedule written with positional and with keyword arguments.
POSITIONAL_AND_KEYWORD = [
    ("constant(0.1, 50)", "constant(lr=0.1, steps=50)"),
    ("step(0.1, 30, 0.5)", "step(lr=0.1, step_size=30, gamma=0.5)"),
    ("multistep(0.1, [30, 60], 0.5)", "multistep(gamma=0.5, milestones=[30, 60], lr=0.1)"),
    ("exponential(0.1, 0.95)", "exponential(lr=0.1, gamma=0.95)"),
    ("exponential(0.1, decay_rate=0.5, decay_steps=100, staircase=true)",
     "exponential(decay_steps=100, lr=0.1, staircase=true, decay_rate=0.5)"),
    ("inverse_time(0.1, 0.5, 100)", "inverse_time(decay_steps=100, decay_rate=0.5, lr=0.1)"),
    ("polynomial(0.1, 1000, 2.0, 0.001)", "polynomial(0.1, 1000, end_lr=0.001, power=2.0)"),
    ("linear(0.0, 0.1, 100)", "linear(steps=100, end_lr=0.1, start_lr=0.0)"),
    ("cosine(0.1, 1000, 1e-4)", "cosine(lr=0.1, steps=1000, min_lr=1e-4)"),
    ("cosine_restarts(0.1, 100, 2, 1e-4, 0.5)",
     "cosine_restarts(0.1, period=100, mult=2, min_lr=1e-4, decay=0.5)"),
    ("cyclic(0.001, 0.1, 200, 100, triangular2)",
     "cyclic(base_lr=0.001, max_lr=0.1, up=200, down=100, mode=triangular2)"),
    ("one_cycle(0.1, 1000, 0.25, linear)",
     "one_cycle(max_lr=0.1, steps=1000, pct_start=0.25, anneal='linear')"),
    ("wsd(0.1, 1000, 100, 200, cosine, 1e-3)",
     "wsd(lr=0.1, steps=1000, warmup=100, decay=200, shape=cosine, min_lr=1e-3)"),
    ("inverse_sqrt(0.1, 100, 50)", "inverse_sqrt(lr=0.1, warmup=100, timescale=50)"),
    ("piecewise([0.1, 0.01], [100])", "piecewise(rates=[0.1, 0.01], boundaries=[100])"),
    ("warmup(10, 0.1, exponential) >> cosine(1, 100)",
     "warmup(steps=10, start=0.1, shape='exponential') >> cosine(1, 100)"),
]


@pytest.mark.parametrize(("positional", "keyword"), POSITIONAL_AND_KEYWORD)
def test_positional_and_keyword_forms_agree(positional: str, keyword: str) -> None:
    assert parse(positional) == parse(keyword)


# Arguments that make a valid schedule of each canonical name, for the alias test.
SAMPLE_ARGUMENTS = {
    "constant": "0.1",
    "step": "0.1, 30",
    "multistep": "0.1, [30, 60]",
    "exponential": "0.1, 0.9",
    "polynomial": "0.1, 100",
    "cosine": "0.1, 100",
    "cosine_restarts": "0.1, 10, 2",
    "cyclic": "0.01, 0.1, 10",
    "one_cycle": "0.1, 100",
    "inverse_sqrt": "0.1, 10",
    "wsd": "0.1, 100, 10, 20",
}


@pytest.mark.parametrize(("alias", "name"), sorted(ALIASES.items()))
def test_aliases_build_the_same_schedule(alias: str, name: str) -> None:
    arguments = SAMPLE_ARGUMENTS[name]
    schedule = parse(f"{alias}({arguments})")
    assert schedule == parse(f"{name}({arguments})")
    assert str(schedule).startswith(f"{name}(")


def test_every_catalogue_entry_parses() -> None:
    names = {entry.name for entry in catalogue()}
    assert set(SAMPLE_ARGUMENTS) <= names
    for name in sorted(names & set(SAMPLE_ARGUMENTS)):
        assert parse(f"{name}({SAMPLE_ARGUMENTS[name]})").name == name


@pytest.mark.parametrize(
    "spec",
    [
        'cyclic(0.01, 0.1, 10, mode="triangular2")',
        "cyclic(0.01, 0.1, 10, mode='triangular2')",
        "cyclic(0.01, 0.1, 10, mode=triangular2)",
    ],
)
def test_strings_in_double_single_or_no_quotes(spec: str) -> None:
    assert parse(spec) == S.cyclic(0.01, 0.1, 10, mode="triangular2")


def test_a_bare_word_may_start_with_a_digit() -> None:
    assert parse("wsd(0.1, 100, 10, 20, shape=1-sqrt)").shape == "1-sqrt"
    assert parse("1cycle(0.1, 100)") == S.one_cycle(0.1, 100)


@pytest.mark.parametrize("word", ["true", "True", "TRUE"])
def test_booleans_in_any_case(word: str) -> None:
    assert parse(f"one_cycle(0.1, 100, three_phase={word})").three_phase is True


@pytest.mark.parametrize("number", ["1000", "1e3", "1E+3", "1000.", "1000.0"])
def test_whole_numbers_in_any_notation_count_steps(number: str) -> None:
    schedule = parse(f"cosine(.5, {number})")
    assert schedule.steps == 1000 and isinstance(schedule.steps, int)
    assert schedule.lr == 0.5


def test_whitespace_anywhere() -> None:
    tight = parse("warmup(10,start=0.1)>>cosine(0.1,100,min_lr=1e-4)>>constant(1e-4)")
    loose = parse(
        "  warmup ( 10 ,\n start = 0.1 )\t>>  cosine(\n  0.1 , 100 ,min_lr =1e-4 ) >>constant( 1e-4 ) \n"
    )
    assert tight == loose


def test_the_design_example_has_exact_values() -> None:
    schedule = parse("warmup(200) >> cosine(lr=0.1, steps=5000, min_lr=1e-4)")
    assert schedule(0) == 0.0
    assert schedule(100) == 0.05
    assert schedule(200) == 0.1
    expected = 1e-4 + (0.1 - 1e-4) * (1 + math.cos(math.pi * 4999 / 5000)) / 2
    assert schedule(5199) == pytest.approx(expected, rel=1e-15)
    assert schedule(5200) == pytest.approx(1e-4, rel=1e-15)
    assert schedule(10**7) == schedule(5200)
    assert schedule.length == 5200
    assert str(schedule) == "warmup(steps=200) >> cosine(lr=0.1, steps=5000, min_lr=0.0001)"
    assert schedule == S.warmup(200) >> S.cosine(0.1, 5000, min_lr=1e-4)


def test_warmup_in_the_middle_binds_to_the_next_schedule() -> None:
    schedule = parse("constant(0.1, steps=10) >> warmup(5) >> cosine(1, 100)")
    assert schedule == Join((S.constant(0.1, steps=10), S.warmup(5) >> S.cosine(1, 100)))
    assert schedule(9) == 0.1
    assert schedule(10) == 0.0
    assert schedule(15) == 1.0
    assert parse(str(schedule)) == schedule


def test_warmup_before_a_chain_binds_to_its_first_piece() -> None:
    schedule = parse("warmup(5) >> cosine(1, 10) >> constant(0.5)")
    assert schedule == Join((S.warmup(5) >> S.cosine(1, 10), S.constant(0.5)))
    assert schedule == (S.warmup(5) >> S.cosine(1, 10)) >> S.constant(0.5)


def test_parentheses_after_warmup_make_the_whole_group_its_target() -> None:
    grouped = parse("warmup(5) >> (cosine(1, 10) >> constant(0.5))")
    assert grouped == Warmup(Join((S.cosine(1, 10), S.constant(0.5))), 5)
    assert str(grouped) == "warmup(steps=5) >> (cosine(lr=1.0, steps=10) >> constant(lr=0.5))"
    assert parse(str(grouped)) == grouped
    # Different trees, the same rates.
    ungrouped = parse("warmup(5) >> cosine(1, 10) >> constant(0.5)")
    assert grouped != ungrouped
    assert list(grouped.values(40)) == list(ungrouped.values(40))


def test_nested_parentheses() -> None:
    assert parse("((cosine(1, 10)))") == S.cosine(1, 10)
    flat = parse("constant(1, steps=5) >> linear(1, 0.5, 5) >> cosine(0.5, 10)")
    assert parse("(constant(1, steps=5) >> (linear(1, 0.5, 5) >> (cosine(0.5, 10))))") == flat
    assert parse("((constant(1, steps=5) >> linear(1, 0.5, 5)) >> cosine(0.5, 10))") == flat


def test_scaled_group() -> None:
    schedule = parse("0.5 * (warmup(10) >> cosine(1, 100))")
    assert schedule == Scaled(S.warmup(10) >> S.cosine(1, 100), 0.5)
    assert schedule == 0.5 * (S.warmup(10) >> S.cosine(1, 100))
    assert schedule(0) == 0.0
    assert schedule(5) == 0.25
    assert schedule(10) == 0.5
    assert str(schedule) == "0.5 * (warmup(steps=10) >> cosine(lr=1.0, steps=100))"
    assert parse(str(schedule)) == schedule


def test_a_factor_on_either_side() -> None:
    assert parse("cosine(1, 100) * 0.5") == parse("0.5 * cosine(1, 100)") == 0.5 * S.cosine(1, 100)
    assert parse("2 * cosine(1, 100)").factor == 2.0


def test_a_scale_binds_tighter_than_a_join() -> None:
    schedule = parse("0.5 * cosine(1, 10) >> constant(0.1)")
    assert schedule == Join((0.5 * S.cosine(1, 10), S.constant(0.1)))


def test_a_scaled_scale_prints_in_parentheses() -> None:
    schedule = 0.5 * (0.25 * S.cosine(1, 10))
    assert str(schedule) == "0.5 * (0.25 * cosine(lr=1.0, steps=10))"
    assert parse(str(schedule)) == schedule


@pytest.mark.parametrize(
    ("spec", "canonical"),
    [
        ("cosine(0.1, 1000)", "cosine(lr=0.1, steps=1000)"),
        ("cyclic(0.01, 0.1, 10)", "cyclic(base_lr=0.01, max_lr=0.1, up=10, down=10)"),
        ("piecewise(values=[1, 0.1], boundaries=[5])", "piecewise(rates=[1.0, 0.1], boundaries=[5])"),
        ("one_cycle(1, 100, anneal='linear')", 'one_cycle(max_lr=1.0, steps=100, anneal="linear")'),
        ("exponential(1, decay_rate=0.5, decay_steps=10, staircase=true)",
         "exponential(lr=1.0, decay_rate=0.5, decay_steps=10, staircase=true)"),
        ("cos(1, 10) >> const(0.1)", "cosine(lr=1.0, steps=10) >> constant(lr=0.1)"),
    ],
)
def test_canonical_form(spec: str, canonical: str) -> None:
    assert str(parse(spec)) == canonical


# -- malformed specs ---------------------------------------------------------------------------
END = object()  # the error points just past the last character

# (spec, where the error points: a substring whose first occurrence starts there or END,
#  words the one-line message must contain)
MALFORMED = [
    ("cosin(0.1, 100)", "cosin", ["unknown schedule 'cosin'", "did you mean 'cosine'"]),
    ("cosine(0.1, 100, min_rl=0.01)", "min_rl", ["no parameter 'min_rl'", "did you mean 'min_lr'"]),
    ("cosine(0.1)", "cosine", ["needs 'steps'"]),
    ("cosine(0.1, 100, 0.0, 7)", "7", ["at most 3 arguments", "got 4"]),
    ("cosine(lr=0.1, 100)", "100", ["positional argument after a keyword argument"]),
    ("cosine(lr=0.1, steps=10, lr=0.2)", "lr=0.2", ["'lr' given twice"]),
    ("cosine(0.1, 10, lr=0.2)", "lr=0.2", ["'lr' given twice"]),
    ("cosine(0.1, 100", END, ["expected ',' or ')'", "found the end"]),
    ("(cosine(0.1, 100) >> constant(0.1)", END, ["expected ')' to close the group"]),
    ("cosine(0.1, 100) extra", "extra", ["expected '>>' or the end of the spec", "found 'extra'"]),
    ("cosine(0.1, 100))", 16, ["expected '>>' or the end of the spec", "found ')'"]),
    ("", 0, ["the spec is empty", "expected a schedule"]),
    ("   ", 0, ["the spec is empty"]),
    ("cosine(0.1, 100) >>", END, ["expected a schedule name"]),
    ("warmup(10)", END, ["warmup(...) must be followed by '>> schedule'"]),
    ("cosine(1, 10) >> warmup(5)", END, ["must be followed by the schedule it warms up"]),
    ("0.5 * warmup(10)", "0.5", ["cannot scale a bare warmup"]),
    ("constant(0.1) >> cosine(1, 10)", "constant", ["constant(lr=0.1) never ends", "steps=N"]),
    ("cosine(1, 10) >> constant(0.1) >> cosine(1, 10)", "constant", ["never ends"]),
    ("cosine(0.1, 0)", 12, ["steps must be a whole number of steps >= 1, got 0"]),
    ("cosine(-0.1, 10)", "-0.1", ["lr must be a finite rate >= 0, got -0.1"]),
    ("cosine(nan, 10)", "nan", ["lr must be a finite rate >= 0, got nan"]),
    ("constant(inf)", "inf", ["lr must be a finite rate >= 0, got inf"]),
    ("cosine(0.1, 10, min_lr=0.2)", "cosine", ["min_lr=0.2 is above lr=0.1"]),
    ("wsd(0.1, 100, warmup=60, decay=50)", "wsd", ["warmup=60 + decay=50 is longer than steps=100"]),
    ("one_cycle(0.1, 10, pct_start=0.05)", "one_cycle", ["pct_start=0.05 leaves a phase with no steps"]),
    ("one_cycle(0.1, 10, pct_start=1.0)", "one_cycle", ["pct_start=1.0 leaves a phase with no steps"]),
    ("exponential(0.1, 1.5)", "1.5", ["gamma=1.5 > 1", "give steps=N"]),
    ("cyclic(0.1, 1.0, 10, mode=square)", "mode", ["mode must be one of", "got 'square'"]),
    ("multistep(0.1, [30, 20])", "[", ["milestones must be strictly increasing", "[30, 20]"]),
    ("cosine(0.1; 100)", ";", ["unexpected character ';'"]),
    ("warmup(0) >> cosine(1, 10)", "0)", ["warmup(): steps must be", "got 0"]),
    ("cosine(1, 10) >> warmup(10, start=2) >> cosine(1, 10)", "start",
     ["start must be in [0.0, 1.0], got 2"]),
    ("cosine >> constant(1)", ">>", ["expected '(' after 'cosine'"]),
    ("0.5 cosine(1, 10)", "cosine", ["expected '*' after a leading factor"]),
    ("cosine(1, 10) * cosine(1, 10)", 16, ["expected a number after '*'"]),
    ("-0.5 * cosine(1, 10)", "-0.5", ["factor must be a finite number > 0, got -0.5"]),
    ("cosine(0.1, )", ")", ["expected a value"]),
    ("step(1.0, 1, gamma=10, steps=1000)", "step", ["grow past the float range"]),
    ("exponential(0.1, gamma=0.9, decay_rate=0.5)", "exponential", ["give either gamma"]),
]


def _ids(cases: list) -> list[str]:
    return [spec or "<empty>" for spec, *_ in cases]


def _expected_position(spec: str, where: object) -> int:
    if where is END:
        return len(spec)
    return where if isinstance(where, int) else spec.index(str(where))


@pytest.mark.parametrize(("spec", "where", "words"), MALFORMED, ids=_ids(MALFORMED))
def test_malformed_specs_say_where_and_what_was_expected(spec: str, where: object, words: list) -> None:
    with pytest.raises(SpecError) as caught:
        parse(spec)
    error = caught.value
    message = str(error)
    assert "\n" not in message
    assert isinstance(error, ValueError)
    assert error.text == spec
    assert error.position == _expected_position(spec, where), message
    assert message.startswith(f"in spec {spec!r} at position {error.position}: ")
    for word in words:
        assert word in error.reason, message


def test_a_spec_over_several_lines_still_errs_on_one_line() -> None:
    with pytest.raises(SpecError) as caught:
        parse("warmup(10)\n>> cosine(1,\n 10) >>")
    assert "\n" not in str(caught.value)
    assert caught.value.position == len("warmup(10)\n>> cosine(1,\n 10) >>")


@pytest.mark.parametrize("value", [None, 3, b"cosine(1, 10)", ["cosine(1, 10)"]])
def test_a_spec_that_is_not_a_string_is_a_type_error(value: object) -> None:
    # Wrong type, not a malformed spec: Python's TypeError, with the type named.
    with pytest.raises(TypeError, match="a spec must be a string"):
        parse(value)  # type: ignore[arg-type]
