"""District rules in tests: the two districts, a 湖里 registration, a rules PUT."""

from __future__ import annotations

from tests.conftest import registration_data

HULI, SIMING = "350206", "350203"


def huli_registration(**overrides) -> dict:
    data = registration_data(
        street="350206001", community="350206001001", address="湖里区湖里大道 18 号", title="湖里大道 18 号店面装修"
    )
    data.update(overrides)
    return data


# -- acceptance: 湖里区 30-second rectification deadline ---------------------------------------------
def put_rules(api, username, district, values, reason="演练：一般隐患整改期限 30 秒", **extra):
    return api.client.put(
        f"/api/v1/districts/{district}/rules",
        json={"values": values, "reason": reason, **extra},
        headers={"Authorization": f"Bearer {api.token(username)}"},
    )
