"""The capacity arithmetic of ``cinder/scheduler/sched_utils.py``.

Three pure functions every capacity decision goes through: the CapacityFilter
asks :func:`calculate_capacity_factors` whether a request fits, the
CapacityWeigher weighs :func:`calculate_virtual_free_capacity`, and the host
manager gives each pool its :func:`calculate_max_over_subscription_ratio` when a
report arrives.  Figures are GiB; thin provisioning multiplies the reserved-free
total by the over-subscription ratio, thick takes the driver's free figure when
it is the smaller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import attrs

__all__ = [
    "INFINITE_UNKNOWN_VALUES",
    "INITIAL_AUTO_MOSR",
    "CapacityFactors",
    "available_capacity",
    "calculate_capacity_factors",
    "calculate_max_over_subscription_ratio",
    "calculate_virtual_free_capacity",
    "capacity_filter_figures",
    "virtual_free_of",
]

INFINITE_UNKNOWN_VALUES: Final = ("infinite", "unknown")
"""Capacity strings a driver may report instead of a number."""

INITIAL_AUTO_MOSR: Final = 20.0
"""``max_over_subscription_ratio = auto`` with nothing provisioned yet uses this."""


@attrs.frozen(slots=True)
class CapacityFactors:
    """The capacity terms of Cinder's provisioning-improvements spec for one pool.

    Values are rounded to two decimals as ``sched_utils`` does, so filters and
    weighers see exactly the numbers Cinder logs.
    """

    total_capacity: float
    free_capacity: float
    reserved_capacity: float
    """``floor(total * reserved_percentage / 100)``."""
    total_reserved_available_capacity: float
    """``total - reserved``."""
    total_available_capacity: float
    """Thin: ``(total - reserved) * mosr``; thick: ``total - reserved``."""
    provisioned_capacity: float
    calculated_free_capacity: float
    """``total_available - provisioned``."""
    virtual_free_capacity: float
    """Thin: the calculated free; thick: ``min(free, calculated free)``."""
    free_percent: float
    provisioned_ratio: float
    provisioned_type: str
    """``'thin'`` or ``'thick'``."""
    max_over_subscription_ratio: float | None
    """The ratio used, or ``None`` for thick."""


def calculate_capacity_factors(
    total_capacity: float, free_capacity: float, provisioned_capacity: float,
    thin_provisioning_support: bool, max_over_subscription_ratio: float,
    reserved_percentage: float, thin: bool,
) -> CapacityFactors:
    """Cinder's ``sched_utils.calculate_capacity_factors``.

    Thin applies only when the pool supports it *and* the request is thin (the
    volume type does not say ``provisioning:type=thick``).
    """
    total = float(total_capacity)
    reserved_capacity = float(math.floor(total * (float(reserved_percentage) / 100)))
    total_reserved_available = total - reserved_capacity
    if thin and thin_provisioning_support:
        total_available = total_reserved_available * max_over_subscription_ratio
        calculated_free = total_available - provisioned_capacity
        virtual_free = calculated_free
        provisioned_type = "thin"
    else:
        total_available = total_reserved_available
        calculated_free = total_available - provisioned_capacity
        # The driver's own free figure can be lower than the bookkeeping says
        # (space used outside Cinder): thick placement trusts the smaller one.
        virtual_free = min(float(free_capacity), calculated_free)
        provisioned_type = "thick"
    if total_available:
        provisioned_ratio = provisioned_capacity / total_available
        free_percent = virtual_free / total_available * 100
    else:
        provisioned_ratio = 0.0
        free_percent = 0.0
    return CapacityFactors(
        total_capacity=total,
        free_capacity=float(free_capacity),
        reserved_capacity=reserved_capacity,
        total_reserved_available_capacity=round(total_reserved_available, 2),
        total_available_capacity=round(total_available, 2),
        provisioned_capacity=float(provisioned_capacity),
        calculated_free_capacity=round(calculated_free, 2),
        virtual_free_capacity=round(virtual_free, 2),
        free_percent=round(free_percent, 2),
        provisioned_ratio=round(provisioned_ratio, 2),
        provisioned_type=provisioned_type,
        max_over_subscription_ratio=(
            max_over_subscription_ratio if provisioned_type == "thin" else None),
    )


def available_capacity(total_capacity: float, reserved_percentage: float,
                       ratio: float) -> float:
    """``total_available_capacity`` before rounding: ``(total - reserved) * ratio``, the
    ratio being the pool's over-subscription ratio for a thin request on a thin pool
    and 1 otherwise.  It changes only with a report, so a pool keeps it."""
    total = float(total_capacity)
    return (total - float(math.floor(total * (float(reserved_percentage) / 100)))) * ratio


def virtual_free_of(available: float, free_capacity: float, provisioned_capacity: float,
                    thin_applies: bool) -> float:
    """``virtual_free_capacity`` of a pool whose unrounded :func:`available_capacity` is
    *available*: thin, what is left of it; thick, the driver's free figure when that is
    the smaller (space used outside Cinder)."""
    if thin_applies:
        return round(available - provisioned_capacity, 2)
    return round(min(float(free_capacity), available - provisioned_capacity), 2)


def calculate_virtual_free_capacity(
    total_capacity: float, free_capacity: float, provisioned_capacity: float,
    thin_provisioning_support: bool, max_over_subscription_ratio: float,
    reserved_percentage: float, thin: bool,
) -> float:
    """The ``virtual_free_capacity`` factor alone (what CapacityWeigher weighs).

    The same arithmetic as :func:`calculate_capacity_factors`, without building
    the other eleven figures.
    """
    thin_applies = bool(thin and thin_provisioning_support)
    return virtual_free_of(
        available_capacity(total_capacity, reserved_percentage,
                           max_over_subscription_ratio if thin_applies else 1.0),
        free_capacity, provisioned_capacity, thin_applies)


def capacity_filter_figures(
    total_capacity: float, free_capacity: float, provisioned_capacity: float,
    thin_provisioning_support: bool, max_over_subscription_ratio: float,
    reserved_percentage: float, thin: bool,
) -> tuple[float, float]:
    """``(total_available_capacity, virtual_free_capacity)``: the two factors the
    CapacityFilter reads, rounded as :func:`calculate_capacity_factors` rounds them.

    The same arithmetic, without the other ten figures and their record.
    """
    thin_applies = bool(thin and thin_provisioning_support)
    available = available_capacity(total_capacity, reserved_percentage,
                                   max_over_subscription_ratio if thin_applies else 1.0)
    return round(available, 2), virtual_free_of(available, free_capacity,
                                                provisioned_capacity, thin_applies)


def calculate_max_over_subscription_ratio(
    capability: Mapping[str, Any], global_max_over_subscription_ratio: str | float,
) -> float:
    """The pool's effective over-subscription ratio (``sched_utils``).

    1.0 without thin support or with an infinite/unknown capacity (the capacity
    filter never uses it then).  ``'auto'`` gives ``1 + provisioned / (used + 1)``
    once something is provisioned, else 20.
    """
    allocated = capability.get("allocated_capacity_gb", 0)
    provisioned = capability.get("provisioned_capacity_gb", allocated)
    if not capability.get("thin_provisioning_support", False):
        return 1.0
    total = capability.get("total_capacity_gb", 0)
    free = capability.get("free_capacity_gb", 0)
    if total in INFINITE_UNKNOWN_VALUES or free in INFINITE_UNKNOWN_VALUES:
        return 1.0
    mosr = capability.get("max_over_subscription_ratio") or global_max_over_subscription_ratio
    if mosr == "auto":
        if provisioned != 0:
            used = float(total) - float(free)
            return 1 + float(provisioned) / (used + 1)
        return INITIAL_AUTO_MOSR
    return float(mosr)
