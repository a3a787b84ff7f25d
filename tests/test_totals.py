"""Group totals held by column (sfc_check/totals.py): a sum held in fixed point must be the Decimal sum itself,
value and exponent, since a message shows its text."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sfc_check.totals import BOUND, Sum, Totals

# coefficients from 0 to beyond the 28 digits of Decimal's context, exponents from 10^-40 to 10^6: sums that
# stay in an int64 cell, that outgrow it, that would round in Decimal, and values finer than any seen so far
decimals = st.builds(lambda sign, coefficient, exponent: Decimal((sign, tuple(map(int, str(coefficient))),
                                                                  exponent)),
                     st.integers(0, 1), st.one_of(st.integers(0, 10 ** 6), st.integers(0, 10 ** 32)),
                     st.integers(-40, 6))
values = st.one_of(decimals, st.integers(-10 ** 20, 10 ** 20), st.none(),
                   st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("-0.00")]))


def decimal_sum(items: list[object]) -> Decimal:
    total = Decimal(0)
    for v in items:
        if v is not None:
            total += v  # type: ignore[operator]
    return total


def same(a: Decimal, b: Decimal) -> bool:
    return str(a) == str(b) and (a.is_nan() or a.as_tuple() == b.as_tuple())


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), values), max_size=40), st.booleans())
def test_a_sum_is_the_decimal_sum_to_the_last_digit_and_exponent(feed, in_batches) -> None:
    totals = Totals(["sum"])
    column = totals.columns[0]
    assert isinstance(column, Sum)
    if in_batches:  # add_many (the batch feeder) in runs of up to 7 rows
        for start in range(0, len(feed), 7):
            run = feed[start:start + 7]
            column.add_many([totals.group(k) for k, _ in run], [v for _, v in run])
    else:
        for key, value in feed:
            column.add(totals.group(key), value)
    for key in {k for k, _ in feed}:
        expected = decimal_sum([v for k, v in feed if k == key])
        got = totals.take_many([key])[0][0]
        assert type(got) is Decimal and same(got, expected), (key, got, expected)


def test_money_stays_in_fixed_point_and_an_overflow_moves_to_decimal_at_the_same_value() -> None:
    totals = Totals(["sum", "count", "min", "max"])
    total, count, least, most = totals.columns
    g = totals.group("C1")
    for text in ["1000.50", "20", "0.125", "-3"]:
        total.add(g, Decimal(text))
        count.add(g, None)
        least.add(g, Decimal(text))
        most.add(g, Decimal(text))
    assert isinstance(total, Sum) and total.decimals == {} and total.places[g] == 3
    assert str(total.value(g)) == "1017.625"
    total.add(g, Decimal(BOUND // 1000))  # the sum in thousandths no longer fits an int64 cell
    assert total.places[g] == -1 and total.value(g) == Decimal(BOUND // 1000) + Decimal("1017.625")
    taken = totals.take_many(["C1", "C9"])  # C9 has no rows: each kind's zero
    assert [column[0] for column in taken][1:] == [4, Decimal(-3), Decimal("1000.50")]
    assert [column[1] for column in taken] == [Decimal(0), 0, None, None] and len(totals) == 0


def test_clearing_keeps_the_columns_the_feeders_hold() -> None:
    totals = Totals(["sum"])
    held = totals.columns[0]
    held.add(totals.group("C1"), Decimal(5))
    totals.clear()
    assert len(totals) == 0 and totals.columns[0] is held and len(held.cells) == 0
    held.add(totals.group("C2"), Decimal("2.5"))
    assert totals.take_many(["C2"]) == [[Decimal("2.5")]]
