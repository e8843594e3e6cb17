"""The accounts migration on a database that already has users and tokens: existing tokens
expire 30 days after they were issued (a token from 800 days ago stops working), existing
users must change their password at next sign-in."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import upgrade

from web import create_app

BEFORE = "3c1f0a9e7b25"  # the head this migration was written against


def test_existing_tokens_get_an_expiry_and_existing_users_must_change(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "test"})
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision=BEFORE)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO org_unit (id, code, name, level, path) "
                "VALUES (1, 'D9', '旧区', 'district', '/D9/')"))
            conn.execute(sa.text(
                "INSERT INTO user_account (id, username, display_name, password_hash, role, "
                "org_id, active, created_at) VALUES (1, 'old', 'old', 'x', 'district', 1, 1, "
                "'2024-08-22 08:00:00.000000')"))
            conn.execute(sa.text(
                "INSERT INTO api_token (id, token_hash, user_id, created_at) "
                "VALUES (1, 'h', 1, '2024-08-22 08:00:00.000000')"))
        upgrade(directory=directory)
        with engine.connect() as conn:
            expires = conn.execute(sa.text("SELECT expires_at FROM api_token")).scalar_one()
            must, version = conn.execute(sa.text(
                "SELECT must_change_password, session_version FROM user_account")).one()
        engine.dispose()
    assert datetime.fromisoformat(str(expires)).replace(tzinfo=UTC) == datetime(
        2024, 9, 21, 8, 0, tzinfo=UTC)
    assert must == 1 and version == 1

