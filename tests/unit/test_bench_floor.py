"""`make bench` measures against a floor: bare SpiffWorkflow running the shipped diagram's first
visit. The floor must keep up with the diagram (the data a registration starts with, the helpers
its scripts call), or the benchmark stops before measuring anything."""

from __future__ import annotations


def test_the_floor_completes_the_shipped_first_visit():
    from bench.run import Floor

    floor = Floor()
    assert floor.sample() > 0
    assert floor.sample(state_only=True) > 0
