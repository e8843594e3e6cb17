"""Deployed procedures, for designers and anyone curious which versions run."""

from __future__ import annotations

from flask import render_template

from engine.workflow import procedures

from ..extensions import db
from . import pages


@pages.get("/procedures", endpoint="procedures")
def procedures_list():
    versions = procedures.list_versions(db.session)
    rows = [(v, procedures.model_of(v)) for v in versions]
    return render_template("pages/procedures.html", rows=rows)

