"""Flask extensions, created once and bound in the app factory."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from engine.store.models import Base

# The engine's models are plain SQLAlchemy; Flask-SQLAlchemy only provides the session.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
