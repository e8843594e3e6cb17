"""Per-step forms as data: YAML form files turned into marshmallow schemas.

Only marshmallow, PyYAML and the standard library are used here, so the engine, the web layer
and the deployer can all import this package without pulling each other in.
"""

from .definition import load_form
from .errors import FormDefinitionError, FormInvalid
from .form import Form
from .idcard import id_number_birth_date, is_valid_id_number
from .model import FIELD_TYPES, Condition, FieldDef, Option
from .shared import load_shared_forms, shared_form_sources

__all__ = [
    "FIELD_TYPES",
    "Condition",
    "FieldDef",
    "Form",
    "FormDefinitionError",
    "FormInvalid",
    "Option",
    "id_number_birth_date",
    "is_valid_id_number",
    "load_form",
    "load_shared_forms",
    "shared_form_sources",
]
