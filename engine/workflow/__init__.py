"""Procedures as data: bundles, deploy checks, the SpiffWorkflow adapter, designer text, versions.

Owns: `procedures` (deploying bundles, the data files they may carry, finding a case's
version, validating a version's forms), `spiff` (the adapter package), `bridge` (the one
place SpiffWorkflow's callbacks reach a step's context), `bpmn_checks`/`dmn_checks` (what
SpiffWorkflow would get silently wrong), `expressions`, `interpreter` and `sandbox` (designer
text, allow-listed and bounded), `operations` (the registry of service tasks a BPMN file may
call, and the script engine; the operations themselves register from the packages that own
them), `designer` (the designers' workspace), `versions`/`spiff_versions` (diffing versions;
the SpiffWorkflow side of migrating a case, which engine.casework.migration drives).
May import: engine.store, engine.time, engine.people.
"""
