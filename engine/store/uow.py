"""One user action = one transaction: the only place that commits."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.store.errors import Conflict


@contextmanager
def unit_of_work(db: Session) -> Iterator[Session]:
    """Commit what the block wrote, or roll all of it back.

    A concurrent writer trips the optimistic version check (StaleDataError) or a unique
    constraint; both surface as `Conflict` so that exactly one writer wins.
    """
    try:
        yield db
        db.commit()
    except StaleDataError as exc:
        db.rollback()
        raise Conflict("该事项已被他人办理，请刷新后重试") from exc
    except IntegrityError as exc:
        db.rollback()
        raise Conflict("数据已被他人修改，请刷新后重试") from exc
    except OperationalError as exc:
        db.rollback()
        if any(word in str(exc).lower() for word in ("locked", "could not serialize",
                                                      "deadlock detected")):
            raise Conflict("系统繁忙，该事项正被他人办理，请稍后重试") from exc
        raise
    except BaseException:
        db.rollback()
        raise
