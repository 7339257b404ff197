# This file is part of Tryton MES.  See README.md for license terms.
"""Lot genealogy walks as one recursive SQL query, without the ORM.

The genealogy is a table of edges (input lot → output lot). A backward
trace follows edges from outputs to inputs (where did this come from); a
forward trace from inputs to outputs (where did it go). The walk stops at a
maximum depth, so a cycle in bad data can never make it run forever; each
lot is reported once, at the depth it was first reached.
"""
from sql import Literal, With
from sql.aggregate import Min


def trace_query(edge, start_lot_ids, max_depth, direction='backward',
        company_ids=None):
    """Return a python-sql query of (lot, depth) rows reachable from the
    start lots, depth 1 being the direct inputs (or outputs), following only
    the edges of company_ids when given."""
    if direction not in {'backward', 'forward'}:
        raise ValueError(f"unknown direction: {direction!r}")
    if max_depth < 1:
        raise ValueError("the depth must be at least 1")
    start_lot_ids = list(start_lot_ids)
    if direction == 'backward':
        origin, reached = edge.output_lot, edge.input_lot
    else:
        origin, reached = edge.input_lot, edge.output_lot

    def allowed(table):
        if company_ids is None:
            return Literal(True)
        return table.company.in_(list(company_ids))

    walk = With('lot', 'depth', recursive=True)
    walk.query = edge.select(
        reached, Literal(1),
        where=origin.in_(start_lot_ids) & allowed(edge))
    step = edge.__class__(edge._name)
    if direction == 'backward':
        step_origin, step_reached = step.output_lot, step.input_lot
    else:
        step_origin, step_reached = step.input_lot, step.output_lot
    # UNION (not UNION ALL) drops repeated (lot, depth) pairs at each step.
    walk.query |= step.join(walk, condition=step_origin == walk.lot).select(
        step_reached, walk.depth + 1,
        where=(walk.depth < max_depth) & allowed(step))
    return walk.select(
        walk.lot, Min(walk.depth).as_('depth'),
        group_by=[walk.lot], with_=[walk])


def trace_edges_query(edge, start_lot_ids, max_depth, direction='backward',
        company_ids=None):
    """Return a python-sql query of (edge, depth) rows: every genealogy
    edge the trace from the start lots crosses, once, at the depth it is
    first crossed (1 for the edges of the start lots)."""
    if direction not in {'backward', 'forward'}:
        raise ValueError(f"unknown direction: {direction!r}")
    if max_depth < 1:
        raise ValueError("the depth must be at least 1")
    start_lot_ids = list(start_lot_ids)

    def ends(table):
        if direction == 'backward':
            return table.output_lot, table.input_lot
        return table.input_lot, table.output_lot

    def allowed(table):
        if company_ids is None:
            return Literal(True)
        return table.company.in_(list(company_ids))

    origin, reached = ends(edge)
    walk = With('edge', 'lot', 'depth', recursive=True)
    walk.query = edge.select(
        edge.id, reached, Literal(1),
        where=origin.in_(start_lot_ids) & allowed(edge))
    step = edge.__class__(edge._name)
    step_origin, step_reached = ends(step)
    walk.query |= step.join(walk, condition=step_origin == walk.lot).select(
        step.id, step_reached, walk.depth + 1,
        where=(walk.depth < max_depth) & allowed(step))
    return walk.select(
        walk.edge, Min(walk.depth).as_('depth'),
        group_by=[walk.edge], with_=[walk])
