"""Top-k of weighted sums over sets of attempt numbers held as Python ints (pure, standard library only).

Why ints as bit arrays: a query of common words names tens of thousands of
attempts, and walking their posting lists in Python costs a dict update per
entry (94 ms at 100k attempts). An int's ``&``, ``^`` and ``bit_count`` run in
C over the whole set at once, so each attempt's sum is kept "bit-sliced" (slice
j holds bit j of every attempt's sum) and adding a word of weight q to every
attempt that has it is a few dozen such operations whatever the word's
frequency. The k highest sums are then found one bit at a time from the top
(a radix select), and only the chosen attempts are turned back into numbers.
"""

from __future__ import annotations

from typing import Iterable

_ONE = bytes([0] + [1] * 255)  # a byte -> 1 when any of its bits is set
_BITS = tuple(tuple(b for b in range(8) if value >> b & 1) for value in range(256))


def from_positions(positions: Iterable[int], size: int) -> int:
    """The set of ``positions`` (each below ``size``) as an int with those bits set."""
    digits = bytearray(b"0") * size
    last = size - 1
    for i in positions:
        digits[last - i] = 49  # "1": int(..., 2) reads the most significant digit first
    return int(digits, 2) if size else 0


def add(slices: list[int], members: int, weight: int) -> None:
    """Add ``weight`` (>= 0) to the sum of every member, in place (ripple carry across the slices)."""
    slices.extend([0] * (weight.bit_length() - len(slices)))
    j = 0
    while weight:
        if weight & 1:
            carry, k = members, j
            while carry:
                if k == len(slices):
                    slices.append(carry)
                    break
                s = slices[k]
                slices[k] = s ^ carry
                carry &= s
                k += 1
        weight >>= 1
        j += 1


def add_sums(slices: list[int], sums: dict[int, int], size: int) -> None:
    """Add per-member sums (member -> sum >= 0) gathered in Python, one bit plane at a time."""
    if not sums:
        return
    values = set(sums.values())
    if len(values) <= GROUPED_MAX:
        _add_grouped(slices, sums, values, size)
        return
    planes = [bytearray((size + 7) >> 3) for _ in range(max(values).bit_length())]
    for i, v in sums.items():
        byte, bit, j = i >> 3, 1 << (i & 7), 0
        while v:
            if v & 1:
                planes[j][byte] |= bit
            v >>= 1
            j += 1
    for j, plane in enumerate(planes):
        add(slices, int.from_bytes(plane, "little"), 1 << j)


# Sums taking at most this many values are added by value: a query's sparse words give most members the same
# few sums (the same words shared), and setting one bit per member beats one bit per member per bit of its sum.
GROUPED_MAX = 32


def _add_grouped(slices: list[int], sums: dict[int, int], values: set[int], size: int) -> None:
    """``add_sums`` for sums of few distinct ``values``: the members of each value as one set, ORed into the
    bit planes of that value, then the same plane-by-plane additions."""
    width = (size + 7) >> 3
    groups = {v: bytearray(width) for v in values if v}
    for i, v in sums.items():
        if v:
            groups[v][i >> 3] |= 1 << (i & 7)
    planes = [0] * max(values).bit_length()
    for v, bits in groups.items():
        members_of_v = int.from_bytes(bits, "little")
        j = 0
        while v:
            if v & 1:
                planes[j] |= members_of_v
            v >>= 1
            j += 1
    for j, plane in enumerate(planes):
        if plane:
            add(slices, plane, 1 << j)


def members(x: int) -> list[int]:
    """The positions of the set bits of ``x``, ascending."""
    if x <= 0:
        return []
    data = x.to_bytes((x.bit_length() + 7) >> 3, "little")
    # nonzero bytes found by memchr over a 0/1 copy, not by a regex stepping over every zero byte: a tier
    # of a few attempts spread over 100k is ~12 KB of mostly zeros
    nonzero = data.translate(_ONE).find
    out: list[int] = []
    extend = out.extend
    i = nonzero(1)
    while i >= 0:
        extend(map((i << 3).__add__, _BITS[data[i]]))
        i = nonzero(1, i + 1)
    return out


def highest(x: int, count: int) -> list[int]:
    """The ``count`` highest set bits of ``x``, highest first."""
    out: list[int] = []
    if x <= 0 or count <= 0:
        return out
    data = x.to_bytes((x.bit_length() + 7) >> 3, "little")
    nonzero = data.translate(_ONE).rfind
    i = nonzero(1)
    while i >= 0:
        base = i << 3
        for b in reversed(_BITS[data[i]]):
            out.append(base + b)
            if len(out) == count:
                return out
        i = nonzero(1, 0, i)
    return out


def top(slices: list[int], k: int) -> list[int]:
    """The members with the ``k`` highest nonzero sums, a tie going to the higher position (the newer
    attempt); every member with a nonzero sum when there are at most ``k``. Roughly best first (``tiers``)."""
    return [i for members_of_tier, _ in tiers(slices, k) for i in members_of_tier]


def tiers(slices: list[int], k: int) -> list[tuple[list[int], int]]:
    """``top``'s members in tiers of strictly falling sums, each as (members ascending, the highest sum any
    of them can have): a scorer that bounds its score by the sum can stop at the first tier under its bar."""
    nonzero = 0
    for s in slices:
        nonzero |= s
    out: list[tuple[list[int], int]] = []
    if nonzero.bit_count() <= k:
        for b in range(len(slices) - 1, -1, -1):  # by the highest set bit of the sum: below 2^(b+1)
            tier = nonzero & slices[b]
            if tier:
                out.append((members(tier), (2 << b) - 1))
                nonzero ^= tier
        return out
    n_above, equal, prefix = 0, nonzero, 0
    for b in range(len(slices) - 1, -1, -1):  # decide the k-th sum's bits from the most significant
        ones = equal & slices[b]
        count = ones.bit_count()
        if n_above + count >= k:
            equal = ones
            prefix |= 1 << b
        elif ones:
            # the k-th sum's bits above b, then a 1 where its bit is 0: above it, and below every tier before
            out.append((members(ones), prefix | ((2 << b) - 1)))
            n_above += count
            equal ^= ones
    out.append((highest(equal, k - n_above), prefix))  # the k-th sum exactly
    return out
