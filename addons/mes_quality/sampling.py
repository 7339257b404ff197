# This file is part of Tryton MES.  See README.md for license terms.
"""How many samples a work owes a characteristic, without the ORM.

A sample is one subgroup (or one individual on an individuals chart). The
plan says when samples are due; the work says how far it got. The samples
due are the samples expected by now less those taken.
"""
import math

PLANS = ('first_piece', 'every_units', 'every_minutes', 'percentage')


def expected_samples(plan, produced, running_minutes, every_units=None,
        every_minutes=None, percentage=None):
    """The samples a work should have given by now.

    first_piece: one, once the work has begun; every_units: one at the
    first piece and one more for each started block of `every_units`;
    every_minutes: one at the start and one more each `every_minutes` of
    running; percentage: that share of the pieces made, rounded up."""
    produced = max(produced or 0, 0)
    running_minutes = max(running_minutes or 0, 0)
    started = produced > 0 or running_minutes > 0
    if plan is None:
        return 0
    if plan == 'first_piece':
        return 1 if started else 0
    if plan == 'every_units':
        if not every_units or every_units <= 0:
            raise ValueError("every_units must be positive")
        return math.ceil(produced / every_units) if produced else (
            1 if started else 0)
    if plan == 'every_minutes':
        if not every_minutes or every_minutes <= 0:
            raise ValueError("every_minutes must be positive")
        return (1 + math.floor(running_minutes / every_minutes)
            if started else 0)
    if plan == 'percentage':
        if percentage is None or not 0 < percentage <= 100:
            raise ValueError("percentage must be in (0, 100]")
        # The epsilon keeps 10 % of 30 pieces at 3, not 4.
        return math.ceil(produced * percentage / 100 - 1e-9)
    raise ValueError(f"unknown sampling plan {plan!r}")


def samples_due(expected, measurements_taken, subgroup_size):
    "The samples still owed: complete subgroups count, partial ones not."
    taken = measurements_taken // max(subgroup_size or 1, 1)
    return max(expected - taken, 0)
