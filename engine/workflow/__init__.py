"""Procedures as data: bundles, deploy checks, the SpiffWorkflow adapter, designer text, versions.

Owns: `procedures` (deploying bundles, finding a case's version), `spiff` (the adapter package),
`bpmn_checks`/`dmn_checks` (what SpiffWorkflow would get silently wrong), `expressions`,
`interpreter` and `sandbox` (designer text, allow-listed and bounded), `operations` (the
registry of service tasks a BPMN file may call; the operations themselves register from the
packages that own them), `designer` (the designers' workspace), `versions`/`spiff_versions`
(diffing versions and migrating running cases).
May import: engine.store, engine.time, engine.people.
"""
