"""The names Python gives elements of the shipped diagram (processes/small_works.bpmn): this is the
one mapping; tests/unit/test_diagram_names.py fails on any other literal element id in
webapp/services.

What the figures and the case file read is not named here: elements say what they feed with
extension properties (`kpi`, `casefile`, `stage`, `notice`…; domain.figures), so a renamed step
keeps counting, and a version dropping a property a figure needs is refused at validation.
"""

from __future__ import annotations

# The process new projects start.
MAIN_PROCESS = "small_works"

# Messages the services send into a running instance.
INSPECTION_REQUEST = "inspection_request"  # 临时巡查: the event sub-process giving the street's inspectors a task
# Messages a demo machine client may send (organisation.demo: the 12345 hotline's scope).
HOTLINE_REPORT = "hotline_report"

# The steps the demo's sample projects (organisation.sample_projects) walk through the shipped diagram,
# as a scenario would; tests/integration/test_sample_projects.py fails if one is renamed.
FIRST_VISIT = "first_visit"
PATROL = "patrol"
PROPOSE_STOP_WORK = "propose_stop_work"
APPROVE_STOP_WORK = "approve_stop_work"
WRITEOFF = "writeoff"
