"""Cinder's capacity arithmetic (``sched_utils``): factors, virtual free, ratio."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scheduler_helpers import pool

from cindersim.services.scheduler.sched_utils import (
    calculate_capacity_factors,
    calculate_max_over_subscription_ratio,
    calculate_virtual_free_capacity,
    capacity_filter_figures,
)


class TestMaxOverSubscriptionRatio:
    def test_pool_value_wins_over_global(self) -> None:
        caps = pool(thin_provisioning_support=True, max_over_subscription_ratio="3.5")
        assert calculate_max_over_subscription_ratio(caps, "20.0") == 3.5

    def test_global_default_when_pool_silent(self) -> None:
        caps = pool(thin_provisioning_support=True)
        assert calculate_max_over_subscription_ratio(caps, "20.0") == 20.0

    def test_auto_with_nothing_provisioned_is_twenty(self) -> None:
        caps = pool(thin_provisioning_support=True, allocated_capacity_gb=0,
                    max_over_subscription_ratio="auto")
        assert calculate_max_over_subscription_ratio(caps, "20.0") == 20.0

    def test_auto_from_provisioned_over_used(self) -> None:
        # used = 100 - 80 = 20; 1 + 42 / 21 = 3.0
        caps = pool(thin_provisioning_support=True, provisioned_capacity_gb=42,
                    max_over_subscription_ratio="auto")
        assert calculate_max_over_subscription_ratio(caps, "20.0") == 3.0

    def test_infinite_capacity_gives_one(self) -> None:
        caps = pool(thin_provisioning_support=True, free_capacity_gb="infinite")
        assert calculate_max_over_subscription_ratio(caps, "20.0") == 1.0



def test_reserved_is_floored_fraction_of_total() -> None:
    f = calculate_capacity_factors(99, 99, 0, False, 1.0, 5, thin=False)
    assert f.reserved_capacity == 4.0  # floor(4.95)
    assert f.virtual_free_capacity == 95.0


# A pool's figures as capability reports carry them (mosr apart: each test says its range).
_POOL_FIGURES = {
    "total": st.floats(0, 1e6, allow_nan=False), "free": st.floats(0, 1e6, allow_nan=False),
    "provisioned": st.floats(0, 1e7, allow_nan=False), "thin_support": st.booleans(),
    "reserved": st.sampled_from([0, 5, 10, 33, 50, 100]), "thin": st.booleans()}


@settings(max_examples=300, deadline=None)
@given(mosr=st.floats(1.0, 50.0), **_POOL_FIGURES)
def test_virtual_free_alone_is_the_factor_the_full_calculation_gives(
        total: float, free: float, provisioned: float, thin_support: bool, mosr: float,
        reserved: int, thin: bool) -> None:
    args = (total, free, provisioned, thin_support, mosr, reserved, thin)
    assert calculate_virtual_free_capacity(*args) == \
        calculate_capacity_factors(*args).virtual_free_capacity


@settings(max_examples=300, deadline=None)
@given(mosr=st.floats(0.5, 50.0), **_POOL_FIGURES)
def test_the_capacity_filter_figures_are_the_factors_the_full_calculation_gives(
        total: float, free: float, provisioned: float, thin_support: bool, mosr: float,
        reserved: int, thin: bool) -> None:
    args = (total, free, provisioned, thin_support, mosr, reserved, thin)
    factors = calculate_capacity_factors(*args)
    assert capacity_filter_figures(*args) == (factors.total_available_capacity,
                                              factors.virtual_free_capacity)
