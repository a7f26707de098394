"""Pareto fronts of the sweep's rows, with what each front point dominates.

An objective is ``(column, sense)`` with sense ``min`` or ``max``. Row ``a`` dominates ``b`` when
``a`` is at least as good in every objective and better in one; the front holds the rows no other
row dominates. Rows that lack a value of an objective, or whose status is not ``ok``, take no part.
"""


def _better_or_equal(a, b, objectives):
    ge, gt = True, False
    for column, sense in objectives:
        x, y = a[column], b[column]
        if sense == "max":
            x, y = -x, -y
        if x > y:
            ge = False
            break
        if x < y:
            gt = True
    return ge, gt


def dominates(a, b, objectives):
    ge, gt = _better_or_equal(a, b, objectives)
    return ge and gt


def front(rows, objectives):
    """``(front, dominated, left_out)``: ``front`` is a list of ``(row, [rows it dominates])`` in
    the order of ``rows``; ``left_out`` the rows without every objective or not ``ok``."""
    usable = [r for r in rows if r.get("status") == "ok"
              and all(r.get(c) is not None for c, _ in objectives)]
    left_out = [r for r in rows if r not in usable]
    result, dominated = [], []
    for r in usable:
        if any(dominates(o, r, objectives) for o in usable if o is not r):
            dominated.append(r)
        else:
            result.append((r, [o for o in usable if o is not r and dominates(r, o, objectives)]))
    return result, dominated, left_out


def available_objectives(rows, objectives):
    """``(objectives some usable row has a value for, the others)``."""
    have = [(c, s) for c, s in objectives if any(r.get(c) is not None for r in rows)]
    return have, [(c, s) for c, s in objectives if (c, s) not in have]
