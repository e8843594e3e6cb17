"""The SpiffWorkflow adapter: parse bundles, cache specs, run steps, store lean state.

Everything that knows SpiffWorkflow's API lives in this package or in its few siblings
(spiff_versions.py: diff and migration; sandbox.py and operations.py: the script engine, which
runs designer text in interpreter.py, never in Python; bridge.py: the step's context for
SpiffWorkflow's callbacks, and the timer clock), so the rest of the engine speaks of steps,
levels and forms. Every call that runs a model takes the step's context (bridge.StepContext).
One module per concern:

- `model`: what a parsed procedure is (steps, levels, limits, decision tables);
- `parsing`: bundle → models, and every check deploy runs;
- `cache`: parsed models by version, one parse per process;
- `storage`: stored state without the spec, history pruned, zlib-compressed JSON against
  the case's application;
- `running`: start, complete, timers, notices, objections, how a workflow ended;
- `decisions`: decision tables evaluated in bulk, and what they gave a case.

The names below are the adapter's public surface; callers import this package, not its modules.
"""

from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION

from engine.workflow.spiff.cache import forget_cached, model_for, remember
from engine.workflow.spiff.decisions import (
    case_decisions,
    data_at,
    decide,
    decision_labels,
    decision_outputs,
    decisions_at,
    latest_data,
)
from engine.workflow.spiff.model import (
    END_STATUSES,
    LEVEL_ALIASES,
    SCRIPT_ENGINE,
    ProcessModel,
    Step,
    StrictDMNEngine,
    end_status,
    is_notice,
    model_errors,
)
from engine.workflow.spiff.parsing import check_bundle, parse_bundle
from engine.workflow.spiff.running import (
    OBJECTION_MESSAGE,
    WaitingNotice,
    Waits,
    complete,
    final_data,
    final_status,
    find_ready,
    fire_timers,
    ready_user_tasks,
    send_objection,
    start,
    waits,
)
from engine.workflow.spiff.storage import REGISTRY, dump, load

__all__ = [
    "END_STATUSES", "LEVEL_ALIASES", "OBJECTION_MESSAGE", "REGISTRY", "SCRIPT_ENGINE",
    "SERIALIZER_VERSION", "ProcessModel", "Step", "StrictDMNEngine", "WaitingNotice",
    "Waits",
    "case_decisions", "check_bundle", "complete", "data_at", "decide", "decision_labels",
    "decision_outputs", "decisions_at", "dump", "latest_data",
    "end_status", "final_data", "final_status", "find_ready", "fire_timers", "forget_cached",
    "is_notice", "load", "model_errors", "model_for", "parse_bundle",
    "ready_user_tasks", "remember", "send_objection", "start", "waits",
]
