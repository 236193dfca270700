"""External tasks: a BPMN `serviceTask` with a `topic` waits for a worker outside the platform.

The platform never calls other systems itself. A service task that names a topic (extension
property `topic`, e.g. `permit-referral`) stops the token there, like a user task stops it for a
person: a machine client fetches it over the API, does its work and completes it with variables.
`variables` names the process data the worker is given (nothing else leaves the platform); the
form the element names (`formKey`) checks what the worker sends back, as a person's answer is. Pure: no Flask, no SQL.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask

TOPIC = "topic"
VARIABLES = "variables"


class ExternalTask(SpiffBpmnTask):
    """Runs to STARTED and stays there until `ProcessRunner.complete_external` completes it; a
    boundary event on it (a timer: nobody answered in time) can still cancel it."""

    def _run_hook(self, my_task):
        return None  # SpiffWorkflow leaves a task whose run returns None in STARTED


class ExternalTaskParser(SpiffTaskParser):
    def create_task(self):
        extensions = self.parse_extensions()
        topic = (extensions.get("properties") or {}).get(TOPIC, "").strip()
        if not topic:
            raise ValidationException(
                "服务任务没有主题（topic）：外部工作者按主题领取任务", node=self.node, file_name=self.filename
            )
        return ExternalTask(
            self.spec,
            self.bpmn_id,
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )


def props(spec) -> dict:
    return (getattr(spec, "extensions", None) or {}).get("properties", {}) or {}


def topic_of(spec) -> str | None:
    return props(spec).get(TOPIC) if isinstance(spec, ExternalTask) else None


def names(spec, prop: str) -> list[str]:
    return (props(spec).get(prop) or "").split()
