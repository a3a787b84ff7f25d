"""Cutting a CSV into parts for --jobs: the cuts read in small blocks equal the rule stated on the whole file."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sfc_check.textfiles import line_cuts


def _cuts_of_whole(data: bytes, parts: int) -> list[tuple[int, int, int]] | None:
    """The rule, plainly: after the header line, cut after the first LF at or past each equal share of the size;
    refuse quotes, lone CRs, and cuts that meet."""
    if not data or b'"' in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    size = len(data)
    cuts = [data.find(b"\n") + 1]
    for i in range(1, parts):
        cuts.append(data.find(b"\n", max(size * i // parts, cuts[-1])) + 1)
    cuts.append(size)
    if 0 in cuts[:-1] or any(a >= b for a, b in zip(cuts, cuts[1:])):
        return None
    return [(a, b, data.count(b"\n", 0, a)) for a, b in zip(cuts, cuts[1:])]



@settings(max_examples=400, deadline=None)
@given(lines=st.lists(st.text(alphabet="ab,\r\"", max_size=6), max_size=12),
       ends=st.lists(st.sampled_from(["\n", "\r\n", "\r", ""]), min_size=12, max_size=12),
       parts=st.integers(2, 4), chunk=st.integers(1, 9))
def test_cuts_read_in_blocks_equal_the_cuts_of_the_whole_file(tmp_path_factory, lines, ends, parts, chunk) -> None:
    data = "".join(line + end for line, end in zip(lines, ends)).encode()
    path = tmp_path_factory.mktemp("cut") / "t.csv"
    path.write_bytes(data)
    with path.open("rb") as f:
        got = line_cuts(f, parts, chunk)
    assert got == _cuts_of_whole(data, parts)


def test_a_plain_file_is_cut_after_line_ends_and_counts_the_lines_before(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"h1,h2\r\n" + b"".join(b"%d,x\r\n" % i for i in range(10)))
    with path.open("rb") as f:
        cuts = line_cuts(f, 3, chunk=5)
    assert cuts is not None and len(cuts) == 3
    data = path.read_bytes()
    assert [data[a - 1:a] for a, _, _ in cuts] == [b"\n"] * 3 and cuts[-1][1] == len(data)
    assert [before for _, _, before in cuts] == [1] + [data.count(b"\n", 0, a) for a, _, _ in cuts[1:]]
    assert b"".join(data[a:b] for a, b, _ in cuts) == data[cuts[0][0]:]


def test_a_line_longer_than_a_share_pushes_the_next_cut_past_it(tmp_path) -> None:
    """The first LF past a share may be the previous cut's own: the next cut must fall after that one."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"h\n" + b"a" * 10 + b"\nb\nc\n")
    with path.open("rb") as f:
        assert line_cuts(f, 3, chunk=4) == [(2, 13, 1), (13, 15, 2), (15, 17, 3)]
